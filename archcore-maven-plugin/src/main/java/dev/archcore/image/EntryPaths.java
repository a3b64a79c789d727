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
