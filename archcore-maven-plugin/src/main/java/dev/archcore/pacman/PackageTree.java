package dev.archcore.pacman;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of a {@code $pkgdir}, in the order makepkg archives them: every path sorted bytewise
 * ({@code LC_COLLATE=C}), the first of several hard links carrying the data and the others pointing at it.
 */
public final class PackageTree {
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;

    public enum Type { DIRECTORY, FILE, SYMLINK, HARDLINK }

    /**
     * One archive entry. {@code path} is relative without a leading slash; {@code link} is the symlink target
     * or, for a hard link, the path of the entry carrying the data.
     */
    public record Entry(String path, Path source, Type type, int mode, long size, String link) {
        public boolean isRegular() {
            return type == Type.FILE || type == Type.HARDLINK;
        }
    }

    private final List<Entry> entries;

    private PackageTree(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Installed size as makepkg's dirsize computes it: regular files, each hard-linked inode once. */
    public long installedSize() {
        return entries.stream().filter(e -> e.type() == Type.FILE).mapToLong(Entry::size).sum();
    }

    /**
     * The order of the names' UTF-8 bytes (bsdtar's and makepkg's), without encoding them: UTF-8 orders by code
     * point, and UTF-16 code units order the same way except that a surrogate (half of a code point above
     * U+FFFF) sorts below U+E000-U+FFFF in UTF-16 but above them as a code point.
     */
    public static Comparator<String> byteOrder() {
        return PackageTree::compareUtf8;
    }

    static int compareUtf8(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                boolean sx = Character.isSurrogate(x);
                if (sx != Character.isSurrogate(y)) {
                    return sx ? 1 : -1;
                }
                return x - y;
            }
        }
        return a.length() - b.length();
    }

    public static PackageTree scan(Path pkgdir) {
        Map<String, Found> byName = new HashMap<>();
        list(pkgdir, "", byName);
        List<String> names = new ArrayList<>(byName.keySet());
        names.sort(byteOrder());
        Map<Object, String> firstLinkOfInode = new HashMap<>();
        List<Entry> entries = new ArrayList<>(names.size());
        for (String name : names) {
            entries.add(entry(pkgdir, name, byName.get(name), firstLinkOfInode));
        }
        return new PackageTree(entries);
    }

    /** A path found under {@code $pkgdir} and its unix attributes (not following a symlink). */
    private record Found(Path path, Map<String, Object> attrs) {
        int mode() {
            return (Integer) attrs.get("mode");
        }
    }

    /**
     * Every path under {@code dir}, by its name relative to {@code $pkgdir}, each stat'ed once; symlinks are not
     * followed. A plain recursion over directory streams rather than {@code Files.walk}: the walk's iterator is
     * one of the costliest methods the JIT compiles in a fresh JVM's first pack (about 1 s of C2 time, twice
     * when it bails out), and it stats every path a second time.
     */
    private static void list(Path dir, String prefix, Map<String, Found> byName) {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                String name = prefix + child.getFileName();
                Found found = new Found(child, Files.readAttributes(child, "unix:mode,ino,dev,nlink,size",
                        LinkOption.NOFOLLOW_LINKS));
                byName.put(name, found);
                if ((found.mode() & S_IFMT) == S_IFDIR) {
                    list(child, name + "/", byName);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir, e);
        }
    }

    private static Entry entry(Path pkgdir, String name, Found found, Map<Object, String> firstLinkOfInode) {
        Path path = found.path();
        Map<String, Object> attrs = found.attrs();
        try {
            int mode = found.mode();
            int perm = mode & 07777;
            switch (mode & S_IFMT) {
                case S_IFDIR:
                    return new Entry(name, path, Type.DIRECTORY, perm, 0, null);
                case S_IFLNK:
                    return new Entry(name, path, Type.SYMLINK, perm, 0, Files.readSymbolicLink(path).toString());
                case S_IFREG:
                    long size = (Long) attrs.get("size");
                    if ((Integer) attrs.get("nlink") > 1) {
                        List<Object> inode = List.of(attrs.get("dev"), attrs.get("ino"));
                        String first = firstLinkOfInode.putIfAbsent(inode, name);
                        if (first != null) {
                            return new Entry(name, path, Type.HARDLINK, perm, size, first);
                        }
                    }
                    return new Entry(name, path, Type.FILE, perm, size, null);
                default:
                    throw new PackageBuildException(pkgdir.resolve(name) + " is a device node, socket or FIFO; a "
                            + "package can only hold files, directories and links. Create it at run time instead "
                            + "(a systemd-tmpfiles or sysusers entry, or the service itself), not in package().");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
