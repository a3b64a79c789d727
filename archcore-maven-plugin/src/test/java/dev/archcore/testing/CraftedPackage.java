package dev.archcore.testing;

import com.github.luben.zstd.ZstdOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * A package archive written entry by entry with commons-compress, for what our PackageWriter never makes:
 * owners other than root, hostile paths, unsorted entries. Entries are written in the order given; .PKGINFO
 * comes first and, unless left out, a .MTREE describing every entry (so pacman -Qkk can check them).
 */
public final class CraftedPackage {
    private record Entry(String name, byte type, int mode, long uid, long gid, byte[] content, String link,
                         long generated) {
        Entry(String name, byte type, int mode, long uid, long gid, byte[] content, String link) {
            this(name, type, mode, uid, gid, content, link, -1);
        }

        long size() {
            return generated >= 0 ? generated : content == null ? 0 : content.length;
        }
    }

    private final String name;
    private final String version;
    private final List<Entry> entries = new ArrayList<>();
    private final List<String> pkginfoExtra = new ArrayList<>();
    private byte[] install;
    private boolean mtree = true;
    private long mtime = Fixtures.EPOCH;
    private String fileName;
    private long pkginfoPadding;
    private final List<Entry> extraMembers = new ArrayList<>();

    public CraftedPackage(String name, String version) {
        this.name = name;
        this.version = version;
    }

    public CraftedPackage dir(String path, int mode, long uid, long gid) {
        entries.add(new Entry(path.endsWith("/") ? path : path + "/", TarConstants.LF_DIR, mode, uid, gid, null, null));
        return this;
    }

    public CraftedPackage file(String path, String content, int mode, long uid, long gid) {
        entries.add(new Entry(path, TarConstants.LF_NORMAL, mode, uid, gid, content.getBytes(StandardCharsets.UTF_8), null));
        return this;
    }

    /** A regular file of {@code size} zero bytes, generated while writing (never held in memory). */
    public CraftedPackage zeros(String path, long size, int mode) {
        entries.add(new Entry(path, TarConstants.LF_NORMAL, mode, 0, 0, null, null, size));
        return this;
    }

    /** Another member written right after .PKGINFO, e.g. a second .PKGINFO. */
    public CraftedPackage member(String path, String content) {
        extraMembers.add(new Entry(path, TarConstants.LF_NORMAL, 0644, 0, 0, content.getBytes(StandardCharsets.UTF_8), null));
        return this;
    }

    /** .PKGINFO followed by this many bytes of {@code #} comment lines, generated while writing. */
    public CraftedPackage pkginfoPadding(long bytes) {
        pkginfoPadding = bytes;
        return this;
    }

    /** The package file's name in the directory (default name-version-x86_64.pkg.tar.zst). */
    public CraftedPackage fileName(String name) {
        fileName = name;
        return this;
    }

    public CraftedPackage symlink(String path, String target) {
        entries.add(new Entry(path, TarConstants.LF_SYMLINK, 0777, 0, 0, null, target));
        return this;
    }

    public CraftedPackage hardlink(String path, String target, int mode) {
        entries.add(new Entry(path, TarConstants.LF_LINK, mode, 0, 0, null, target));
        return this;
    }

    public CraftedPackage pkginfo(String line) {
        pkginfoExtra.add(line);
        return this;
    }

    public CraftedPackage install(String script) {
        install = script.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    public CraftedPackage withoutMtree() {
        mtree = false;
        return this;
    }

    public Path write(Path dir) {
        Path file = dir.resolve(fileName != null ? fileName : name + "-" + version + "-x86_64.pkg.tar.zst");
        try {
            Files.createDirectories(dir);
            StringBuilder info = new StringBuilder("pkgname = " + name + "\npkgbase = " + name + "\npkgver = " + version
                    + "\npkgdesc = crafted " + name + "\nurl = \nbuilddate = " + mtime
                    + "\npackager = Archcore Tests <tests@example.invalid>\nsize = 1\narch = x86_64\n");
            pkginfoExtra.forEach(l -> info.append(l).append('\n'));
            // level 1 when gigabytes of zeros are generated: the same bomb, made in a fraction of the time
            boolean generated = entries.stream().anyMatch(e -> e.generated >= 0);
            try (OutputStream out = new ZstdOutputStream(Files.newOutputStream(file), generated ? 1 : 3);
                 TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8")) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                if (install != null) {
                    put(tar, new Entry(".INSTALL", TarConstants.LF_NORMAL, 0644, 0, 0, install, null));
                }
                if (mtree) {
                    put(tar, new Entry(".MTREE", TarConstants.LF_NORMAL, 0644, 0, 0, mtree(), null));
                }
                byte[] pkginfo = info.toString().getBytes(StandardCharsets.UTF_8);
                if (pkginfoPadding > 0) {
                    put(tar, new Entry(".PKGINFO", TarConstants.LF_NORMAL, 0644, 0, 0, pkginfo, null,
                            pkginfo.length + pkginfoPadding));
                } else {
                    put(tar, new Entry(".PKGINFO", TarConstants.LF_NORMAL, 0644, 0, 0, pkginfo, null));
                }
                for (Entry e : extraMembers) {
                    put(tar, e);
                }
                for (Entry e : entries) {
                    put(tar, e);
                }
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void put(TarArchiveOutputStream tar, Entry e) throws IOException {
        TarArchiveEntry t = new TarArchiveEntry(e.name, e.type, true);
        t.setMode(e.mode);
        t.setUserId(e.uid);
        t.setGroupId(e.gid);
        t.setUserName(e.uid == 0 ? "root" : "");
        t.setGroupName(e.gid == 0 ? "root" : "");
        t.setModTime(FileTime.fromMillis(mtime * 1000));
        if (e.link != null) {
            t.setLinkName(e.link);
        }
        t.setSize(e.size());
        tar.putArchiveEntry(t);
        if (e.generated >= 0) {
            // generated content: the given bytes (if any), then '#' comment lines for .PKGINFO or zeros
            byte[] head = e.content == null ? new byte[0] : e.content;
            tar.write(head);
            byte[] chunk = new byte[4 << 20];
            if (e.content != null) {
                java.util.Arrays.fill(chunk, (byte) '#');
                for (int i = 127; i < chunk.length; i += 128) {
                    chunk[i] = '\n';
                }
            }
            for (long left = e.generated - head.length; left > 0; left -= chunk.length) {
                tar.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        } else if (e.content != null) {
            tar.write(e.content);
        }
        tar.closeArchiveEntry();
    }

    private byte[] mtree() throws IOException {
        StringBuilder s = new StringBuilder("#mtree\n");
        for (Entry e : entries) {
            String path = e.name.endsWith("/") ? e.name.substring(0, e.name.length() - 1) : e.name;
            s.append("./").append(path).append(" time=").append(mtime).append(".0 uid=").append(e.uid).append(" gid=")
                    .append(e.gid).append(" mode=").append(Integer.toOctalString(e.mode));
            switch (e.type) {
                case TarConstants.LF_DIR -> s.append(" type=dir");
                case TarConstants.LF_SYMLINK -> s.append(" type=link link=").append(e.link);
                case TarConstants.LF_LINK -> {
                    byte[] content = entries.stream().filter(o -> o.name.equals(e.link)).findFirst().orElseThrow().content;
                    s.append(" type=file size=").append(content.length).append(digests(content));
                }
                default -> s.append(" type=file size=").append(e.size())
                        .append(e.generated >= 0 ? "" : digests(e.content));
            }
            s.append('\n');
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(s.toString().getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    private static String digests(byte[] content) {
        try {
            return " md5digest=" + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content))
                    + " sha256digest=" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
