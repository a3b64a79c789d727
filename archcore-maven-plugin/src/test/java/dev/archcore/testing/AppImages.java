package dev.archcore.testing;

import dev.archcore.image.ImageBuilder;
import dev.archcore.image.ImageConfig;
import dev.archcore.image.ImagePackage;
import dev.archcore.image.ImageRequest;
import dev.archcore.image.ImageResult;
import dev.archcore.image.Layering;
import dev.archcore.util.Log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The archetype's app image as archcore:image builds it for a generated project: the archetype's HTTP server
 * ({@code app/server.c}) compiled statically by gcc into a package of its own name, {@code /usr/bin/<name>}, and an
 * image of that package alone (no dependencies), with the entrypoint, {@code APP_PORT} and exposed port
 * ImageMojo gives it. The server answers {@code GET /} with {@code "<name> <version>\n"}.
 */
public final class AppImages {
    public static final Path SERVER_C = Path.of("../archcore-archetype/src/main/resources/archetype-resources/app/server.c");

    /** @param binary the static server itself, e.g. to run it on a node beside the image */
    public record Built(ImageResult result, Path layout, String manifestDigest, Path binary) {
    }

    private AppImages() {
    }

    public static Built build(Path dir, String name, String version, int appPort) {
        Tools.require("gcc");
        try {
            Path src = Files.createDirectories(dir.resolve("src-" + version));
            Files.writeString(src.resolve("config.h"), "#define APP_NAME \"" + name + "\"\n#define APP_VERSION \""
                    + version + "\"\n#define APP_DEFAULT_PORT " + appPort + "\n");
            Path pkgdir = Files.createDirectories(dir.resolve("pkg-" + version).resolve("usr/bin"));
            Path binary = pkgdir.resolve(name);
            Tools.run(src, "gcc", "-static", "-O2", "-I" + src, "-o", binary.toString(),
                    SERVER_C.toAbsolutePath().toString()).ok("gcc -static server.c");
            Path pkg = TestPackages.write(TestPackages.Spec.of(name, version + "-1"), dir.resolve("pkg-" + version),
                    dir.resolve("pkgs-" + version), Fixtures.EPOCH);
            ImageConfig config = new ImageConfig(List.of("/usr/bin/" + name), null, Map.of("APP_PORT",
                    Integer.toString(appPort)), null, null, List.of(Integer.toString(appPort)), Map.of(), version + "-1",
                    null, null);
            Path layout = dir.resolve("image-" + version);
            ImageResult result = ImageBuilder.build(new ImageRequest(List.of(ImagePackage.app(pkg)), List.of(), config,
                    Fixtures.EPOCH, name, version + "-1", layout, dir.resolve("image-" + version + ".tar"), null,
                    dir.resolve("image-" + version + ".digest"), dir.resolve("layer-cache"), Layering.DEFAULT, 1, Log.NONE));
            return new Built(result, layout, result.manifestDigest(), binary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
