package dev.archcore.image;

import java.util.List;

/** The OCI platform of an image: the architecture asked for, else the one its packages were built for. */
public record Platform(String architecture, String variant) {

    /**
     * The target's platform when one is asked for (every native package must be built for it); otherwise the
     * packages' architecture. {@code any} packages fit everywhere, so they never decide the platform of an image
     * for a named target: an image of only {@code any} packages is amd64 only when no target was asked for.
     */
    static Platform of(List<PackageIndex.Loaded> packages, String target, String anyDefault) {
        Platform wanted = target == null ? null : fromPacman(target);
        for (PackageIndex.Loaded p : wanted == null ? List.<PackageIndex.Loaded>of() : packages) {
            String a = p.info().arch();
            if (a != null && !a.equals("any") && !fromPacman(a).equals(wanted)) {
                throw new ImageBuildException("'" + p.name() + "' is built for " + a + ", but the image is for " + target
                        + ": resolve the packages from a pacman.conf for " + target + " (Architecture = " + target + ")");
            }
        }
        return wanted != null ? wanted : of(packages, anyDefault);
    }

    /** {@code any} packages fit everywhere; an image of only {@code any} packages is amd64 unless said otherwise. */
    static Platform of(List<PackageIndex.Loaded> packages, String anyDefault) {
        String arch = null;
        String from = null;
        for (PackageIndex.Loaded p : packages) {
            String a = p.info().arch();
            if (a == null || a.equals("any")) {
                continue;
            }
            if (arch != null && !arch.equals(a)) {
                throw new ImageBuildException("packages of different architectures in one image: '" + from + "' is "
                        + arch + ", '" + p.name() + "' is " + a);
            }
            arch = a;
            from = p.name();
        }
        return arch == null ? fromOci(anyDefault) : fromPacman(arch);
    }

    static Platform fromPacman(String arch) {
        return switch (arch) {
            case "x86_64", "x86_64_v2", "x86_64_v3", "x86_64_v4" -> new Platform("amd64", null);
            case "i686", "i486", "pentium4" -> new Platform("386", null);
            case "aarch64" -> new Platform("arm64", "v8");
            case "armv7h" -> new Platform("arm", "v7");
            case "armv6h" -> new Platform("arm", "v6");
            case "riscv64" -> new Platform("riscv64", null);
            case "loong64" -> new Platform("loong64", null);
            default -> throw new ImageBuildException("no OCI platform known for the package architecture '" + arch + "'");
        };
    }

    private static Platform fromOci(String architecture) {
        return new Platform(architecture == null ? "amd64" : architecture, null);
    }

    /** The pacman architecture name of the platform, for os-release. */
    String pacmanArch() {
        return switch (architecture) {
            case "amd64" -> "x86_64";
            case "386" -> "i686";
            case "arm64" -> "aarch64";
            case "arm" -> "armv7h";
            default -> architecture;
        };
    }
}
