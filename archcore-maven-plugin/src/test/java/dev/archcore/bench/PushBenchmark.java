package dev.archcore.bench;

import dev.archcore.image.ImageBuilder;
import dev.archcore.image.ImageConfig;
import dev.archcore.image.ImagePackage;
import dev.archcore.image.ImageRequest;
import dev.archcore.image.ImageResult;
import dev.archcore.image.Layering;
import dev.archcore.registry.PushRequest;
import dev.archcore.registry.PushResult;
import dev.archcore.registry.RegistryClient;
import dev.archcore.registry.RegistryReference;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.TestPackages;
import dev.archcore.util.Log;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Times {@code RegistryClient.push} (what archcore:push runs) of a big OCI layout to a fresh local registry, for
 * bench/push-benchmark.sh. A benchmark, not a test (test sources: it ships nowhere).
 *
 * <pre>
 * java -cp CP dev.archcore.bench.PushBenchmark make WORKDIR [PACKAGES=8] [RANDOM_MIB_PER_PACKAGE=32] [HOST_MIB=200]
 *      makes WORKDIR/oci (once; cached): PACKAGES packages of seeded random data plus a share of the host's
 *      /usr/lib/x86_64-linux-gnu files (up to HOST_MIB in all), built into an image with gzip level 1
 * java -cp CP dev.archcore.bench.PushBenchmark push LAYOUT HOST:PORT/REPO:TAG [--no-chunks | --chunk-mib N]
 *      one push over plain HTTP (a whole-JVM run): prints "push ms=... digest=... sent=... skipped=..."
 * java -cp CP dev.archcore.bench.PushBenchmark inproc LAYOUT WORKDIR [RUNS=5] [--no-chunks | --chunk-mib N]
 *      one JVM: a warm-up push (plus re-push) to a fresh registry, then RUNS times: a fresh registry
 *      (docker-registry, new storage), a cold push, a re-push of the unchanged image, the registry stopped and
 *      its storage deleted. Prints "inproc run=I cold_ms=... repush_ms=..." and the medians.
 * --no-chunks sends every blob in one PUT, --chunk-mib N uses N MiB PATCH chunks, --parallel N uploads N blobs at
 * once (default: PushRequest's threshold, chunks and parallelism, what archcore:push uses); for diagnosis only.
 * </pre>
 */
public final class PushBenchmark {
    public static void main(String[] argv) throws Exception {
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("--no-chunks")) { // diagnosis: every blob in one PUT
                chunkThreshold = Long.MAX_VALUE;
            } else if (argv[i].equals("--chunk-mib")) {
                chunkSize = Integer.parseInt(argv[++i]) << 20;
                chunkThreshold = Math.min(chunkThreshold, chunkSize);
            } else if (argv[i].equals("--parallel")) {
                parallel = Integer.parseInt(argv[++i]);
            } else {
                rest.add(argv[i]);
            }
        }
        String[] args = rest.toArray(String[]::new);
        switch (args.length == 0 ? "" : args[0]) {
            case "make" -> make(Path.of(args[1]), arg(args, 2, 8), arg(args, 3, 32), arg(args, 4, 200));
            case "push" -> {
                long t = System.nanoTime();
                PushResult r = push(Path.of(args[1]), args[2]);
                print("push", (System.nanoTime() - t) / 1e6, r);
            }
            case "inproc" -> inproc(Path.of(args[1]), Path.of(args[2]), arg(args, 3, 5));
            default -> {
                System.err.println("usage: PushBenchmark make WORKDIR [PACKAGES] [RANDOM_MIB] [HOST_MIB] | push LAYOUT REF"
                        + " | inproc LAYOUT WORKDIR [RUNS]; push and inproc take --no-chunks or --chunk-mib N");
                System.exit(2);
            }
        }
    }

    private static int arg(String[] args, int i, int dflt) {
        return args.length > i ? Integer.parseInt(args[i]) : dflt;
    }

    /** 0: PushRequest's defaults (what archcore:push uses) unless --no-chunks / --chunk-mib / --parallel set them. */
    private static long chunkThreshold = 0;
    private static int chunkSize = 0;
    private static int parallel = 0;

    static PushResult push(Path layout, String ref) {
        PushRequest request = new PushRequest(layout, RegistryReference.parse(ref)).insecure(true).log(Log.NONE);
        if (chunkThreshold > 0) {
            request.chunking(chunkThreshold, chunkSize > 0 ? chunkSize : 64 << 20);
        }
        if (parallel > 0) {
            request.parallelUploads(parallel);
        }
        return RegistryClient.push(request);
    }

    private static void print(String what, double ms, PushResult r) {
        System.out.printf(Locale.ROOT, "%s ms=%.1f digest=%s sent=%d skipped=%d bytes=%d requests=%d%n", what, ms,
                r.digest(), r.sent(), r.skipped(), r.bytesSent(), r.requests());
    }

    private static void inproc(Path layout, Path work, int runs) throws IOException {
        List<Double> cold = new ArrayList<>();
        List<Double> again = new ArrayList<>();
        for (int i = 0; i <= runs; i++) {
            Path dir = work.resolve("inproc-registry-" + i);
            deleteTree(dir);
            try (RegistryServer registry = RegistryServer.plain(dir)) {
                String ref = registry.host() + "/bench:1";
                long t = System.nanoTime();
                PushResult r1 = push(layout, ref);
                double c = (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                PushResult r2 = push(layout, ref);
                double a = (System.nanoTime() - t) / 1e6;
                String label = i == 0 ? "warmup" : "run=" + i;
                print("inproc " + label + " cold", c, r1);
                print("inproc " + label + " repush", a, r2);
                System.out.printf(Locale.ROOT, "inproc %s cold_ms=%.1f repush_ms=%.1f%n", label, c, a);
                if (i > 0) {
                    cold.add(c);
                    again.add(a);
                }
            } finally {
                deleteTree(dir);
            }
        }
        System.out.printf(Locale.ROOT, "inproc median_cold_ms=%.1f median_repush_ms=%.1f%n", median(cold), median(again));
    }

    private static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        int n = s.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** WORKDIR/oci: PACKAGES packages, each a layer of its own (Layering.DEFAULT has 8 buckets), gzip level 1. */
    private static void make(Path work, int count, int randomMib, int hostMib) throws IOException {
        Path oci = work.resolve("oci");
        if (Files.exists(oci.resolve("index.json"))) {
            System.out.println("layout cached: " + oci);
            return;
        }
        deleteTree(work.resolve("src"));
        deleteTree(work.resolve("pkgs"));
        deleteTree(work.resolve("cache"));
        deleteTree(work.resolve("oci.tmp"));
        Path host = Path.of("/usr/lib/x86_64-linux-gnu");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(host)) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.isReadable(p)).sorted().toList();
        }
        long hostBudget = (long) hostMib << 20;
        long hostBytes = 0;
        long t0 = System.nanoTime();
        List<ImagePackage> packages = new ArrayList<>();
        byte[] buf = new byte[1 << 20];
        for (int i = 0; i < count; i++) {
            Path root = work.resolve("src/p" + i);
            Random random = new Random(4242 + i);
            Path data = Files.createDirectories(root.resolve("usr/share/bench" + i));
            for (int f = 0; f < 4; f++) { // a few files of incompressible data
                try (OutputStream out = Files.newOutputStream(data.resolve("blob" + f + ".bin"))) {
                    for (int m = 0; m < randomMib / 4; m++) {
                        random.nextBytes(buf);
                        out.write(buf);
                    }
                }
            }
            for (int j = i; j < files.size(); j += count) {
                Path f = files.get(j);
                long size = Files.size(f);
                if (hostBytes + size > hostBudget) {
                    continue;
                }
                Path to = root.resolve("usr/lib/bench").resolve(host.relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
                hostBytes += size;
            }
            Path pkg = TestPackages.write(TestPackages.Spec.of("bench" + i, "1-1"), root, work.resolve("pkgs"), 1_790_000_000L);
            packages.add(i == count - 1 ? ImagePackage.app(pkg) : ImagePackage.dependency(pkg));
        }
        System.out.printf(Locale.ROOT, "%d packages: %d MiB random + %.1f MiB of host files, packed in %.1f s%n", count,
                (long) count * (randomMib / 4) * 4, hostBytes / 1048576.0, (System.nanoTime() - t0) / 1e9);
        long t = System.nanoTime();
        ImageResult r = ImageBuilder.build(new ImageRequest(packages, List.of(), ImageConfig.empty(), 1_800_000_000L,
                "bench/push", "1", work.resolve("oci.tmp"), null, null, null, work.resolve("cache"), Layering.DEFAULT, 1,
                Log.NONE));
        Files.move(work.resolve("oci.tmp"), oci);
        long size = r.layers().stream().mapToLong(ImageResult.Layer::size).sum();
        System.out.printf(Locale.ROOT, "image built in %.1f s: %d layers, %,d bytes compressed, %s%n",
                (System.nanoTime() - t) / 1e9, r.layers().size(), size, r.manifestDigest());
        deleteTree(work.resolve("src"));
        deleteTree(work.resolve("pkgs"));
        deleteTree(work.resolve("cache"));
    }
}
