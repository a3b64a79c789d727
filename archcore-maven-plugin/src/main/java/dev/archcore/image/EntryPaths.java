package dev.archcore.image;

import dev.archcore.pacman.PackageTree;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Checks and splits the paths of archive entries; layer entries are sorted bytewise by path. */
final class EntryPaths {
    static final Comparator<String> ORDER = PackageTree.byteOrder();

    private EntryPaths() {
    }

    /**
     * The entry's path as it lands in the root: its {@link #components} joined by {@code /}, so no leading,
     * trailing or doubled slash and no {@code .} component; refused as there. Most names are plain already
     * (makepkg stores {@code usr/bin/x}), and those are checked in one pass without splitting.
     */
    static String path(String raw, Object what) {
        if (isPlain(raw)) {
            return raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
        }
        return String.join("/", components(raw, what));
    }

    /** Non-empty components, none of them {@code .}, {@code ..} or {@code .wh.*}, at most a trailing slash. */
    private static boolean isPlain(String raw) {
        int end = raw.endsWith("/") ? raw.length() - 1 : raw.length();
        if (end <= 0) {
            return false;
        }
        int start = 0;
        for (int i = 0; i <= end; i++) {
            if (i == end || raw.charAt(i) == '/') {
                int length = i - start;
                if (length == 0) {
                    return false;
                }
                if (raw.charAt(start) == '.' && (length == 1 || length == 2 && raw.charAt(start + 1) == '.'
                        || raw.startsWith(".wh.", start))) {
                    return false;
                }
                start = i + 1;
            }
        }
        return true;
    }

    /**
     * The components of an entry's path, {@code .} and empty ones dropped. Absolute paths, {@code ..} components
     * and OCI whiteout names ({@code .wh.*}, which a layer would turn into deletions) are refused.
     */
    static List<String> components(String raw, Object what) {
        if (raw.startsWith("/")) {
            throw new ImageBuildException(what + ": entry '" + raw + "' has an absolute path; package entries are "
                    + "relative to the root; refused");
        }
        List<String> out = new ArrayList<>();
        for (String c : raw.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw new ImageBuildException(what + ": entry '" + raw + "' has a '..' component, which would climb "
                        + "out of the root; refused");
            }
            if (c.startsWith(".wh.")) {
                throw new ImageBuildException(what + ": entry '" + raw + "' is named like an OCI whiteout (.wh.*), "
                        + "which a container engine would read as a deletion; refused");
            }
            out.add(c);
        }
        return out;
    }
}
