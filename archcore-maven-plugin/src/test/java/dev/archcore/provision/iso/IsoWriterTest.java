package dev.archcore.provision.iso;

import dev.archcore.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static dev.archcore.provision.iso.IsoReaders.expectedTree;
import static dev.archcore.provision.iso.IsoReaders.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The writer's images judged by the real readers: isoinfo, xorriso, bsdtar, blkid, and genisoimage as a peer. */
class IsoWriterTest {
    private static final Instant T = Instant.parse("2024-03-05T06:07:08Z");

    @TempDir
    Path tmp;

    @BeforeAll
    static void tools() {
        IsoReaders.require();
    }

    /** Nested directories, an empty file, a file over one sector, mixed case and dots, ISO-name clashes, and a
     *  directory whose records fill several sectors. */
    static Map<String, byte[]> sample() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("openstack/latest/user_data", "#cloud-config\nhostname: registry\n".getBytes(StandardCharsets.UTF_8));
        files.put("openstack/latest/meta_data.json", "{\"hostname\":\"registry\"}".getBytes(StandardCharsets.UTF_8));
        files.put("empty", new byte[0]);
        byte[] big = new byte[3 * 2048 + 123];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + 7);
        }
        files.put("a/b/c/d/e/f/g/big.bin", big);
        files.put("Read.Me.First.TXT", "mixed case".getBytes(StandardCharsets.UTF_8));
        files.put("read.me.first.txt", "lower case".getBytes(StandardCharsets.UTF_8));
        files.put("noextension", "x".getBytes(StandardCharsets.UTF_8));
        files.put("ünïcödé name.txt", "u".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 40; i++) {
            files.put("many/a-rather-long-file-name-number-" + i + ".conf", ("n" + i).getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }

    static IsoWriter writer(Map<String, byte[]> files, Instant t) {
        IsoWriter w = new IsoWriter("config-2", t);
        files.forEach(w::addFile);
        return w;
    }

    private Path sampleIso() throws IOException {
        Path iso = tmp.resolve("sample.iso");
        writer(sample(), T).write(iso);
        return iso;
    }

    @Test
    void readersSeeTheLabelRockRidgeAndJoliet() throws IOException {
        Path iso = sampleIso();
        assertThat(Files.size(iso) % 2048).isZero();
        String info = IsoReaders.isoinfo(iso, "-d");
        assertThat(info).contains("Volume id: config-2", "Logical block size is: 2048",
                "Volume size is: " + Files.size(iso) / 2048,
                "Joliet with UCS level 3 found", "Rock Ridge signatures version 1 found");
        assertThat(IsoReaders.blkid(iso)).contains("LABEL=\"config-2\"", "TYPE=\"iso9660\"");
    }

    @Test
    void xorrisoAndBsdtarExtractExactlyTheFiles() throws IOException {
        Path iso = sampleIso();
        Map<String, String> expected = expectedTree(sample());
        assertThat(tree(IsoReaders.extractWithXorriso(iso, tmp.resolve("xorriso")))).isEqualTo(expected);
        assertThat(tree(IsoReaders.extractWithBsdtar(iso, tmp.resolve("bsdtar")))).isEqualTo(expected);
        // the Joliet tree on its own gives back the same files
        assertThat(tree(IsoReaders.extractWithXorriso(iso, tmp.resolve("joliet"), "-rockridge", "off",
                "-joliet", "on"))).isEqualTo(expected);
    }

    @Test
    void rockRidgeNamesAreTheRealNames() throws IOException {
        Path iso = sampleIso();
        Set<String> expected = expectedTree(sample()).keySet().stream().map(p -> "/" + p)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(lines(IsoReaders.isoinfo(iso, "-R", "-f"))).isEqualTo(expected);
        assertThat(IsoReaders.isoinfo(iso, "-R", "-l"))
                .contains(" user_data ", " meta_data.json ", " Read.Me.First.TXT ", " read.me.first.txt ")
                .containsPattern("-rw-r--r-- +1 +0 +0 +33 .* user_data ")
                .containsPattern("drwxr-xr-x .* latest ");
        assertThat(IsoReaders.isoinfo(iso, "-R", "-x", "/openstack/latest/user_data"))
                .isEqualTo("#cloud-config\nhostname: registry\n");
    }

    @Test
    void jolietNamesAreTheRealNames() throws IOException {
        Path iso = sampleIso();
        Map<String, String> tree = expectedTree(sample());
        Set<String> expected = tree.keySet().stream().map(p -> "/" + p + (tree.get(p).equals("dir") ? "" : ";1"))
                .collect(Collectors.toCollection(TreeSet::new));
        // isoinfo prints Joliet names in a single-byte charset (it has no UTF-8): compare the ASCII ones here,
        // the extraction test reads the others back through xorriso's Joliet tree
        Set<String> listed = lines(IsoReaders.isoinfo(iso, "-J", "-f"));
        assertThat(listed).hasSameSizeAs(expected);
        assertThat(ascii(listed)).isEqualTo(ascii(expected)).contains("/openstack/latest/user_data;1");
    }

    @Test
    void isoNamesAreUniqueLevelTwoNames() throws IOException {
        Set<String> names = lines(IsoReaders.isoinfo(sampleIso(), "-f"));
        assertThat(names).contains("/OPENSTACK/LATEST/USER_DATA.;1", "/OPENSTACK/LATEST/META_DATA.JSON;1",
                "/READ_ME_FIRST.TXT;1", "/READ_ME_FIRST_1.TXT;1", "/NOEXTENSION.;1", "/EMPTY.;1");
        assertThat(names).hasSize(expectedTree(sample()).size());
        for (String name : names) {
            String last = name.substring(name.lastIndexOf('/') + 1);
            assertThat(last).matches("[A-Z0-9_]{1,31}|[A-Z0-9_]*\\.[A-Z0-9_]*;1");
            assertThat(last.replace(";1", "").length()).isLessThanOrEqualTo(31);
        }
    }

    @Test
    void xorrisoFindsNothingToComplainAbout() throws IOException {
        Path iso = sampleIso();
        assertThat(IsoReaders.xorriso(iso, "-indev", iso.toString(), "-pvd_info"))
                .contains("Volume Id    : config-2", "Creation Time: 2024030506070800",
                        "Modif. Time  : 2024030506070800", "Expir. Time  : 0000000000000000");
        assertThat(IsoReaders.xorriso(iso, "-indev", iso.toString(), "-find", "/", "-exec", "lsdl", "--"))
                .containsPattern("-rw-r--r-- .* 0 +0 +33 Mar  5  2024 '/openstack/latest/user_data'")
                .containsPattern("-rw-r--r-- .* 0 +0 +6267 Mar  5  2024 '/a/b/c/d/e/f/g/big.bin'")
                .containsPattern("drwxr-xr-x .* '/a/b/c/d/e/f/g'");
        assertThat(IsoReaders.xorriso(iso, "-indev", iso.toString(), "-check_media", "--"))
                .containsPattern("Media region : +0 , +" + Files.size(iso) / 2048 + " , \\+ good");

        // compared with the same files on disk (modes and mtimes set alike) only ctime, which no one can set, differs
        Path disk = tmp.resolve("disk");
        sample().forEach((path, data) -> write(disk.resolve(path), data));
        try (var walk = Files.walk(disk)) {
            for (Path p : walk.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                        Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
                Files.setLastModifiedTime(p, FileTime.from(T));
            }
        }
        String compare = Tools.run(tmp, "xorriso", "-indev", iso.toString(), "-compare_r", disk.toString(), "/")
                .text();
        List<String> differences = compare.lines().filter(l -> l.contains("(DISK)")).toList();
        assertThat(differences).isNotEmpty().allMatch(l -> l.contains(": st_ctime :"), "only st_ctime differs");
    }

    @Test
    void genisoimageOfTheSameFolderHoldsTheSameFiles() throws IOException {
        Path folder = tmp.resolve("folder");
        sample().forEach((path, data) -> write(folder.resolve(path), data));
        Path theirs = tmp.resolve("genisoimage.iso");
        Tools.run(tmp, "genisoimage", "-quiet", "-R", "-J", "-V", "config-2", "-o", theirs.toString(),
                folder.toString()).ok("genisoimage");
        Path ours = sampleIso();

        assertThat(IsoReaders.isoinfo(theirs, "-d")).contains("Volume id: config-2");
        assertThat(lines(IsoReaders.isoinfo(ours, "-R", "-f")))
                .isEqualTo(lines(IsoReaders.isoinfo(theirs, "-R", "-f")));
        assertThat(tree(IsoReaders.extractWithXorriso(ours, tmp.resolve("ours"))))
                .isEqualTo(tree(IsoReaders.extractWithXorriso(theirs, tmp.resolve("theirs"))))
                .isEqualTo(tree(folder));
        assertThat(IsoReaders.blkid(ours).replaceAll(".*(LABEL=\"[^\"]*\" TYPE=\"[^\"]*\").*", "$1").strip())
                .isEqualTo(IsoReaders.blkid(theirs).replaceAll(".*(LABEL=\"[^\"]*\" TYPE=\"[^\"]*\").*", "$1")
                        .strip());
    }

    @Test
    void theSameInputsGiveTheSameBytesWhateverTheOrderOfAdding() {
        List<Map.Entry<String, byte[]>> reversed = new ArrayList<>(sample().entrySet());
        java.util.Collections.reverse(reversed);
        Map<String, byte[]> other = new LinkedHashMap<>();
        reversed.forEach(e -> other.put(e.getKey(), e.getValue()));

        byte[] first = writer(sample(), T).toBytes();
        assertThat(writer(other, T).toBytes()).isEqualTo(first);
        assertThat(writer(sample(), T).toBytes()).isEqualTo(first);
    }

    @Test
    void anotherTimestampChangesOnlyTheDates() {
        Instant later = Instant.parse("2031-12-24T23:58:59.45Z");
        byte[] a = writer(sample(), T).toBytes();
        byte[] b = writer(sample(), later).toBytes();
        assertThat(b).hasSameSizeAs(a).isNotEqualTo(a);

        // every byte that differs lies in a 7-byte record date or a 16-digit descriptor date of the two timestamps
        BitSet dates = new BitSet();
        int recordDates = mark(dates, a, b, recordDate(T), recordDate(later));
        int volumeDates = mark(dates, a, b, volumeDate(T), volumeDate(later));
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                assertThat(dates.get(i)).as("byte %d differs outside any date", i).isTrue();
            }
        }
        // creation, modification and effective dates in both descriptors
        assertThat(volumeDates).isEqualTo(6);
        // each of the 54 records in each tree plus the roots in the descriptors, and three per Rock Ridge TF entry
        assertThat(recordDates).isGreaterThanOrEqualTo(2 * 54 + 2 + 3 * 54);
    }

    private static int mark(BitSet marks, byte[] a, byte[] b, byte[] patternA, byte[] patternB) {
        int found = 0;
        for (int i = 0; i + patternA.length <= a.length; i++) {
            if (Arrays.equals(a, i, i + patternA.length, patternA, 0, patternA.length)
                    && Arrays.equals(b, i, i + patternB.length, patternB, 0, patternB.length)) {
                marks.set(i, i + patternA.length);
                found++;
            }
        }
        return found;
    }

    private static byte[] recordDate(Instant t) {
        ZonedDateTime d = t.atZone(ZoneOffset.UTC);
        return new byte[] {(byte) (d.getYear() - 1900), (byte) d.getMonthValue(), (byte) d.getDayOfMonth(),
                (byte) d.getHour(), (byte) d.getMinute(), (byte) d.getSecond(), 0};
    }

    private static byte[] volumeDate(Instant t) {
        return String.format("%1$tY%1$tm%1$td%1$tH%1$tM%1$tS%2$02d", t.atZone(ZoneOffset.UTC), t.getNano() / 10_000_000)
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void writeReplacesThePreviousImageAndLeavesNoTemporaryFile() throws IOException {
        Path iso = tmp.resolve("out/x.iso");
        Files.createDirectories(iso.getParent());
        Files.writeString(iso, "previous");
        writer(sample(), T).write(iso);
        assertThat(Files.readAllBytes(iso)).isEqualTo(writer(sample(), T).toBytes());
        try (var list = Files.list(iso.getParent())) {
            assertThat(list.toList()).containsExactly(iso);
        }
    }

    @Test
    void badVolumeIdsAndTimestampsAreRefused() {
        assertThatThrownBy(() -> new IsoWriter("", T)).isInstanceOf(IsoException.class)
                .hasMessageContaining("volume id is empty");
        assertThatThrownBy(() -> new IsoWriter(null, T)).isInstanceOf(IsoException.class)
                .hasMessageContaining("volume id is empty");
        assertThatThrownBy(() -> new IsoWriter("x".repeat(33), T)).isInstanceOf(IsoException.class)
                .hasMessageContaining("\"" + "x".repeat(33) + "\" has 33 characters")
                .hasMessageContaining("at most 32");
        assertThatThrownBy(() -> new IsoWriter("cönfig", T)).isInstanceOf(IsoException.class)
                .hasMessageContaining("printable ASCII");
        assertThatThrownBy(() -> new IsoWriter("config-2", null)).isInstanceOf(IsoException.class)
                .hasMessageContaining("timestamp is missing");
        assertThatThrownBy(() -> new IsoWriter("config-2", Instant.parse("1899-12-31T23:59:59Z")))
                .isInstanceOf(IsoException.class).hasMessageContaining("outside 1900-2155");
        assertThat(new IsoWriter("x".repeat(32), T).toBytes()).isNotEmpty(); // the limit itself is fine
    }

    @Test
    void badPathsAreRefusedWithThePathNamed() {
        byte[] d = {1};
        assertBad(w -> w.addFile("a/../b", d), "\"a/../b\" contains \"..\"");
        assertBad(w -> w.addFile("./a", d), "\"./a\" contains \".\"");
        assertBad(w -> w.addFile("/etc/passwd", d), "\"/etc/passwd\" has an empty component");
        assertBad(w -> w.addFile("a//b", d), "\"a//b\" has an empty component");
        assertBad(w -> w.addFile("a/", d), "\"a/\" has an empty component");
        assertBad(w -> w.addFile("", d), "path is empty");
        assertBad(w -> w.addFile("a", null), "\"a\" has no content");
        assertBad(w -> w.addFile("a", d).addFile("a", d), "\"a\" was added twice");
        assertBad(w -> w.addFile("a/b", d).addFile("a", d), "\"a\" was added twice (first as a directory");
        assertBad(w -> w.addFile("a", d).addFile("a/b", d), "needs \"a\" to be a directory");
        assertBad(w -> w.addFile("n".repeat(63), d), "has 63 characters; Joliet allows at most 62");
        assertBad(w -> w.addFile("é".repeat(61), d), "is 122 bytes in UTF-8");
        assertBad(w -> w.addFile("a:b", d), "contains the character U+003A");
        assertBad(w -> w.addFile("a;1", d), "contains the character U+003B");
        assertBad(w -> w.addFile("tab\there", d), "contains the character U+0009");
        assertBad(w -> w.addFile("emoji\uD83D\uDE00", d), "outside Unicode's basic plane");
        assertBad(w -> w.addFile("1/2/3/4/5/6/7/8/file", d), "nested 8 directories deep; ISO 9660 allows 7");
        assertBad(w -> w.addFile(("d".repeat(60) + "/").repeat(5) + "f", d), "longer than 255 bytes");
        // the limits themselves are accepted, and readers get those names back
        IsoWriter w = new IsoWriter("config-2", T).addFile("n".repeat(62), d).addFile("é".repeat(60), d)
                .addFile("1/2/3/4/5/6/7/file", d);
        assertThat(w.toBytes()).isNotEmpty();
    }

    @Test
    void namesAtTheLimitsReadBack() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("n".repeat(62), new byte[] {1});
        files.put("é".repeat(60), new byte[] {2});
        files.put("1/2/3/4/5/6/7/file", new byte[] {3});
        Path iso = tmp.resolve("limits.iso");
        writer(files, T).write(iso);
        assertThat(tree(IsoReaders.extractWithXorriso(iso, tmp.resolve("x")))).isEqualTo(expectedTree(files));
        assertThat(tree(IsoReaders.extractWithXorriso(iso, tmp.resolve("j"), "-rockridge", "off", "-joliet", "on")))
                .isEqualTo(expectedTree(files));
        assertThat(tree(IsoReaders.extractWithBsdtar(iso, tmp.resolve("b")))).isEqualTo(expectedTree(files));
    }

    private static void assertBad(java.util.function.Consumer<IsoWriter> action, String message) {
        assertThatThrownBy(() -> action.accept(new IsoWriter("config-2", T)))
                .isInstanceOf(IsoException.class).hasMessageContaining(message);
    }

    private static Set<String> ascii(Set<String> names) {
        return names.stream().filter(n -> n.chars().allMatch(c -> c < 0x80)).collect(Collectors.toSet());
    }

    private static Set<String> lines(String text) {
        return text.lines().filter(l -> !l.isBlank()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static void write(Path file, byte[] data) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, data);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
