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
import java.util.Random;

/** Real pacman packages written by our PackageWriter (makepkg-identical archives), fast enough for dozens per test. */
public final class TestPackages {
    private TestPackages() {
    }

    /** A package description; {@code extras} are .INSTALL / .CHANGELOG members. */
    public record Spec(String name, String version, String arch, List<String> depends, List<String> backup,
                       List<String> license, List<String> provides, List<PackageWriter.Extra> extras) {
        public static Spec of(String name, String version) {
            return new Spec(name, version, "x86_64", List.of(), List.of(), List.of("MIT"), List.of(), List.of());
        }

        public Spec depends(String... deps) {
            return new Spec(name, version, arch, List.of(deps), backup, license, provides, extras);
        }

        public Spec backup(String... files) {
            return new Spec(name, version, arch, depends, List.of(files), license, provides, extras);
        }

        public Spec arch(String a) {
            return new Spec(name, version, a, depends, backup, license, provides, extras);
        }

        public Spec extra(String member, String content) {
            List<PackageWriter.Extra> e = new ArrayList<>(extras);
            e.add(new PackageWriter.Extra(member, content.getBytes()));
            return new Spec(name, version, arch, depends, backup, license, provides, e);
        }
    }

    public static Path write(Spec spec, Path pkgdir, Path outDir, long epoch) {
        PackageTree tree = PackageTree.scan(pkgdir);
        PackageMetadata md = new PackageMetadata(spec.name(), spec.name(), spec.version(), "the " + spec.name() + " test package",
                "https://example.invalid/" + spec.name(), epoch, "Archcore Tests <tests@example.invalid>",
                tree.installedSize(), spec.arch(), spec.license(), List.of(), List.of(), List.of(), spec.provides(),
                spec.backup(), spec.depends(), List.of(), List.of(), List.of(),
                new PackageMetadata.BuildInfo("0".repeat(64), "/build", "/startdir", "makepkg", "6.0.2", List.of(),
                        List.of(), List.of()));
        Path target = outDir.resolve(md.fileName(Compression.ZSTD));
        try {
            Files.createDirectories(outDir);
            new PackageWriter(Compression.ZSTD, 3).write(tree, md, spec.extras(), "archcore tests", epoch, target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    /**
     * {@code name-version-any.pkg.tar.zst} in {@code dir}, holding {@code usr/share/NAME/data} with
     * {@code payloadBytes} bytes of seeded random data (incompressible, so the file is about that big).
     */
    public static Path write(Path dir, String name, String version, int payloadBytes) {
        try {
            Path pkgdir = Files.createDirectories(dir.resolve("pkgdir-" + name + "-" + version));
            byte[] bytes = new byte[payloadBytes];
            new Random((name + version).hashCode()).nextBytes(bytes);
            Path data = Files.createDirectories(pkgdir.resolve("usr/share/" + name)).resolve("data");
            Files.write(data, bytes);
            return write(Spec.of(name, version).arch("any"), pkgdir, dir, Fixtures.EPOCH);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a file (creating parents) with the given mode. */
    public static Path file(Path root, String path, String content, String mode) {
        try {
            Path p = root.resolve(path);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void symlink(Path root, String path, String target) {
        try {
            Path p = root.resolve(path);
            Files.createDirectories(p.getParent());
            Files.createSymbolicLink(p, Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void dirs(Path root, String... paths) {
        try {
            for (String d : paths) {
                Files.createDirectories(root.resolve(d));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
