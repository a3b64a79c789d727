package dev.archcore.testing;

import dev.archcore.pacman.BuiltPackage;
import dev.archcore.pacman.Compression;
import dev.archcore.pacman.PackageBuilder;
import dev.archcore.pacman.PackageRequest;
import dev.archcore.util.Log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/** Test PKGBUILDs from src/test/resources/pkgbuilds, copied to a scratch directory and built. */
public final class Fixtures {
    public static final long EPOCH = 1_790_000_000L;

    private Fixtures() {
    }

    public static Path copy(String name, Path target) {
        try {
            Path source = Path.of(Fixtures.class.getResource("/pkgbuilds/" + name).toURI());
            try (Stream<Path> walk = Files.walk(source)) {
                for (Path p : walk.toList()) {
                    Path to = target.resolve(source.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(to);
                    } else {
                        Files.copy(p, to);
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PackageRequest request(Path dir, Compression compression) {
        return new PackageRequest(dir.resolve("PKGBUILD"), dir.resolve("target/archcore/build"), dir.resolve("target"),
                "x86_64", compression, compression.defaultLevel(), EPOCH, "Archcore Tests <tests@example.invalid>",
                null, Map.of(), "archcore test", Log.NONE);
    }

    public static BuiltPackage build(Path dir) {
        return PackageBuilder.build(request(dir, Compression.ZSTD));
    }
}
