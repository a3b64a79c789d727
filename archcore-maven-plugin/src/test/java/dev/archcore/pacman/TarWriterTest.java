package dev.archcore.pacman;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TarWriter writes the common entry's header (and a long name's pax record) itself (issue 17: the first pack in a
 * fresh JVM); the judge is commons-compress's TarArchiveOutputStream with the settings PackageWriter always used,
 * which must produce the same bytes for entries on either side of every condition (name and link length, ASCII,
 * size, mtime, mode).
 */
class TarWriterTest {
    private static final String ASCII_99 = "d/".repeat(30) + "x".repeat(39);
    private static final String ASCII_100 = ASCII_99 + "y";

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 1_700_000_000L, 077777777777L, 077777777777L + 1, -1})
    void everyEntryIsWhatCommonsCompressWrites(long mtime) throws IOException {
        List<PackageMember> members = new ArrayList<>();
        String[] names = {"a", "usr/bin/app", ASCII_99, ASCII_100, ASCII_100 + "/more", "usr/share/ü.txt", "日本/x",
                "with space and #=\\", "ctl\u0001\u007f", "/absolute", "-dash", "é", "x".repeat(85),
                "back\\slash/".repeat(12) + "ctl\u0001", "d/".repeat(200) + "deep", ASCII_99 + "ü"};
        long[] sizes = {0, 1, 511, 512, 513, 70_000};
        int[] modes = {0644, 0755, 04755, 02750, 01777, 07777, 0, 07777777};
        int i = 0;
        for (String name : names) {
            members.add(member(name, PackageTree.Type.DIRECTORY, modes[i++ % modes.length], 0, null));
            for (long size : sizes) {
                members.add(member(name + "." + size, PackageTree.Type.FILE, modes[i++ % modes.length], size, null));
            }
            members.add(member(name + ".s", PackageTree.Type.SYMLINK, 0777, 0, "target"));
            members.add(member(name + ".h", PackageTree.Type.HARDLINK, 0644, 0, "usr/bin/app"));
            for (String link : new String[] {name, ASCII_99, ASCII_100, "../ü", "x", "../".repeat(300) + "far"}) {
                members.add(member("l/" + link.length() + "/" + i++, PackageTree.Type.SYMLINK, 0777, 0, link));
                members.add(member("h/" + link.length() + "/" + i++, PackageTree.Type.HARDLINK, 0755, 0, link));
                members.add(member(name + "/l" + i++, PackageTree.Type.SYMLINK, 0777, 0, link)); // long both
            }
        }

        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        TarWriter writer = new TarWriter(ours, mtime);
        ByteArrayOutputStream theirs = new ByteArrayOutputStream();
        TarArchiveOutputStream oracle = new TarArchiveOutputStream(theirs, 512, "UTF-8");
        oracle.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        oracle.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        oracle.setAddPaxHeadersForNonAsciiNames(true);
        Random random = new Random(17);
        int plain = 0;
        for (PackageMember m : members) {
            byte[] data = new byte[(int) m.size()];
            random.nextBytes(data);
            int before = writer.libraryEntries();
            writer.putEntry(m);
            writer.write(data, 0, data.length / 3);
            writer.write(data, data.length / 3, data.length - data.length / 3);
            writer.closeEntry();
            plain += writer.libraryEntries() == before ? 1 : 0;

            oracle.putArchiveEntry(oracleEntry(m, mtime));
            oracle.write(data);
            oracle.closeArchiveEntry();
        }
        writer.finish();
        oracle.finish();

        assertThat(ours.toByteArray()).isEqualTo(theirs.toByteArray());
        // the comparison means something only if both paths ran: most entries plain, unless mtime needs pax
        boolean mtimeFits = mtime >= 0 && mtime <= 077777777777L;
        assertThat(plain).isEqualTo(mtimeFits ? (int) members.stream().filter(TarWriterTest::plain).count() : 0);
        assertThat(writer.libraryEntries()).isGreaterThan(0);
    }

    @Test
    void aFileThatGrowsOrShrinksAfterTheScanIsAnError() throws IOException {
        TarWriter grows = new TarWriter(new ByteArrayOutputStream(), 0);
        grows.putEntry(member("usr/lib/app.so", PackageTree.Type.FILE, 0755, 10, null));
        grows.write(new byte[6], 0, 6);
        assertThatThrownBy(() -> grows.write(new byte[6], 0, 6)).isInstanceOf(IOException.class)
                .hasMessageContaining("usr/lib/app.so grew while it was being packed");

        TarWriter shrinks = new TarWriter(new ByteArrayOutputStream(), 0);
        shrinks.putEntry(member("usr/lib/app.so", PackageTree.Type.FILE, 0755, 10, null));
        shrinks.write(new byte[9], 0, 9);
        assertThatThrownBy(shrinks::closeEntry).isInstanceOf(IOException.class)
                .hasMessageContaining("usr/lib/app.so shrank while it was being packed (1 bytes fewer");
    }

    /** What TarWriter writes itself: ASCII name and link (any length), no leading slash, mode in range. */
    private static boolean plain(PackageMember m) {
        String name = m.type() == PackageTree.Type.DIRECTORY ? m.path() + "/" : m.path();
        String link = m.link() == null ? "" : m.link();
        return name.chars().allMatch(c -> c < 0x80) && link.chars().allMatch(c -> c < 0x80) && !name.startsWith("/")
                && m.mode() <= 07777777;
    }

    private static PackageMember member(String path, PackageTree.Type type, int mode, long size, String link) {
        return new PackageMember(path, type, mode, size, link, Path.of("/nonexistent"), null, null, null);
    }

    /** PackageWriter's entries as they were built before TarWriter existed. */
    private static TarArchiveEntry oracleEntry(PackageMember m, long mtime) {
        TarArchiveEntry entry = switch (m.type()) {
            case DIRECTORY -> new TarArchiveEntry(m.path() + "/", TarConstants.LF_DIR);
            case FILE -> new TarArchiveEntry(m.path(), TarConstants.LF_NORMAL);
            case SYMLINK -> new TarArchiveEntry(m.path(), TarConstants.LF_SYMLINK);
            case HARDLINK -> new TarArchiveEntry(m.path(), TarConstants.LF_LINK);
        };
        if (m.link() != null) {
            entry.setLinkName(m.link());
        }
        entry.setMode(m.mode());
        entry.setSize(m.type() == PackageTree.Type.FILE ? m.size() : 0);
        entry.setIds(0, 0);
        entry.setNames("root", "root");
        entry.setModTime(FileTime.from(mtime, TimeUnit.SECONDS));
        return entry;
    }
}
