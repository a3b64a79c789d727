package dev.archcore.image;

import dev.archcore.util.CacheKey;
import dev.archcore.util.Log;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link ImageBuilder#build} makes an image from.
 *
 * @param packages         package files in install order: dependencies first, the app package(s) last
 * @param noExtract        pacman NoExtract patterns (paths without a leading slash, {@code !} negates)
 * @param buildTimestamp   seconds since the epoch: the image's {@code created} and the generated files' mtime
 * @param name             repository name, e.g. {@code archcore/demo}
 * @param tag              tag, e.g. {@code 1.0}
 * @param ociLayout        OCI layout directory to write, or null
 * @param dockerArchive    docker-archive tar to write, or null
 * @param sbom             SPDX JSON file to write, or null
 * @param digestFile       file to write the manifest digest to (like Jib's {@code jib-image.digest}), or null
 * @param cacheDir         package index and layer cache; null builds everything in a temporary directory
 * @param compressionLevel gzip level of the layers (1-9)
 * @param recipe           what the image is for beyond its packages (an app's minimal image by default)
 * @param cacheKey         authenticates what the cache remembers; null: the user's ({@link CacheKey#user}), or a
 *                         throw-away key when there is no cache directory
 * @param arch             the pacman architecture the image is for ({@code i686}, ...): its platform, whatever the
 *                         packages say (an image of {@code any} packages has no architecture of its own); null: the
 *                         packages' architecture, amd64 when all are {@code any}
 */
public record ImageRequest(List<ImagePackage> packages, List<String> noExtract, ImageConfig config, long buildTimestamp,
                           String name, String tag, Path ociLayout, Path dockerArchive, Path sbom, Path digestFile,
                           Path cacheDir, Layering layering, int compressionLevel, Log log, Recipe recipe,
                           CacheKey cacheKey, String arch) {
    public ImageRequest(List<ImagePackage> packages, List<String> noExtract, ImageConfig config, long buildTimestamp,
                        String name, String tag, Path ociLayout, Path dockerArchive, Path sbom, Path digestFile,
                        Path cacheDir, Layering layering, int compressionLevel, Log log, Recipe recipe,
                        CacheKey cacheKey) {
        this(packages, noExtract, config, buildTimestamp, name, tag, ociLayout, dockerArchive, sbom, digestFile, cacheDir,
                layering, compressionLevel, log, recipe, cacheKey, null);
    }

    public ImageRequest(List<ImagePackage> packages, List<String> noExtract, ImageConfig config, long buildTimestamp,
                        String name, String tag, Path ociLayout, Path dockerArchive, Path sbom, Path digestFile,
                        Path cacheDir, Layering layering, int compressionLevel, Log log, Recipe recipe) {
        this(packages, noExtract, config, buildTimestamp, name, tag, ociLayout, dockerArchive, sbom, digestFile, cacheDir,
                layering, compressionLevel, log, recipe, null);
    }

    public ImageRequest(List<ImagePackage> packages, List<String> noExtract, ImageConfig config, long buildTimestamp,
                        String name, String tag, Path ociLayout, Path dockerArchive, Path sbom, Path digestFile,
                        Path cacheDir, Layering layering, int compressionLevel, Log log) {
        this(packages, noExtract, config, buildTimestamp, name, tag, ociLayout, dockerArchive, sbom, digestFile, cacheDir,
                layering, compressionLevel, log, Recipe.APP, null);
    }

    public ImageRequest {
        packages = List.copyOf(packages);
        if (packages.isEmpty()) {
            throw new ImageBuildException("an image needs at least one package");
        }
        noExtract = noExtract == null ? List.of() : List.copyOf(noExtract);
        config = config == null ? ImageConfig.empty() : config;
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tag, "tag");
        if (!tag.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
            throw new ImageBuildException("'" + tag + "' is not a valid image tag");
        }
        if (!name.matches("[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*")
                && !name.matches("[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+")) {
            throw new ImageBuildException("'" + name + "' is not a valid image repository name (lower case, digits, "
                    + "'.', '_', '-' and '/')");
        }
        layering = layering == null ? Layering.DEFAULT : layering;
        if (compressionLevel < 1 || compressionLevel > 9) {
            throw new ImageBuildException("gzip level must be 1-9, not " + compressionLevel);
        }
        log = log == null ? Log.NONE : log;
        recipe = recipe == null ? Recipe.APP : recipe;
    }

    /** The same request with this cache key. */
    public ImageRequest withCacheKey(CacheKey key) {
        return new ImageRequest(packages, noExtract, config, buildTimestamp, name, tag, ociLayout, dockerArchive, sbom,
                digestFile, cacheDir, layering, compressionLevel, log, recipe, key, arch);
    }

    /** The same request for this target architecture (a pacman name: {@code x86_64}, {@code i686}, ...). */
    public ImageRequest forArch(String pacmanArch) {
        return new ImageRequest(packages, noExtract, config, buildTimestamp, name, tag, ociLayout, dockerArchive, sbom,
                digestFile, cacheDir, layering, compressionLevel, log, recipe, cacheKey, pacmanArch);
    }

    /** Defaults: no NoExtract, the default layering, gzip level 6, no outputs beyond what is set later. */
    public static ImageRequest of(List<ImagePackage> packages, ImageConfig config, long buildTimestamp, String name,
                                  String tag, Path ociLayout, Path dockerArchive, Path cacheDir, Log log) {
        return new ImageRequest(packages, List.of(), config, buildTimestamp, name, tag, ociLayout, dockerArchive, null,
                null, cacheDir, Layering.DEFAULT, 6, log);
    }
}
