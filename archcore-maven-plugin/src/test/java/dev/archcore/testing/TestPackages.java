package dev.archcore.testing;

import dev.archcore.pacman.Compression;
import dev.archcore.pacman.PackageMetadata;
import dev.archcore.pacman.PackageTree;
import dev.archcore.pacman.PackageWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Small real pacman packages written by our {@link PackageWriter}, fast enough to make dozens per test. */
public final class TestPackages {
    private TestPackages() {
    }

    /**
     * {@code name-version-any.pkg.tar.zst} in {@code dir}, holding {@code usr/share/NAME/data} with
     * {@code payloadBytes} bytes of seeded random data (incompressible, so the file is about that big).
     */
    public static Path write(Path dir, String name, String version, int payloadBytes) {
        try {
            Path pkgdir = Files.createDirectories(dir.resolve("pkgdir-" + name + "-" + version));
            Path data = Files.createDirectories(pkgdir.resolve("usr/share/" + name)).resolve("data");
            byte[] bytes = new byte[payloadBytes];
            new Random((name + version).hashCode()).nextBytes(bytes);
            Files.write(data, bytes);
            PackageTree tree = PackageTree.scan(pkgdir);
            PackageMetadata metadata = new PackageMetadata(name, name, version, "test package " + name, "",
                    Fixtures.EPOCH, "Archcore Tests <tests@example.invalid>", tree.installedSize(), "any",
                    List.of("MIT"), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                    List.of(), List.of(),
                    new PackageMetadata.BuildInfo("0".repeat(64), "/build", "/start", "archcore", "test",
                            List.of(), List.of(), List.of()));
            Path target = dir.resolve(metadata.fileName(Compression.ZSTD));
            new PackageWriter(Compression.ZSTD, 1).write(tree, metadata, List.of(), "archcore test",
                    Fixtures.EPOCH, target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
