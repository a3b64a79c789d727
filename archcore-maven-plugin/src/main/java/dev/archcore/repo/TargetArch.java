package dev.archcore.repo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * The architectures archcore builds images for, each with its distribution: the pacman.conf preset (mirrors),
 * the keyring package that goes into base images and the keyring that verifies its packages.
 */
public enum TargetArch {
    X86_64("x86_64", PacmanConf.Preset.ARCH_LINUX, "archlinux-keyring", "archlinux"),
    I686("i686", PacmanConf.Preset.ARCH_LINUX_32, "archlinux32-keyring", "archlinux32"),
    AARCH64("aarch64", PacmanConf.Preset.ARCH_LINUX_ARM, "archlinuxarm-keyring", "archlinuxarm");

    private final String pacmanArch;
    private final PacmanConf.Preset preset;
    private final String keyringPackage;
    private final String keyringName;

    TargetArch(String pacmanArch, PacmanConf.Preset preset, String keyringPackage, String keyringName) {
        this.pacmanArch = pacmanArch;
        this.preset = preset;
        this.keyringPackage = keyringPackage;
        this.keyringName = keyringName;
    }

    public String pacmanArch() {
        return pacmanArch;
    }

    public PacmanConf.Preset preset() {
        return preset;
    }

    public String keyringPackage() {
        return keyringPackage;
    }

    /** The keyring's name in /usr/share/pacman/keyrings ({@code NAME.gpg}). */
    public String keyringName() {
        return keyringName;
    }

    public static TargetArch of(String pacmanArch) {
        for (TargetArch a : values()) {
            if (a.pacmanArch.equals(pacmanArch.strip().toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException("archcore.arch: '" + pacmanArch + "' is not an architecture archcore builds "
                + "images for; use " + String.join(", ", Arrays.stream(values()).map(TargetArch::pacmanArch).toList())
                + " (comma-separated for a multi-architecture image)");
    }

    /** {@code "x86_64, aarch64"} → both, in that order, each once. */
    public static List<TargetArch> list(String commaSeparated) {
        LinkedHashSet<TargetArch> out = new LinkedHashSet<>();
        for (String a : commaSeparated.split(",")) {
            if (!a.isBlank()) {
                out.add(of(a));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("archcore.arch is empty; name x86_64, i686 or aarch64");
        }
        return new ArrayList<>(out);
    }
}
