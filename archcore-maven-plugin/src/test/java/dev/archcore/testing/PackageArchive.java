package dev.archcore.testing;

import com.github.luben.zstd.ZstdInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The entries of a .pkg.tar.zst as comparable lines: name, type, mode, owner, size, link target. */
public final class PackageArchive {
    private PackageArchive() {
    }

    public static List<String> entries(Path pkg) {
        List<String> lines = new ArrayList<>();
        try (InputStream in = new ZstdInputStream(new BufferedInputStream(Files.newInputStream(pkg)));
             TarArchiveInputStream tar = new TarArchiveInputStream(in, "UTF-8")) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                lines.add(String.format("%s type=%c mode=%o owner=%d:%d(%s:%s) size=%d link=%s mtime=%d",
                        e.getName(), (char) e.getLinkFlag(), e.getMode() & 07777, e.getLongUserId(),
                        e.getLongGroupId(), e.getUserName(), e.getGroupName(), e.getSize(), e.getLinkName(),
                        e.getLastModifiedTime().toInstant().getEpochSecond()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    /** The values of one {@code .PKGINFO} key, as bsdtar (not archcore's reader) extracts the member. */
    public static List<String> pkginfo(Path pkg, String key) {
        String text = Tools.run(pkg.getParent(), "bsdtar", "-xOf", pkg.toString(), ".PKGINFO").ok("bsdtar .PKGINFO").text();
        return text.lines().filter(l -> l.startsWith(key + " = ")).map(l -> l.substring(key.length() + 3)).toList();
    }
}
