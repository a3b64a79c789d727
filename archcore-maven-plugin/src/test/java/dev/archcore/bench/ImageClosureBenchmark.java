package dev.archcore.bench;

import dev.archcore.image.ImageBuilder;
import dev.archcore.image.ImageConfig;
import dev.archcore.image.ImagePackage;
import dev.archcore.image.ImageRequest;
import dev.archcore.image.ImageResult;
import dev.archcore.image.Layering;
import dev.archcore.pacman.Compression;
import dev.archcore.pacman.PackageFile;
import dev.archcore.pacman.PackageMetadata;
import dev.archcore.pacman.PackageReader;
import dev.archcore.pacman.PackageTree;
import dev.archcore.pacman.PackageWriter;
import dev.archcore.repo.ClosureRequest;
import dev.archcore.repo.DependencyClosure;
import dev.archcore.repo.Keyring;
import dev.archcore.repo.PackageFetcher;
import dev.archcore.repo.PacmanConf;
import dev.archcore.repo.RepoWriter;
import dev.archcore.util.Compressed;
import dev.archcore.util.Log;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The image benchmark on a dependency closure: a synthetic repository of 160 packages (about 20,000 files and
 * 300 MB installed), an app package depending on it, and {@code archcore:image}'s code path (the app's depends
 * resolved and fetched by {@link DependencyClosure}, then {@link ImageBuilder#build}) timed against pacman -S +
 * bsdtar, which {@code bench/image-benchmark.sh} runs. A benchmark, not a test: it asserts nothing and ships
 * nowhere.
 *
 * <pre>
 * java -cp CP dev.archcore.bench.ImageClosureBenchmark generate WORK
 * java -cp CP dev.archcore.bench.ImageClosureBenchmark app WORK N
 * java -cp CP dev.archcore.bench.ImageClosureBenchmark build WORK CACHE OUT APP_PKG [--level N] [--buckets] [--log]
 * java -cp CP dev.archcore.bench.ImageClosureBenchmark floor WORK [RUNS] [--detail]
 * java -cp CP dev.archcore.bench.ImageClosureBenchmark phases WORK SCRATCH [RUNS]
 * </pre>
 *
 * <ul>
 * <li>{@code generate}: writes {@code WORK/repo} (159 dependency packages and {@code app 1-1}, written by
 * {@link PackageWriter} with zstd 3, in a repository made by {@link RepoWriter}), {@code WORK/app/} (the app
 * package), {@code WORK/pacman.conf} ({@code Server = file://WORK/repo}, {@code SigLevel = Never}). Everything
 * is a function of a fixed seed except the ELF files, which are copies of the host's shared libraries (picked by
 * sorted name and size; the listing id printed tells whether two machines used the same ones).</li>
 * <li>{@code app WORK N}: writes {@code app N-1} (new content, same depends) to {@code WORK/app/}, prints its
 * path. The warm runs use one per build.</li>
 * <li>{@code build}: what {@code archcore:image} does, in this fresh JVM: read the app package, resolve and fetch
 * its depends through CACHE (lock file {@code CACHE/packages.lock.json}), then build the image (OCI layout,
 * docker-archive, SBOM, digest file into OUT, layer cache {@code CACHE/layers}). Prints
 * {@code timing resolve_ms=... image_ms=... total_ms=... cpu_ms=...} and each layer. {@code --buckets} gives
 * the dependencies no origin, so the default layering hashes them over 6 layers instead of one per repository;
 * {@code --log} prints the engines' log with times since the start.</li>
 * <li>{@code floor}: reads every package of the image once (zstd decompression) and gzips the whole decompressed
 * stream once at level 6 (the JDK's zlib, as the layer writer), in one thread: RUNS times, prints
 * {@code floor median_ms=...}. {@code --detail} adds decompression alone, deflate alone at levels 1 and 6 (from
 * memory), zstd -3 of the same bytes (from memory), and the same work split over 2 threads.</li>
 * <li>{@code phases}: one JVM, RUNS runs of each: resolve+fetch (cold, warm), the image build with an empty
 * layer cache, with only the package indexes cached, with only the layers cached, fully cached, after an app
 * change, at gzip level 1, and with the dependencies spread over 6 bucket layers (levels 6 and 1).</li>
 * </ul>
 */
public final class ImageClosureBenchmark {
    static final long EPOCH = 1_790_000_000L;
    static final long SEED = 0x5EED_2026L;
    static final int DEPS = 159;
    static final int TOTAL_FILES = 20_000;
    static final long TOTAL_BYTES = 300L << 20;
    static final long ELF_BYTES = 105L << 20;
    static final int RANDOM_FILES = 1_500;
    static final long RANDOM_BYTES = 45L << 20;
    static final int DATA_FILES = 2_000;
    static final long DATA_BYTES = 30L << 20;
    static final String REPO = "bench";

    private enum Kind { TEXT, ELF, RANDOM, DATA }

    private record FileSpec(int id, Kind kind, long size, Path source) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ImageClosureBenchmark generate|app|build|floor|phases WORK ...");
            System.exit(2);
        }
        Path work = Path.of(args[1]).toAbsolutePath();
        switch (args[0]) {
            case "generate" -> generate(work);
            case "app" -> System.out.println(writeApp(work, Integer.parseInt(args[2])));
            case "build" -> build(work, Path.of(args[2]), Path.of(args[3]), Path.of(args[4]), List.of(args).subList(5, args.length));
            case "floor" -> floor(work, args.length > 2 && !args[2].startsWith("--") ? Integer.parseInt(args[2]) : 5,
                    List.of(args).contains("--detail"), level(List.of(args)));
            case "phases" -> phases(work, Path.of(args[2]), args.length > 3 ? Integer.parseInt(args[3]) : 3);
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    // ------------------------------------------------------------------ generate

    static void generate(Path work) throws Exception {
        long t0 = System.nanoTime();
        Path repo = work.resolve("repo");
        Path trees = work.resolve("gen-trees");
        deleteTree(repo);
        deleteTree(trees);
        deleteTree(work.resolve("app"));
        Files.createDirectories(repo);
        Random rnd = new Random(SEED);

        // the dependency DAG: dep i depends on 0-3 deps of lower index; the app on every dep nobody depends on
        List<String> names = new ArrayList<>();
        for (int i = 0; i < DEPS; i++) {
            names.add(String.format(Locale.ROOT, "%s%03d", i < 40 ? "lib" : i < 110 ? "pkg" : "tool", i));
        }
        List<List<String>> depends = new ArrayList<>();
        boolean[] needed = new boolean[DEPS];
        for (int i = 0; i < DEPS; i++) {
            Map<String, String> d = new java.util.TreeMap<>();
            int n = i == 0 ? 0 : Math.min(i, rnd.nextInt(4));
            for (int k = 0; k < n; k++) {
                int j = rnd.nextInt(i);
                needed[j] = true;
                d.put(names.get(j), names.get(j) + (rnd.nextInt(4) == 0 ? ">=1" : ""));
            }
            depends.add(List.copyOf(d.values()));
        }
        List<String> appDepends = new ArrayList<>();
        for (int i = 0; i < DEPS; i++) {
            if (!needed[i]) {
                appDepends.add(names.get(i));
            }
        }
        Files.writeString(work.resolve("app.depends"), String.join("\n", appDepends) + "\n");

        // the files: host ELF libraries, then seeded random, data and text files, each given to a package by weight
        List<FileSpec> files = new ArrayList<>();
        List<Path> elves = hostElves(ELF_BYTES);
        int id = 0;
        for (Path p : elves) {
            files.add(new FileSpec(id++, Kind.ELF, Files.size(p), p));
        }
        int textFiles = TOTAL_FILES - files.size() - RANDOM_FILES - DATA_FILES;
        long elfBytes = files.stream().mapToLong(FileSpec::size).sum();
        long textBytes = TOTAL_BYTES - elfBytes - RANDOM_BYTES - DATA_BYTES;
        id = addSized(files, id, Kind.RANDOM, RANDOM_FILES, RANDOM_BYTES, 24_000, 1.3, rnd);
        id = addSized(files, id, Kind.DATA, DATA_FILES, DATA_BYTES, 9_000, 1.0, rnd);
        addSized(files, id, Kind.TEXT, textFiles, textBytes, 4_000, 1.2, rnd);

        double[] weight = new double[DEPS];
        double sum = 0;
        for (int i = 0; i < DEPS; i++) {
            weight[i] = Math.exp(1.1 * rnd.nextGaussian());
            sum += weight[i];
        }
        List<List<FileSpec>> byPackage = new ArrayList<>();
        for (int i = 0; i < DEPS; i++) {
            byPackage.add(new ArrayList<>());
        }
        for (FileSpec f : files) {
            double r = rnd.nextDouble() * sum;
            int i = 0;
            while (i < DEPS - 1 && (r -= weight[i]) > 0) {
                i++;
            }
            byPackage.get(i).add(f);
        }
        for (int i = 0; i < DEPS; i++) { // every package holds something
            if (byPackage.get(i).isEmpty()) {
                List<FileSpec> biggest = byPackage.stream().max(Comparator.comparingInt(List::size)).orElseThrow();
                byPackage.get(i).add(biggest.remove(biggest.size() - 1));
            }
        }

        AtomicLong written = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<Path>> futures = new ArrayList<>();
        for (int i = 0; i < DEPS; i++) {
            int pi = i;
            futures.add(pool.submit(() -> {
                String name = names.get(pi);
                Path tree = trees.resolve(name);
                written.addAndGet(writeTree(tree, name, byPackage.get(pi)));
                Path pkg = writePackage(name, "1.0-1", "x86_64", depends.get(pi), tree, repo);
                deleteTree(tree);
                return pkg;
            }));
        }
        List<Path> packages = new ArrayList<>();
        for (Future<Path> f : futures) {
            packages.add(f.get());
        }
        pool.shutdown();
        Path app = writeApp(work, 1);
        Files.copy(app, repo.resolve(app.getFileName()));
        packages.add(repo.resolve(app.getFileName()));
        new RepoWriter(repo, REPO, EPOCH).add(packages);
        deleteTree(trees);
        Files.writeString(work.resolve("pacman.conf"), """
                [options]
                Architecture = auto
                SigLevel = Never
                LocalFileSigLevel = Never

                [%s]
                SigLevel = Never
                Server = file://%s
                """.formatted(REPO, repo));

        long pkgBytes = 0;
        for (Path p : packages) {
            pkgBytes += Files.size(p);
        }
        Map<Kind, long[]> stats = new LinkedHashMap<>();
        for (FileSpec f : files) {
            long[] s = stats.computeIfAbsent(f.kind(), k -> new long[2]);
            s[0]++;
            s[1] += f.size();
        }
        StringBuilder listing = new StringBuilder();
        elves.forEach(p -> listing.append(p).append(' ').append(sizeOf(p)).append('\n'));
        System.out.printf(Locale.ROOT, "generated packages=%d deps=%d app_depends=%d files=%d file_bytes=%d package_bytes=%d "
                        + "elf_listing_id=%s seconds=%.1f%n", packages.size(), DEPS, appDepends.size(), files.size(),
                written.get(), pkgBytes, sha256(listing.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16),
                (System.nanoTime() - t0) / 1e9);
        stats.forEach((k, s) -> System.out.printf(Locale.ROOT, "generated kind=%s files=%d bytes=%d%n", k, s[0], s[1]));
    }

    /** Shared libraries of the host, sorted by path, 16 KiB to 8 MiB, unique file names, until {@code bytes}. */
    private static List<Path> hostElves(long bytes) throws IOException {
        List<Path> out = new ArrayList<>();
        TreeSet<String> seen = new TreeSet<>();
        long total = 0;
        for (String dir : List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/jvm", "/usr/lib", "/usr/bin")) {
            Path d = Path.of(dir);
            if (!Files.isDirectory(d)) {
                continue;
            }
            List<Path> candidates;
            try (Stream<Path> walk = Files.walk(d)) {
                candidates = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                        .filter(p -> dir.equals("/usr/bin") || p.getFileName().toString().matches(".*\\.so(\\.[0-9.]+)?"))
                        .filter(p -> {
                            long s = sizeOf(p);
                            return s >= 16 << 10 && s <= 8 << 20 && Files.isReadable(p);
                        })
                        .sorted().toList();
            }
            for (Path p : candidates) {
                if (total >= bytes) {
                    return out;
                }
                if (seen.add(p.getFileName().toString())) {
                    out.add(p);
                    total += sizeOf(p);
                }
            }
        }
        return out;
    }

    /** {@code count} files of a kind with log-normal sizes around {@code median}, scaled to {@code bytes} in all. */
    private static int addSized(List<FileSpec> files, int id, Kind kind, int count, long bytes, long median,
                                double sigma, Random rnd) {
        double[] raw = new double[count];
        double sum = 0;
        for (int i = 0; i < count; i++) {
            raw[i] = Math.min(median * Math.exp(sigma * rnd.nextGaussian()), 40.0 * median);
            sum += raw[i];
        }
        for (int i = 0; i < count; i++) {
            files.add(new FileSpec(id++, kind, Math.max(1, Math.round(raw[i] * bytes / sum)), null));
        }
        return id;
    }

    private static long writeTree(Path tree, String name, List<FileSpec> files) throws IOException {
        long bytes = 0;
        Random layout = new Random(SEED ^ name.hashCode());
        int textDirs = 1 + layout.nextInt(6);
        String firstElf = null;
        for (FileSpec f : files) {
            Random r = new Random(SEED * 31 + f.id());
            String path = switch (f.kind()) {
                case ELF -> "usr/lib/" + f.source().getFileName();
                case RANDOM -> "usr/share/" + name + "/assets/d" + (f.id() % 4) + "/asset" + f.id()
                        + List.of(".png", ".gz", ".jar", ".bin").get(f.id() % 4);
                case DATA -> "usr/share/" + name + "/data/table" + f.id() + ".dat";
                case TEXT -> switch (f.id() % 5) {
                    case 0 -> "usr/include/" + name + "/sub" + (f.id() % textDirs) + "/h" + f.id() + ".h";
                    case 1 -> "usr/share/doc/" + name + "/ch" + (f.id() % textDirs) + "/doc" + f.id() + ".txt";
                    case 2 -> "usr/share/man/man3/" + name + "_" + f.id() + ".3";
                    default -> "usr/lib/python3.11/site-packages/" + name + "/m" + (f.id() % textDirs) + "/mod" + f.id() + ".py";
                };
            };
            Path p = tree.resolve(path);
            Files.createDirectories(p.getParent());
            switch (f.kind()) {
                case ELF -> {
                    Files.copy(f.source(), p);
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                    if (firstElf == null) {
                        firstElf = p.getFileName().toString();
                    }
                }
                case RANDOM -> {
                    byte[] b = new byte[(int) f.size()];
                    r.nextBytes(b);
                    Files.write(p, b);
                }
                case DATA -> Files.write(p, data(r, (int) f.size()));
                case TEXT -> Files.write(p, text(r, (int) f.size()));
            }
            bytes += f.size();
        }
        if (firstElf != null) {
            Path link = tree.resolve("usr/lib/lib" + name + ".so");
            if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, Path.of(firstElf));
            }
        }
        Files.createDirectories(tree.resolve("usr/share/licenses/" + name));
        Files.writeString(tree.resolve("usr/share/licenses/" + name + "/LICENSE"), "MIT License\n\nCopyright " + name + "\n");
        return bytes;
    }

    private static final String[] VOCAB;

    static {
        Random r = new Random(SEED + 1);
        String[] common = {"the", "if", "return", "int", "const", "struct", "self", "def", "for", "in", "of", "to",
                "static", "void", "char", "else", "while", "None", "and", "is", "a", "import", "from", "class"};
        VOCAB = new String[3000];
        for (int i = 0; i < VOCAB.length; i++) {
            if (i < common.length) {
                VOCAB[i] = common[i];
                continue;
            }
            int len = 2 + r.nextInt(11);
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < len; k++) {
                sb.append((char) ('a' + r.nextInt(26)));
                if (k > 2 && r.nextInt(9) == 0) {
                    sb.append('_');
                }
            }
            VOCAB[i] = sb.toString();
        }
    }

    /** Source- and doc-like text: Zipf-ish words from a fixed vocabulary, indented lines. */
    static byte[] text(Random r, int size) {
        StringBuilder sb = new StringBuilder(size + 128);
        String[] punct = {" ", " ", " ", " ", ", ", "(", ") ", ".", " = ", "_", "->", ": "};
        while (sb.length() < size) {
            int indent = r.nextInt(4) * 4;
            for (int i = 0; i < indent; i++) {
                sb.append(' ');
            }
            int words = 2 + r.nextInt(11);
            for (int w = 0; w < words; w++) {
                double u = r.nextDouble();
                sb.append(VOCAB[(int) (VOCAB.length * u * u * u)]);
                sb.append(punct[r.nextInt(punct.length)]);
            }
            sb.append('\n');
        }
        sb.setLength(size);
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Table-like data: structured records with slowly changing numbers (compresses well). */
    static byte[] data(Random r, int size) {
        StringBuilder sb = new StringBuilder(size + 128);
        long key = r.nextInt(1000);
        int value = r.nextInt(100);
        while (sb.length() < size) {
            key += 1 + r.nextInt(3);
            value += r.nextInt(5) - 2;
            sb.append(String.format(Locale.ROOT, "%08d\t%6d\t0x%04x\tentry\n", key, value, (int) (key * 7) & 0xffff));
        }
        sb.setLength(size);
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static Path writePackage(String name, String version, String arch, List<String> depends, Path tree, Path outDir)
            throws IOException {
        PackageTree scanned = PackageTree.scan(tree);
        PackageMetadata md = new PackageMetadata(name, name, version, "the " + name + " benchmark package",
                "https://example.invalid/" + name, EPOCH, "Archcore Bench <bench@example.invalid>",
                scanned.installedSize(), arch, List.of("MIT"), List.of(), List.of(), List.of(), List.of(), List.of(),
                depends, List.of(), List.of(), List.of(),
                new PackageMetadata.BuildInfo("0".repeat(64), "/build", "/startdir", "makepkg", "6.0.2", List.of(),
                        List.of(), List.of()));
        Path target = outDir.resolve(md.fileName(Compression.ZSTD));
        Files.createDirectories(outDir);
        new PackageWriter(Compression.ZSTD, 3).write(scanned, md, List.of(), "archcore bench", EPOCH, target);
        return target;
    }

    /** {@code app N-1}: a launcher, a 4 MiB jar and 20 library jars (new bytes per N), a config and a README. */
    static Path writeApp(Path work, int n) throws IOException {
        List<String> depends = Files.readAllLines(work.resolve("app.depends")).stream().filter(s -> !s.isBlank()).toList();
        Path tree = work.resolve("gen-app-" + n);
        deleteTree(tree);
        Random r = new Random(SEED * 7 + n);
        Files.createDirectories(tree.resolve("usr/bin"));
        Path bin = tree.resolve("usr/bin/app");
        Files.writeString(bin, "#!/bin/sh\nexec java -jar /usr/share/app/app.jar \"$@\"\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] jar = new byte[4 << 20];
        r.nextBytes(jar);
        Files.createDirectories(tree.resolve("usr/share/app/lib"));
        Files.write(tree.resolve("usr/share/app/app.jar"), jar);
        for (int i = 0; i < 20; i++) {
            byte[] lib = new byte[50_000 + r.nextInt(150_000)];
            r.nextBytes(lib);
            Files.write(tree.resolve("usr/share/app/lib/lib" + i + ".jar"), lib);
        }
        Files.createDirectories(tree.resolve("etc/app"));
        Files.writeString(tree.resolve("etc/app/app.conf"), "version = " + n + "\nport = 8080\n");
        Files.createDirectories(tree.resolve("usr/share/doc/app"));
        Files.write(tree.resolve("usr/share/doc/app/README"), text(r, 20_000));
        Path pkg = writePackage("app", n + "-1", "x86_64", depends, tree, work.resolve("app"));
        deleteTree(tree);
        return pkg;
    }

    // ------------------------------------------------------------------ build (archcore:image's code path)

    record Timing(double resolveMs, double imageMs, double totalMs, double cpuMs, ImageResult result, List<String> log) {
    }

    static void build(Path work, Path cache, Path out, Path appPkg, List<String> options) {
        int level = level(options);
        boolean buckets = options.contains("--buckets");
        boolean printLog = options.contains("--log");
        Timing t = runImage(work, cache, out, appPkg, level, buckets);
        if (printLog) {
            t.log().forEach(System.out::println);
        }
        print(t);
    }

    /** {@code --level N}, else archcore:image's default gzip level. */
    static int level(List<String> options) {
        int i = options.indexOf("--level");
        return i >= 0 ? Integer.parseInt(options.get(i + 1)) : 1;
    }

    static void print(Timing t) {
        for (ImageResult.Layer l : t.result().layers()) {
            System.out.printf(Locale.ROOT, "layer label=\"%s\" packages=%d bytes=%d cached=%s%n", l.label(),
                    l.packages().size(), l.size(), l.cached());
        }
        System.out.printf(Locale.ROOT, "timing resolve_ms=%.1f image_ms=%.1f total_ms=%.1f cpu_ms=%.1f packages=%d layers=%d%n",
                t.resolveMs(), t.imageMs(), t.totalMs(), t.cpuMs(), t.result().packages().size(), t.result().layers().size());
    }

    static Timing runImage(Path work, Path cache, Path out, Path appPkg, int level, boolean buckets) {
        long start = System.nanoTime();
        long cpu0 = cpuNanos();
        List<String> lines = new ArrayList<>();
        Log log = new Log() {
            @Override
            public void info(String message) {
                add("INFO", message);
            }

            @Override
            public void warn(String message) {
                add("WARN", message);
            }

            private synchronized void add(String level, String message) {
                lines.add(String.format(Locale.ROOT, "log +%.3f %s %s", (System.nanoTime() - start) / 1e9, level, message));
            }
        };
        // as ImageMojo.execute: the app package is the local build output, its depends are the targets
        PackageFile app = PackageReader.read(appPkg);
        List<String> targets = app.values("depend");
        PacmanConf conf = PacmanConf.read(work.resolve("pacman.conf"));
        DependencyClosure.Result closure = DependencyClosure.resolve(new ClosureRequest(conf, targets, Keyring.EMPTY,
                cache, cache.resolve("packages.lock.json"), false, false, log));
        List<ImagePackage> packages = new ArrayList<>();
        for (PackageFetcher.Fetched f : closure.packages()) {
            // as ImageMojo: the fetcher has just checked the file against this sha256, the indexer need not hash it again
            packages.add(new ImagePackage(f.file(), false, buckets ? null : f.pkg().repository(), List.of("sha256"),
                    f.pkg().sha256()).readFrom(f.verified()));
        }
        packages.add(ImagePackage.app(app.file(), app.sha256()));
        long resolved = System.nanoTime();
        ImageResult result;
        try {
            result = ImageBuilder.build(new ImageRequest(packages, conf.noExtract(),
                    new ImageConfig(List.of("/usr/bin/app"), null, Map.of("APP_PORT", "8080"), null, null, List.of("8080"),
                            null, null, null, null),
                    EPOCH, "bench/app", app.version().replace(':', '-'), out.resolve("image"), out.resolve("app-image.tar"),
                    out.resolve("image.spdx.json"), out.resolve("image.digest"), cache.resolve("layers"), Layering.DEFAULT,
                    level, log));
        } finally {
            PackageFetcher.Fetched.close(closure.packages());
        }
        long end = System.nanoTime();
        return new Timing((resolved - start) / 1e6, (end - resolved) / 1e6, (end - start) / 1e6,
                (cpuNanos() - cpu0) / 1e6, result, lines);
    }

    // ------------------------------------------------------------------ floor

    /** Every package of the image: the repository's packages (the closure is all of them) and the app. */
    static List<Path> imagePackages(Path work) throws IOException {
        try (Stream<Path> s = Files.list(work.resolve("repo"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".pkg.tar.zst")).sorted().toList();
        }
    }

    static void floor(Path work, int runs, boolean detail, int floorLevel) throws Exception {
        List<Path> pkgs = imagePackages(work);
        long inBytes = 0;
        for (Path p : pkgs) {
            inBytes += Files.size(p);
        }
        long[] counts = decompressAndGzip(pkgs, floorLevel); // warm-up
        System.out.printf(Locale.ROOT, "floor level=" + floorLevel + " packages=%d input_bytes=%d tar_bytes=%d gzip_bytes=%d%n", pkgs.size(),
                inBytes, counts[0], counts[1]);
        timeRuns("floor", runs, () -> decompressAndGzip(pkgs, floorLevel));
        if (!detail) {
            return;
        }
        timeRuns("decompress_only", runs, () -> decompressAndGzip(pkgs, -1));
        byte[][] tars = new byte[pkgs.size()][];
        for (int i = 0; i < pkgs.size(); i++) {
            try (InputStream in = Compressed.open(new BufferedInputStream(Files.newInputStream(pkgs.get(i)), 1 << 16))) {
                tars[i] = in.readAllBytes();
            }
        }
        for (int level : new int[] {6, 1}) {
            long[] size = new long[1];
            timeRuns("deflate" + level + "_only", runs, () -> {
                size[0] = deflate(Arrays.asList(tars), level);
                return null;
            });
            System.out.printf(Locale.ROOT, "floor deflate%d_bytes=%d%n", level, size[0]);
        }
        // for comparison: zstd -3 (one thread), what an OCI zstd layer would cost
        long[] zsize = new long[1];
        timeRuns("zstd3_only", runs, () -> {
            CountingSink sink = new CountingSink();
            try (com.github.luben.zstd.ZstdOutputStream z = new com.github.luben.zstd.ZstdOutputStream(sink, 3)) {
                for (byte[] t : tars) {
                    z.write(t);
                }
            }
            zsize[0] = sink.count;
            return null;
        });
        System.out.printf(Locale.ROOT, "floor zstd3_bytes=%d%n", zsize[0]);
        // the same work in 2 threads (packages split by size): what 2 layers compressed side by side could reach
        List<List<Path>> halves = split(pkgs, 2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int level : new int[] {6, 1}) {
                timeRuns("floor_2threads_level" + level, runs, () -> {
                    List<Future<long[]>> f = new ArrayList<>();
                    for (List<Path> h : halves) {
                        f.add(pool.submit(() -> decompressAndGzip(h, level)));
                    }
                    for (Future<long[]> x : f) {
                        x.get();
                    }
                    return null;
                });
            }
        } finally {
            pool.shutdown();
        }
    }

    static List<List<Path>> split(List<Path> pkgs, int parts) {
        List<List<Path>> out = new ArrayList<>();
        long[] load = new long[parts];
        for (int i = 0; i < parts; i++) {
            out.add(new ArrayList<>());
        }
        List<Path> bySize = new ArrayList<>(pkgs);
        bySize.sort(Comparator.comparingLong(ImageClosureBenchmark::sizeOf).reversed());
        for (Path p : bySize) {
            int min = 0;
            for (int i = 1; i < parts; i++) {
                if (load[i] < load[min]) {
                    min = i;
                }
            }
            out.get(min).add(p);
            load[min] += sizeOf(p);
        }
        return out;
    }

    /** Decompresses each package and gzips the concatenated tars (level < 0: decompress only); {tar, gz} bytes. */
    static long[] decompressAndGzip(List<Path> pkgs, int level) throws IOException {
        CountingSink sink = new CountingSink();
        OutputStream gz = level < 0 ? sink : new GZIPOutputStream(sink, 1 << 16) {
            {
                def.setLevel(level);
            }
        };
        long tar = 0;
        byte[] buf = new byte[1 << 16];
        for (Path p : pkgs) {
            try (InputStream in = Compressed.open(new BufferedInputStream(Files.newInputStream(p), 1 << 16))) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    gz.write(buf, 0, n);
                    tar += n;
                }
            }
        }
        gz.close();
        return new long[] {tar, sink.count};
    }

    static long deflate(List<byte[]> chunks, int level) {
        Deflater d = new Deflater(level, true);
        byte[] out = new byte[1 << 16];
        long total = 0;
        for (byte[] c : chunks) {
            for (int off = 0; off < c.length; off += 1 << 16) {
                d.setInput(c, off, Math.min(1 << 16, c.length - off));
                while (!d.needsInput()) {
                    total += d.deflate(out);
                }
            }
        }
        d.finish();
        while (!d.finished()) {
            total += d.deflate(out);
        }
        d.end();
        return total;
    }

    static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }

    interface Body {
        Object run() throws Exception;
    }

    static double timeRuns(String name, int runs, Body body) throws Exception {
        double[] wall = new double[runs];
        double[] cpu = new double[runs];
        for (int i = 0; i < runs; i++) {
            long c = cpuNanos();
            long t = System.nanoTime();
            body.run();
            wall[i] = (System.nanoTime() - t) / 1e6;
            cpu[i] = (cpuNanos() - c) / 1e6;
            System.out.printf(Locale.ROOT, "%s run=%d ms=%.1f cpu_ms=%.1f%n", name, i + 1, wall[i], cpu[i]);
        }
        double med = median(wall);
        System.out.printf(Locale.ROOT, "%s median_ms=%.1f min_ms=%.1f max_ms=%.1f cpu_median_ms=%.1f%n", name, med,
                Arrays.stream(wall).min().orElse(0), Arrays.stream(wall).max().orElse(0), median(cpu));
        return med;
    }

    // ------------------------------------------------------------------ phases

    static void phases(Path work, Path scratch, int runs) throws Exception {
        Path cache = scratch.resolve("cache");
        Path out = scratch.resolve("out");
        Path app1 = work.resolve("app/app-1-1-x86_64.pkg.tar.zst");
        deleteTree(cache);
        runImage(work, cache, out, app1, 6, false); // warm-up: JIT, page cache
        int[] appVersion = {100};
        Map<String, double[]> results = new LinkedHashMap<>();
        List<String> names = List.of("resolve_fetch_cold", "resolve_fetch_warm", "image_cold", "image_index_cached",
                "image_layers_cached", "image_all_cached", "image_app_changed", "image_cold_level1",
                "image_cold_6buckets", "image_cold_6buckets_level1");
        for (String n : names) {
            results.put(n, new double[runs]);
        }
        List<String> firstLog = null;
        for (int r = 0; r < runs; r++) {
            // resolve + fetch, cold (no cache, no lock) and warm (lock + packages cached)
            deleteTree(cache);
            Timing t = runImage(work, cache, out, app1, 6, false);
            results.get("resolve_fetch_cold")[r] = t.resolveMs();
            results.get("image_cold")[r] = t.imageMs();
            if (firstLog == null) {
                firstLog = t.log();
            }
            deleteTree(cache.resolve("layers/layers-v1"));
            results.get("image_index_cached")[r] = runImage(work, cache, out, app1, 6, false).imageMs();
            deleteTree(cache.resolve("layers/index-v2"));
            results.get("image_layers_cached")[r] = runImage(work, cache, out, app1, 6, false).imageMs();
            t = runImage(work, cache, out, app1, 6, false);
            results.get("image_all_cached")[r] = t.imageMs();
            results.get("resolve_fetch_warm")[r] = t.resolveMs();
            Path appN = writeApp(work, appVersion[0]++);
            results.get("image_app_changed")[r] = runImage(work, cache, out, appN, 6, false).imageMs();
            Files.delete(appN);
            deleteTree(cache.resolve("layers"));
            results.get("image_cold_level1")[r] = runImage(work, cache, out, app1, 1, false).imageMs();
            deleteTree(cache.resolve("layers"));
            Timing b = runImage(work, cache, out, app1, 6, true);
            results.get("image_cold_6buckets")[r] = b.imageMs();
            if (r == 0) {
                System.out.println("phase-log 6buckets level 6:");
                b.log().forEach(l -> System.out.println("  " + l));
                print(b);
            }
            deleteTree(cache.resolve("layers"));
            results.get("image_cold_6buckets_level1")[r] = runImage(work, cache, out, app1, 1, true).imageMs();
            for (String n : names) {
                System.out.printf(Locale.ROOT, "phase-run %d %s ms=%.1f%n", r + 1, n, results.get(n)[r]);
            }
        }
        System.out.println("phase-log default layering, level 6, cold:");
        firstLog.forEach(l -> System.out.println("  " + l));
        for (String n : names) {
            double[] v = results.get(n);
            System.out.printf(Locale.ROOT, "phase name=%s median_ms=%.1f min_ms=%.1f max_ms=%.1f%n", n, median(v),
                    Arrays.stream(v).min().orElse(0), Arrays.stream(v).max().orElse(0));
        }
    }

    // ------------------------------------------------------------------ helpers

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
