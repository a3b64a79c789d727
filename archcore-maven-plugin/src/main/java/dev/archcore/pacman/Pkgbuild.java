package dev.archcore.pacman;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sourced PKGBUILD: every variable as a list of values (scalars have one), the functions it defines and
 * the version its {@code pkgver()} printed. Architecture-specific arrays ({@code depends_x86_64}) are already
 * merged for the architecture it was read for, as makepkg's merge_arch_attrs does.
 */
public record Pkgbuild(Path file, String sha256, Path startdir, String carch,
                       Map<String, List<String>> variables, Set<String> functions) {

    public List<String> list(String name) {
        return variables.getOrDefault(name, List.of());
    }

    public String scalar(String name) {
        List<String> values = list(name);
        return values.isEmpty() ? "" : values.get(0);
    }

    public boolean has(String name) {
        return variables.containsKey(name);
    }

    public boolean defines(String function) {
        return functions.contains(function);
    }

    public String pkgname() {
        return scalar("pkgname");
    }

    public String pkgbase() {
        String base = scalar("pkgbase");
        return base.isEmpty() ? pkgname() : base;
    }

    /** {@code [epoch:]pkgver-pkgrel}, the form pacman shows and the package file name uses. */
    public String fullVersion() {
        String epoch = scalar("epoch");
        String prefix = epoch.isEmpty() || epoch.equals("0") ? "" : epoch + ":";
        return prefix + scalar("pkgver") + "-" + scalar("pkgrel");
    }

    /** {@code any} for architecture-independent packages, else the architecture built for. */
    public String packageArch() {
        return list("arch").equals(List.of("any")) ? "any" : carch;
    }
}
