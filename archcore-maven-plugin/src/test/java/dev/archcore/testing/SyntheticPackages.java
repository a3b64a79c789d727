package dev.archcore.testing;

import dev.archcore.pacman.Compression;
import dev.archcore.pacman.PackageMetadata;
import dev.archcore.pacman.PackageTree;
import dev.archcore.pacman.PackageWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Real pacman packages without payload, written natively in milliseconds: enough for repo-add and for pacman to
 * resolve, download, verify and register them.
 */
public final class SyntheticPackages {
    private static final long MTIME = Fixtures.EPOCH;

    private SyntheticPackages() {
    }

    /** What a test package declares; lists are relation strings as in a PKGBUILD. */
    public record Spec(String name, String version, String arch, List<String> depends, List<String> provides,
                       List<String> conflicts, List<String> groups) {
        public Spec {
            depends = List.copyOf(depends);
            provides = List.copyOf(provides);
            conflicts = List.copyOf(conflicts);
            groups = List.copyOf(groups);
        }

        public static Spec of(String name, String version) {
            return new Spec(name, version, "any", List.of(), List.of(), List.of(), List.of());
        }

        public Spec depends(String... relations) {
            return new Spec(name, version, arch, concat(depends, relations), provides, conflicts, groups);
        }

        public Spec provides(String... relations) {
            return new Spec(name, version, arch, depends, concat(provides, relations), conflicts, groups);
        }

        public Spec conflicts(String... relations) {
            return new Spec(name, version, arch, depends, provides, concat(conflicts, relations), groups);
        }

        public Spec groups(String... names) {
            return new Spec(name, version, arch, depends, provides, conflicts, concat(groups, names));
        }

        public Spec arch(String newArch) {
            return new Spec(name, version, newArch, depends, provides, conflicts, groups);
        }

        public Spec version(String newVersion) {
            return new Spec(name, newVersion, arch, depends, provides, conflicts, groups);
        }

        private static List<String> concat(List<String> list, String... more) {
            List<String> all = new ArrayList<>(list);
            all.addAll(List.of(more));
            return all;
        }
    }

    /** Writes {@code name-version-arch.pkg.tar.zst} into {@code dir}. */
    public static Path write(Spec spec, Path dir) {
        try {
            Path empty = Files.createDirectories(dir.resolve(".empty-pkgdir"));
            PackageMetadata.BuildInfo buildInfo = new PackageMetadata.BuildInfo("0".repeat(64), "/build", "/startdir",
                    "archcore-tests", "1", List.of(), List.of(), List.of());
            PackageMetadata metadata = new PackageMetadata(spec.name(), spec.name(), spec.version(), "synthetic " + spec.name(),
                    "https://example.invalid/" + spec.name(), MTIME, "Archcore Tests <tests@example.invalid>", 0, spec.arch(),
                    List.of("MIT"), List.of(), spec.groups(), spec.conflicts(), spec.provides(), List.of(), spec.depends(),
                    List.of(), List.of(), List.of(), buildInfo);
            Path target = dir.resolve(metadata.fileName(Compression.ZSTD));
            new PackageWriter(Compression.ZSTD, 1).write(PackageTree.scan(empty), metadata, List.of(), "archcore tests",
                    MTIME, target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
