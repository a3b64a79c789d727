package dev.archcore.pacman;

import java.util.ArrayList;
import java.util.List;

/**
 * makepkg's OPTIONS: Arch's makepkg.conf defaults, overridden word by word by the PKGBUILD's
 * {@code options=()}. {@code debug} and {@code lto} stay off: archcore makes no debug packages and does not
 * change compiler flags.
 */
public final class BuildOptions {
    static final List<String> ARCH_DEFAULTS = List.of("strip", "docs", "!libtool", "!staticlibs", "emptydirs",
            "zipman", "purge", "!debug", "!lto");

    private BuildOptions() {
    }

    public static List<String> effective(List<String> pkgbuildOptions) {
        List<String> result = new ArrayList<>(ARCH_DEFAULTS);
        for (String option : pkgbuildOptions) {
            String name = option.startsWith("!") ? option.substring(1) : option;
            int at = indexOf(result, name);
            if (at >= 0) {
                result.set(at, option);
            } else {
                result.add(option);
            }
        }
        return result;
    }

    private static int indexOf(List<String> options, String name) {
        for (int i = 0; i < options.size(); i++) {
            String o = options.get(i);
            if ((o.startsWith("!") ? o.substring(1) : o).equals(name)) {
                return i;
            }
        }
        return -1;
    }
}
