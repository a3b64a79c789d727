package dev.archcore.bench;

import com.github.luben.zstd.ZstdOutputStream;
import dev.archcore.pacman.Compression;
import dev.archcore.pacman.PackageMetadata;
import dev.archcore.pacman.PackageTree;
import dev.archcore.pacman.PackageWriter;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Times archcore's packer on a {@code $pkgdir}: a benchmark, not a test (it asserts nothing and ships nowhere).
 * Driven by {@code bench/pack-benchmark.sh}, which also times makepkg and bsdtar on the same tree.
 *
 * <pre>
 * java -cp CLASSPATH dev.archcore.bench.PackBenchmark PKGDIR OUTDIR [RUNS] [--phases | --phases-first] [--no-warmup] [--level N] [--threads]
 * </pre>
 *
 * Each run is a full pack, {@link PackageTree#scan} plus {@link PackageWriter#write} (zstd, level 3 by default),
 * after one untimed warm-up run (unless {@code --no-warmup}). Output lines are {@code key=value} so a script can
 * read them: {@code archcore run=I ms=T} per run and {@code archcore median_ms=...} at the end.
 *
 * <p>{@code --phases} then times the parts of a pack separately (each with a warm-up and RUNS runs, medians
 * printed as {@code phase name=... median_ms=...}): the scan, reading the files, the digests (serial and parallel
 * as the writer computes them), tar alone, tar+zstd with the writer's settings and variants, zstd alone on an
 * in-memory tar, and the writer without compression; plus a one-pass prototype (digests computed while the bytes
 * stream into tar and zstd). The tar and digest phases re-implement what {@code PackageWriter} does with the same
 * libraries, since its internals are private. Each phase line also gives {@code first_ms}, its untimed first run,
 * and {@code cpu_ms}, the process CPU time (all threads, zstd's native workers included). {@code --phases-first}
 * runs the phases before the full packs, in a fresh JVM, so {@code first_ms} shows what a cold JVM pays per phase
 * (class loading, JIT) the first time it reaches that code.
 *
 * <p>{@code --threads} adds a {@code threads run=I ...} line per pack: the CPU milliseconds of each group of the
 * JVM's threads during it (the main thread, named "java", the C1 and C2 compilers, GC), from {@code /proc/self/task/}; zstd's workers are
 * native threads that end with their stream, so they are {@code other}, the process CPU minus the named threads.
 */
public final class PackBenchmark {
    private static final long MTIME = 1_700_000_000L;

    private final Path pkgdir;
    private final Path outdir;
    private final int runs;
    private final int level;

    private PackBenchmark(Path pkgdir, Path outdir, int runs, int level) {
        this.pkgdir = pkgdir;
        this.outdir = outdir;
        this.runs = runs;
        this.level = level;
    }

    public static void main(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        boolean phases = false;
        boolean phasesFirst = false;
        boolean warmup = true;
        boolean threads = false;
        int level = Compression.ZSTD.defaultLevel();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--phases" -> phases = true;
                case "--phases-first" -> phases = phasesFirst = true;
                case "--no-warmup" -> warmup = false;
                case "--threads" -> threads = true;
                case "--level" -> level = Integer.parseInt(args[++i]);
                case "-h", "--help" -> usage(0);
                default -> {
                    if (args[i].startsWith("--")) {
                        usage(2);
                    }
                    positional.add(args[i]);
                }
            }
        }
        if (positional.size() < 2 || positional.size() > 3) {
            usage(2);
        }
        Path pkgdir = Path.of(positional.get(0)).toAbsolutePath();
        Path outdir = Path.of(positional.get(1)).toAbsolutePath();
        int runs = positional.size() == 3 ? Integer.parseInt(positional.get(2)) : 5;
        if (!Files.isDirectory(pkgdir) || runs < 1) {
            usage(2);
        }
        Files.createDirectories(outdir);
        PackBenchmark bench = new PackBenchmark(pkgdir, outdir, runs, level);
        if (phasesFirst) {
            bench.phases();
        }
        bench.full(warmup, threads);
        if (phases && !phasesFirst) {
            bench.phases();
        }
    }

    private static void usage(int status) {
        System.err.println("usage: PackBenchmark PKGDIR OUTDIR [RUNS=5] [--phases | --phases-first] [--no-warmup] [--level N] [--threads]");
        System.exit(status);
    }

    // ------------------------------------------------------------------ the full pack

    private Path pack() throws IOException {
        PackageTree tree = PackageTree.scan(pkgdir);
        PackageMetadata md = metadata(tree.installedSize());
        Path target = outdir.resolve(md.fileName(Compression.ZSTD));
        new PackageWriter(Compression.ZSTD, level).write(tree, md, List.of(), "archcore bench", MTIME, target);
        return target;
    }

    private static PackageMetadata metadata(long size) {
        PackageMetadata.BuildInfo buildInfo = new PackageMetadata.BuildInfo(
                "0".repeat(64), "/build", "/startdir", "archcore", "bench",
                List.of("!distcc", "!color", "!ccache", "check", "!sign"),
                List.of("!strip", "docs", "libtool", "staticlibs", "emptydirs", "!zipman", "!purge", "!debug", "!lto"),
                List.of());
        return new PackageMetadata("bench", "bench", "1.0-1", "archcore pack benchmark", "https://example.invalid/bench",
                MTIME, "archcore bench <bench@example.invalid>", size, "x86_64",
                List.of("MIT"), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), buildInfo);
    }

    private void full(boolean warmup, boolean threads) throws IOException {
        PackageTree tree = PackageTree.scan(pkgdir);
        long files = tree.entries().stream().filter(e -> e.type() == PackageTree.Type.FILE).count();
        System.out.printf(Locale.ROOT, "archcore pkgdir=%s entries=%d files=%d input_bytes=%d level=%d cpus=%d%n", pkgdir,
                tree.entries().size(), files, tree.installedSize(), level, Runtime.getRuntime().availableProcessors());
        if (warmup) {
            long t = System.nanoTime();
            pack();
            System.out.printf(Locale.ROOT, "archcore warmup_ms=%.1f%n", ms(System.nanoTime() - t));
        }
        double[] times = new double[runs];
        double[] cpu = new double[runs];
        Path target = null;
        for (int i = 0; i < runs; i++) {
            Map<String, Long> before = threads ? threadCpuMs() : Map.of();
            long c = cpuNanos();
            long t = System.nanoTime();
            target = pack();
            times[i] = ms(System.nanoTime() - t);
            cpu[i] = ms(cpuNanos() - c);
            System.out.printf(Locale.ROOT, "archcore run=%d ms=%.1f cpu_ms=%.1f%n", i + 1, times[i], cpu[i]);
            if (threads) {
                StringBuilder line = new StringBuilder("threads run=" + (i + 1));
                long named = 0;
                for (Map.Entry<String, Long> e : threadCpuMs().entrySet()) {
                    long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                    named += d;
                    if (d > 0) {
                        line.append(' ').append(e.getKey()).append('=').append(d);
                    }
                }
                System.out.println(line.append(" other=").append(Math.round(cpu[i]) - named));
            }
        }
        System.out.printf(Locale.ROOT, "archcore median_ms=%.1f min_ms=%.1f max_ms=%.1f cpu_median_ms=%.1f runs=%d warmup=%d package_bytes=%d package=%s%n",
                median(times), min(times), max(times), median(cpu), runs, warmup ? 1 : 0, Files.size(target), target);
    }

    // ------------------------------------------------------------------ phases

    private void phases() throws IOException {
        PackageTree tree = PackageTree.scan(pkgdir);
        List<PackageTree.Entry> regular = tree.entries().stream().filter(e -> e.type() == PackageTree.Type.FILE).toList();
        byte[][] tarBytes = new byte[1][];
        Map<String, Op> ops = new LinkedHashMap<>();
        ops.put("scan", () -> PackageTree.scan(pkgdir));
        ops.put("read_files", () -> regular.forEach(e -> digest(e.source())));
        ops.put("md5_serial", () -> regular.forEach(e -> digest(e.source(), "MD5")));
        ops.put("sha256_serial", () -> regular.forEach(e -> digest(e.source(), "SHA-256")));
        ops.put("digests_serial", () -> regular.forEach(e -> digest(e.source(), "MD5", "SHA-256")));
        ops.put("digests_parallel", () -> regular.parallelStream().forEach(e -> digest(e.source(), "MD5", "SHA-256")));
        ops.put("tar_only", () -> tar(tree, new NullOutputStream()));
        ops.put("tar_to_memory", () -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128 << 20);
            tar(tree, bytes);
            tarBytes[0] = bytes.toByteArray();
        });
        ops.put("zstd_only_w2", () -> compress(tarBytes[0], Compression.ZSTD.wrap(new NullOutputStream(), level)));
        ops.put("zstd_only_w0", () -> compress(tarBytes[0], new ZstdOutputStream(new NullOutputStream(), level).setChecksum(true)));
        // what the writer does after the digests: tar -> zstd (2 workers) -> 1 MiB buffer -> sink
        ops.put("tar_zstd_w2", () -> tarZstd(tree, 2, false));
        ops.put("tar_zstd_w2_buffered", () -> tarZstd(tree, 2, true));
        ops.put("tar_zstd_w0", () -> tarZstd(tree, 0, false));
        ops.put("tar_zstd_w0_buffered", () -> tarZstd(tree, 0, true));
        // a prototype of one pass: digests computed while the bytes stream into tar -> zstd (what writing the
        // data as its own zstd frame, after a metadata frame holding .MTREE, would allow)
        ops.put("onepass_digest_tar_zstd_w0", () -> onePass(tree, 0));
        ops.put("onepass_digest_tar_zstd_w2", () -> onePass(tree, 2));
        ops.put("writer_none", () -> new PackageWriter(Compression.NONE, 0)
                .write(tree, metadata(tree.installedSize()), List.of(), "archcore bench", MTIME, outdir.resolve("phase-none.pkg.tar")));
        ops.put("writer_zstd", () -> new PackageWriter(Compression.ZSTD, level)
                .write(tree, metadata(tree.installedSize()), List.of(), "archcore bench", MTIME, outdir.resolve("phase-zstd.pkg.tar.zst")));
        ops.put("full_pack", this::pack);
        for (Map.Entry<String, Op> op : ops.entrySet()) {
            long first = System.nanoTime();
            op.getValue().run(); // warm-up, and fills tarBytes for the zstd-only phases
            double firstMs = ms(System.nanoTime() - first);
            double[] times = new double[runs];
            double[] cpu = new double[runs];
            for (int i = 0; i < runs; i++) {
                long c = cpuNanos();
                long t = System.nanoTime();
                op.getValue().run();
                times[i] = ms(System.nanoTime() - t);
                cpu[i] = ms(cpuNanos() - c);
            }
            System.out.printf(Locale.ROOT, "phase name=%s median_ms=%.1f min_ms=%.1f max_ms=%.1f first_ms=%.1f cpu_ms=%.1f%n",
                    op.getKey(), median(times), min(times), max(times), firstMs, median(cpu));
        }
        System.out.printf(Locale.ROOT, "phase tar_bytes=%d%n", tarBytes[0].length);
        Files.deleteIfExists(outdir.resolve("phase-none.pkg.tar"));
        Files.deleteIfExists(outdir.resolve("phase-zstd.pkg.tar.zst"));
    }

    @FunctionalInterface
    private interface Op {
        void run() throws IOException;
    }

    private void tarZstd(PackageTree tree, int workers, boolean buffered) throws IOException {
        OutputStream sink = new BufferedOutputStream(new NullOutputStream(), 1 << 20);
        OutputStream zstd = new ZstdOutputStream(sink, level).setChecksum(true).setWorkers(workers);
        tar(tree, buffered ? new BufferedOutputStream(zstd, 1 << 20) : zstd);
    }

    private void onePass(PackageTree tree, int workers) throws IOException {
        OutputStream sink = new BufferedOutputStream(new NullOutputStream(), 1 << 20);
        OutputStream zstd = new ZstdOutputStream(sink, level).setChecksum(true).setWorkers(workers);
        MessageDigest md5 = messageDigest("MD5");
        MessageDigest sha256 = messageDigest("SHA-256");
        tar(tree, zstd, (buffer, n) -> {
            md5.update(buffer, 0, n);
            sha256.update(buffer, 0, n);
        }, () -> {
            md5.digest();
            sha256.digest();
        });
    }

    private static void compress(byte[] data, OutputStream out) throws IOException {
        try (out) {
            for (int off = 0; off < data.length; off += 10240) { // the tar stream's block size
                out.write(data, off, Math.min(10240, data.length - off));
            }
        }
    }

    @FunctionalInterface
    private interface Chunk {
        void accept(byte[] buffer, int n);
    }

    private static void tar(PackageTree tree, OutputStream out) throws IOException {
        tar(tree, out, null, null);
    }

    /**
     * The writer's tar settings and per-entry work (metadata members left out), closing {@code out}. With
     * {@code chunk}, file bytes are copied through a 64 KiB buffer and handed to it too; {@code endOfFile} follows.
     */
    private static void tar(PackageTree tree, OutputStream out, Chunk chunk, Runnable endOfFile) throws IOException {
        byte[] buffer = new byte[1 << 16];
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            for (PackageTree.Entry e : tree.entries()) {
                TarArchiveEntry entry = switch (e.type()) {
                    case DIRECTORY -> new TarArchiveEntry(e.path() + "/", TarConstants.LF_DIR);
                    case FILE -> new TarArchiveEntry(e.path(), TarConstants.LF_NORMAL);
                    case SYMLINK -> new TarArchiveEntry(e.path(), TarConstants.LF_SYMLINK);
                    case HARDLINK -> new TarArchiveEntry(e.path(), TarConstants.LF_LINK);
                };
                if (e.link() != null) {
                    entry.setLinkName(e.link());
                }
                entry.setMode(e.mode());
                entry.setSize(e.type() == PackageTree.Type.FILE ? e.size() : 0);
                entry.setIds(0, 0);
                entry.setNames("root", "root");
                entry.setModTime(FileTime.from(MTIME, TimeUnit.SECONDS));
                tar.putArchiveEntry(entry);
                if (e.type() == PackageTree.Type.FILE) {
                    try (InputStream in = Files.newInputStream(e.source())) {
                        if (chunk == null) {
                            in.transferTo(tar);
                        } else {
                            for (int n; (n = in.read(buffer)) > 0; ) {
                                chunk.accept(buffer, n);
                                tar.write(buffer, 0, n);
                            }
                            endOfFile.run();
                        }
                    }
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
    }

    /** Reads the file through the given digests (none: just reads it), as the writer's digest pass does. */
    private static void digest(Path file, String... algorithms) {
        MessageDigest[] digests = Arrays.stream(algorithms).map(PackBenchmark::messageDigest).toArray(MessageDigest[]::new);
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                for (MessageDigest d : digests) {
                    d.update(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (MessageDigest d : digests) {
            d.digest();
        }
    }

    private static MessageDigest messageDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class NullOutputStream extends OutputStream {
        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }

    // ------------------------------------------------------------------ statistics

    /** CPU ms (user + sys) of the live threads by name, numbers dropped ("GC Thread#1" counts as "GC_Thread"). */
    private static Map<String, Long> threadCpuMs() throws IOException {
        Map<String, Long> byName = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim().replaceAll("#?[0-9]+$", "").replace(' ', '_');
                    String stat = Files.readString(task.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // utime and stime in clock ticks, 100 per second on Linux
                    byName.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10, Long::sum);
                } catch (NoSuchFileException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return byName;
    }

    /** CPU time of the whole process (every thread: ours, zstd's native workers, GC and JIT). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
