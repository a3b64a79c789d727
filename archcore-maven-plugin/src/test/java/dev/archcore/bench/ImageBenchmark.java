package dev.archcore.bench;

import dev.archcore.image.ImageBuilder;
import dev.archcore.image.ImageConfig;
import dev.archcore.image.ImagePackage;
import dev.archcore.image.ImageRequest;
import dev.archcore.image.ImageResult;
import dev.archcore.image.Layering;
import dev.archcore.testing.TestPackages;
import dev.archcore.util.Log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Times the image engine on a closure made from a real directory (e.g. /usr/lib/x86_64-linux-gnu): its files
 * are spread over N packages (written with our PackageWriter, zstd), then: a cold build (empty cache), a fully
 * cached rebuild, and an app-only change. A benchmark, not a test.
 *
 * <pre>
 * java -cp CLASSPATH dev.archcore.bench.ImageBenchmark SRCDIR WORKDIR [PACKAGES] [GZIP_LEVEL]
 * </pre>
 */
public final class ImageBenchmark {
    private static int level;

    public static void main(String[] args) throws IOException {
        Path src = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int count = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        level = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        List<Path> files;
        try (Stream<Path> walk = Files.walk(src)) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        long bytes = 0;
        List<ImagePackage> packages = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            Path root = work.resolve("src/p" + i);
            for (int j = i; j < files.size(); j += count) {
                Path f = files.get(j);
                Path to = root.resolve("usr/lib/bench").resolve(src.relativize(f).toString());
                Files.createDirectories(to.getParent());
                if (!Files.exists(to)) {
                    Files.copy(f, to);
                }
                bytes += Files.size(f);
            }
            Path pkg = TestPackages.write(TestPackages.Spec.of("bench" + i, "1-1"), root, work.resolve("pkgs"), 1_790_000_000L);
            packages.add(i == count - 1 ? ImagePackage.app(pkg) : ImagePackage.dependency(pkg));
        }
        System.out.printf("%d packages, %,d bytes of files, packed in %.1f s%n", count, bytes, (System.nanoTime() - t0) / 1e9);
        Path cache = work.resolve("cache");
        time("cold build", packages, cache, work.resolve("out1"));
        time("cached rebuild", packages, cache, work.resolve("out2"));
        Path root = work.resolve("src/p" + (count - 1));
        Files.writeString(root.resolve("usr/lib/bench/CHANGED"), "app v2\n");
        Path app2 = TestPackages.write(TestPackages.Spec.of("bench" + (count - 1), "2-1"), root, work.resolve("pkgs"), 1_790_000_000L);
        List<ImagePackage> changed = new ArrayList<>(packages.subList(0, count - 1));
        changed.add(ImagePackage.app(app2));
        time("app-only change", changed, cache, work.resolve("out3"));
    }

    private static void time(String what, List<ImagePackage> packages, Path cache, Path out) {
        long t = System.nanoTime();
        ImageResult r = ImageBuilder.build(new ImageRequest(packages, List.of(), ImageConfig.empty(), 1_800_000_000L,
                "bench/image", "1", out.resolve("oci"), out.resolve("image.tar"), null, null, cache, Layering.DEFAULT, level,
                Log.NONE));
        long cached = r.layers().stream().filter(ImageResult.Layer::cached).count();
        long size = r.layers().stream().mapToLong(ImageResult.Layer::size).sum();
        System.out.printf("%s: %.2f s, %d layers (%d from cache), %,d bytes compressed, %s%n", what,
                (System.nanoTime() - t) / 1e9, r.layers().size(), cached, size, r.manifestDigest());
    }
}
