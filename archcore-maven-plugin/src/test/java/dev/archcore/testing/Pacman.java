package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Debian's pacman 6.0.2, makepkg and testpkg as judges of our packages. */
public final class Pacman {
    private Pacman() {
    }

    /** {@code pacman -Qip}: the fields as pacman prints them, multi-line values joined with newlines. */
    public static Map<String, String> info(Path pkg) {
        String text = Tools.run(pkg.getParent(), "pacman", "-Qip", pkg.toString()).ok("pacman -Qip " + pkg).text();
        Map<String, String> fields = new LinkedHashMap<>();
        String last = null;
        for (String line : text.split("\n")) {
            int colon = line.indexOf(" : ");
            if (colon > 0 && !line.startsWith(" ")) {
                last = line.substring(0, colon).strip();
                fields.put(last, line.substring(colon + 3).strip());
            } else if (last != null && !line.isBlank()) {
                fields.put(last, fields.get(last) + "\n" + line.strip());
            }
        }
        return fields;
    }

    public static void assertValid(Path pkg) {
        Tools.Output out = Tools.run(pkg.getParent(), "testpkg", pkg.toString());
        assertThat(out.exitCode()).as("testpkg %s:\n%s", pkg, out.text()).isZero();
        assertThat(out.text()).contains("Package is valid.");
    }

    /** Installs into an empty root without scriptlets or dependencies (it has no shell or libc), then checks every file. */
    public static Path installAndCheck(Path pkg, Path root) {
        try {
            Files.createDirectories(root.resolve("var/lib/pacman"));
            Files.createDirectories(root.resolve("var/cache/pacman/pkg"));
            Path conf = root.resolveSibling(root.getFileName() + "-pacman.conf");
            Files.writeString(conf, "[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n");
            Tools.run(root, Map.of(), Tools.asRoot("pacman", "--root", root.toString(), "--dbpath",
                    root.resolve("var/lib/pacman").toString(), "--cachedir", root.resolve("var/cache/pacman/pkg").toString(),
                    "--config", conf.toString(), "--noconfirm", "--noprogressbar", "--noscriptlet", "--nodeps", "--nodeps", "-U", pkg.toString()))
                    .ok("pacman -U " + pkg);
            String name = info(pkg).get("Name");
            Tools.Output check = Tools.run(root, Map.of(), List.of("pacman", "--root", root.toString(), "--dbpath",
                    root.resolve("var/lib/pacman").toString(), "--config", conf.toString(), "-Qkk", name));
            assertThat(check.text()).as("pacman -Qkk %s", name).contains(" 0 altered files");
            assertThat(check.exitCode()).as("pacman -Qkk exit code:\n%s", check.text()).isZero();
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Debian's makepkg on a copy of {@code dir}: as the unprivileged user {@code builder} when we are root
     * (makepkg refuses root), zstd packages, the given SOURCE_DATE_EPOCH.
     */
    public static Path makepkg(Path dir, long sourceDateEpoch, String... makepkgArgs) {
        List<String> command = new java.util.ArrayList<>(List.of("env", "PKGEXT=.pkg.tar.zst",
                "SOURCE_DATE_EPOCH=" + sourceDateEpoch, "makepkg", "--nodeps", "--noconfirm", "-f"));
        command.addAll(List.of(makepkgArgs));
        if (Tools.isRoot()) {
            Tools.run(dir, "sh", "-c", "id -u builder >/dev/null 2>&1 || useradd -m builder").ok("useradd builder");
            Tools.run(dir, "chown", "-R", "builder:", dir.toString()).ok("chown");
            Tools.run(dir, "chmod", "755", dir.getParent().toString());
            List<String> asBuilder = new java.util.ArrayList<>(List.of("runuser", "-u", "builder", "--"));
            asBuilder.addAll(command);
            command = asBuilder;
        }
        Tools.run(dir, Map.of(), command).ok("makepkg in " + dir);
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".pkg.tar.zst")).findFirst()
                    .orElseThrow(() -> new AssertionError("makepkg wrote no package in " + dir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
