package dev.archcore.bench;

import dev.archcore.repo.ClosureRequest;
import dev.archcore.repo.DatabaseFetcher;
import dev.archcore.repo.DependencyClosure;
import dev.archcore.repo.Keyring;
import dev.archcore.repo.LockFile;
import dev.archcore.repo.PackageCache;
import dev.archcore.repo.PackageFetcher;
import dev.archcore.repo.PacmanConf;
import dev.archcore.repo.RepoPackage;
import dev.archcore.repo.RepoWriter;
import dev.archcore.repo.Resolver;
import dev.archcore.repo.SyncDatabase;
import dev.archcore.testing.TestPackages;
import dev.archcore.util.Log;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The "Pacman repositories" benchmark: resolving and downloading a closure of ~160 packages (~300 MB) from one
 * HTTP mirror on 127.0.0.1, cold and warm. A benchmark, not a test (it asserts nothing and ships nowhere). Driven
 * by {@code bench/repo-benchmark.sh}, which also times {@code pacman -Sy} + {@code pacman -Sw} on the same closure
 * and the same server. Four modes:
 *
 * <pre>
 * java -cp CP dev.archcore.bench.RepoBenchmark generate REPODIR [--packages 160] [--total-mb 300] [--seed 42]
 * java -cp CP dev.archcore.bench.RepoBenchmark serve ROOT PORTFILE [--rate MBPS] [--total-rate MBPS] [--latency MS] [--log FILE]
 * java -cp CP dev.archcore.bench.RepoBenchmark cold CONF WORK [RUNS=1] [--no-warmup] [--target bench-app]
 * java -cp CP dev.archcore.bench.RepoBenchmark warm CONF CACHE LOCK [RUNS=5] [--no-warmup] [--phases | --phases-first] [--target bench-app]
 * java -cp CP dev.archcore.bench.RepoBenchmark startup CONF CACHE LOCK [--target bench-app]
 * </pre>
 *
 * <p>{@code generate} writes a repository {@code core} (our {@link RepoWriter}) of {@code --packages} packages of
 * architecture {@code any} written by our packer ({@link TestPackages#write(TestPackages.Spec, Path, Path, long)}),
 * each holding seeded random (incompressible) bytes, sizes drawn per tier from 10 kB to 20 MB and scaled to
 * {@code --total-mb}; one root {@code bench-app} depends on a DAG of all the others (a spanning tree plus extra
 * shared edges, some with version constraints), so the closure of {@code bench-app} is the whole repository.
 *
 * <p>{@code serve} is a small HTTP/1.1 file server (GET and HEAD, keep-alive, one thread per connection, ETag and
 * Last-Modified with 304s for conditional GETs) that writes files with {@code FileChannel.transferTo} (sendfile)
 * so that it is not what limits a client on loopback. Optional throttles imitate a real mirror: {@code --rate}
 * MB/s per connection (paced in 64 KiB chunks), {@code --total-rate} MB/s shared by all connections,
 * {@code --latency} ms before the first byte of every answer. It writes its port into PORTFILE once listening and
 * logs one line per request ({@code conn=I method path status bytes ms}) to {@code --log}.
 *
 * <p>{@code cold}: each run resolves the target with {@link DependencyClosure#resolve} against an empty cache
 * ({@code WORK/cache-cold}) and no lock ({@code WORK/cold.lock}), both deleted (untimed) before the run; RUNS runs
 * after one untimed warm-up unless {@code --no-warmup}. It leaves the last run's cache and lock in place: that is
 * what {@code warm} starts from. Prints {@code archcore-cold run=I ms=T cpu_ms=C packages=N bytes=B db_ms=D
 * first_download_ms=F} ({@code db_ms}: the database downloaded, {@code first_download_ms}: the first package
 * requested, so their difference is parsing and resolving).
 *
 * <p>{@code warm}: the same call with the cache and the lock present (the database revalidated with a conditional
 * GET, the lock reused, every cached package re-hashed). {@code --phases} then times its parts separately:
 * the database revalidation, parsing the database, a full resolution (what the lock saves), reading the lock, and
 * re-hashing the cached packages serially and with 6 threads (as the fetcher does). {@code --phases-first} runs
 * the phases before the warm resolves, in the fresh JVM, so that their {@code first_ms} shows what a cold JVM pays
 * for each part (class loading, interpreter, JIT) the first time.
 *
 * <p>{@code startup}: where the fixed cost of a fresh JVM goes. Each step is the first use of that code in the
 * JVM, in the order a resolve meets them, and prints {@code startup step=NAME ms=T}: {@code jvm_to_main} (JVM
 * start to main), {@code conf} (PacmanConf.read), {@code keyring_class} (Keyring.EMPTY: BouncyCastle, from signed
 * jars), {@code okhttp_client} (a client like the fetchers' own), {@code first_get} (the database, with it),
 * {@code db_fetch} (DatabaseFetcher.fetch into an empty directory: the fetcher's own client), {@code db_parse},
 * {@code resolve}, {@code lock_json} (LockFile.of + toJson: Jackson), {@code lock_read}, then
 * {@code hash_cache_6threads} (re-hashing the cached closure with 6 threads as the fetcher does, cold JIT) and
 * {@code hash_cache_again} (the same with the JIT warm).
 */
public final class RepoBenchmark {
    static final long EPOCH = 1_790_000_000L;
    static final String ROOT = "bench-app";

    private RepoBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        switch (args[0]) {
            case "generate" -> generate(rest);
            case "serve" -> serve(rest);
            case "cold" -> cold(rest);
            case "warm" -> warm(rest);
            case "startup" -> startup(rest);
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: RepoBenchmark generate REPODIR [--packages N] [--total-mb MB] [--seed S]\n"
                + "       RepoBenchmark serve ROOT PORTFILE [--rate MBPS] [--total-rate MBPS] [--latency MS] [--log FILE]\n"
                + "       RepoBenchmark cold CONF WORK [RUNS] [--no-warmup] [--target NAME]\n"
                + "       RepoBenchmark warm CONF CACHE LOCK [RUNS] [--no-warmup] [--phases | --phases-first] [--target NAME]\n"
                + "       RepoBenchmark startup CONF CACHE LOCK [--target NAME]");
        System.exit(2);
    }

    /** Removes {@code --name value} from args and returns the value, or the default. */
    private static String option(List<String> args, String name, String dflt) {
        int i = args.indexOf(name);
        if (i < 0) {
            return dflt;
        }
        if (i + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        String value = args.get(i + 1);
        args.remove(i + 1);
        args.remove(i);
        return value;
    }

    private static boolean flag(List<String> args, String name) {
        return args.remove(name);
    }

    // ------------------------------------------------------------------------------------------- generate

    /** Size tiers: share of the packages, smallest and largest size in bytes (before scaling to the total). */
    private static final long[][] TIERS = {
            // percent, min, max
            {20, 10_000, 50_000},
            {28, 60_000, 300_000},
            {25, 400_000, 1_200_000},
            {15, 1_500_000, 3_500_000},
            {8, 5_000_000, 9_000_000},
            {4, 16_000_000, 20_000_000},
    };

    private static void generate(List<String> args) throws IOException {
        int count = Integer.parseInt(option(args, "--packages", "160"));
        long total = Long.parseLong(option(args, "--total-mb", "300")) * 1_000_000L;
        long seed = Long.parseLong(option(args, "--seed", "42"));
        if (args.size() != 1 || count < 2) {
            usage();
        }
        Path repo = Path.of(args.get(0)).toAbsolutePath();
        Files.createDirectories(repo);
        Random random = new Random(seed);

        // sizes: count - 1 libraries drawn per tier, the root app a small package
        int libs = count - 1;
        long[] sizes = new long[libs];
        int at = 0;
        for (int t = 0; t < TIERS.length && at < libs; t++) {
            int n = t == TIERS.length - 1 ? libs - at : (int) Math.round(libs * TIERS[t][0] / 100.0);
            for (int k = 0; k < n && at < libs; k++) {
                long min = TIERS[t][1];
                long max = TIERS[t][2];
                sizes[at++] = min + (long) (random.nextDouble() * (max - min));
            }
        }
        long sum = Arrays.stream(sizes).sum();
        // scale the tiers >= 1 MB so that the total is what was asked (small packages keep their size)
        long small = Arrays.stream(sizes).filter(s -> s < 1_000_000).sum();
        double scale = Math.max(0.1, (double) (total - small) / Math.max(1, sum - small));
        for (int i = 0; i < libs; i++) {
            if (sizes[i] >= 1_000_000) {
                sizes[i] = Math.min(20_000_000, Math.round(sizes[i] * scale));
            }
        }
        // shuffle so that big packages sit anywhere in the graph
        for (int i = libs - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long s = sizes[i];
            sizes[i] = sizes[j];
            sizes[j] = s;
        }

        String[] kinds = {"lib", "tool", "data", "py", "font", "icons", "runtime", "codec"};
        String[] names = new String[libs];
        for (int i = 0; i < libs; i++) {
            names[i] = "bench-" + kinds[random.nextInt(kinds.length)] + "-" + String.format(Locale.ROOT, "%03d", i);
        }
        // DAG: package i may only depend on packages j > i. The root depends on 0..9; every j >= 10 gets one
        // parent among the earlier packages (so everything is reachable), and each package up to 3 extra edges.
        List<List<String>> deps = new ArrayList<>();
        for (int i = 0; i < libs; i++) {
            deps.add(new ArrayList<>());
        }
        List<String> rootDeps = new ArrayList<>();
        for (int i = 0; i < Math.min(10, libs); i++) {
            rootDeps.add(names[i]);
        }
        for (int j = 10; j < libs; j++) {
            int parent = Math.max(0, j - 1 - random.nextInt(Math.min(j, 25)));
            deps.get(parent).add(relation(names[j], random));
        }
        for (int i = 0; i < libs - 1; i++) {
            int extra = random.nextInt(4);
            for (int e = 0; e < extra; e++) {
                int j = i + 1 + random.nextInt(libs - i - 1);
                String rel = relation(names[j], random);
                if (deps.get(i).stream().noneMatch(d -> d.startsWith(names[j]))) {
                    deps.get(i).add(rel);
                }
            }
        }

        long t0 = System.nanoTime();
        Path work = Files.createDirectories(repo.resolve(".gen"));
        List<Path> written = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < libs; i++) {
            written.add(write(work, repo, names[i], version(i), deps.get(i), sizes[i], seed * 1000 + i));
        }
        written.add(write(work, repo, ROOT, "2.1.0-1", rootDeps, 150_000, seed * 1000 + libs));
        for (Path p : written) {
            bytes += Files.size(p);
        }
        deleteTree(work);
        RepoWriter.Result result = new RepoWriter(repo, "core", EPOCH).log(Log.NONE).add(written);
        System.out.printf(Locale.ROOT, "generated packages=%d bytes=%d database=%s seconds=%.1f%n", written.size(), bytes,
                result.database(), (System.nanoTime() - t0) / 1e9);
    }

    private static String version(int i) {
        return (1 + i % 7) + "." + (i % 13) + "." + (i % 5) + "-" + (1 + i % 3);
    }

    private static String relation(String name, Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> name + ">=1.0";
            case 1 -> name + ">0.5";
            default -> name;
        };
    }

    private static Path write(Path work, Path repo, String name, String version, List<String> depends, long size,
                              long seed) throws IOException {
        Path pkgdir = work.resolve(name);
        Path data = Files.createDirectories(pkgdir.resolve("usr/share/" + name)).resolve("data");
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(data)) {
            for (long left = size; left > 0; ) {
                int n = (int) Math.min(chunk.length, left);
                random.nextBytes(chunk);
                out.write(chunk, 0, n);
                left -= n;
            }
        }
        TestPackages.Spec spec = TestPackages.Spec.of(name, version).arch("any")
                .depends(depends.toArray(String[]::new));
        Path pkg = TestPackages.write(spec, pkgdir, repo, EPOCH);
        deleteTree(pkgdir);
        return pkg;
    }

    // ------------------------------------------------------------------------------------------- serve

    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private static void serve(List<String> args) throws IOException {
        double rate = Double.parseDouble(option(args, "--rate", "0")) * 1_000_000;
        double totalRate = Double.parseDouble(option(args, "--total-rate", "0")) * 1_000_000;
        long latency = Long.parseLong(option(args, "--latency", "0"));
        String logFile = option(args, "--log", null);
        if (args.size() != 2) {
            usage();
        }
        Path root = Path.of(args.get(0)).toAbsolutePath().normalize();
        Path portFile = Path.of(args.get(1));
        PrintStream log = logFile == null ? null
                : new PrintStream(Files.newOutputStream(Path.of(logFile), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), true, StandardCharsets.UTF_8);
        Server server = new Server(root, rate, totalRate, latency, log);
        ServerSocketChannel listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, port + "\n");
        Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.out.printf(Locale.ROOT, "serving %s on http://127.0.0.1:%d rate=%s total_rate=%s latency_ms=%d%n", root,
                port, rate > 0 ? rate / 1e6 + "MB/s" : "unlimited", totalRate > 0 ? totalRate / 1e6 + "MB/s" : "unlimited",
                latency);
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "conn");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger connections = new AtomicInteger();
        while (true) {
            SocketChannel channel = listener.accept();
            int id = connections.incrementAndGet();
            pool.execute(() -> server.connection(channel, id));
        }
    }

    /** A keep-alive HTTP/1.1 file server, one thread per connection, with optional pacing and latency. */
    private static final class Server {
        private final Path root;
        private final double rate;
        private final double totalRate;
        private final long latency;
        private final PrintStream log;
        private final long epoch = System.nanoTime();
        /** total-rate pacing: the time (nanoTime) at which the shared link is next free */
        private long linkFree = System.nanoTime();

        Server(Path root, double rate, double totalRate, long latency, PrintStream log) {
            this.root = root;
            this.rate = rate;
            this.totalRate = totalRate;
            this.latency = latency;
            this.log = log;
        }

        void connection(SocketChannel channel, int id) {
            try (channel) {
                channel.socket().setTcpNoDelay(true);
                ByteBuffer in = ByteBuffer.allocate(16384);
                while (true) {
                    String head = readHead(channel, in);
                    if (head == null) {
                        return;
                    }
                    if (!answer(channel, id, head)) {
                        return;
                    }
                }
            } catch (IOException e) {
                // client went away
            }
        }

        /** The request head up to the blank line, or null at end of stream. Leftover bytes stay in {@code in}. */
        private static String readHead(SocketChannel channel, ByteBuffer in) throws IOException {
            while (true) {
                int end = headEnd(in);
                if (end >= 0) {
                    String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
                    int consumed = end + 4;
                    System.arraycopy(in.array(), consumed, in.array(), 0, in.position() - consumed);
                    in.position(in.position() - consumed);
                    return head;
                }
                if (!in.hasRemaining()) {
                    throw new IOException("request head too large");
                }
                if (channel.read(in) < 0) {
                    return null;
                }
            }
        }

        private static int headEnd(ByteBuffer in) {
            byte[] a = in.array();
            for (int i = 0; i + 3 < in.position(); i++) {
                if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        /** Answers one request; false when the connection is to be closed. */
        private boolean answer(SocketChannel channel, int id, String head) throws IOException {
            long start = System.nanoTime();
            String[] lines = head.split("\r\n");
            String[] request = lines[0].split(" ");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).strip());
                }
            }
            boolean keepAlive = request.length == 3 && request[2].equals("HTTP/1.1")
                    ? !"close".equalsIgnoreCase(headers.get("connection"))
                    : "keep-alive".equalsIgnoreCase(headers.get("connection"));
            String method = request[0];
            String target = request.length > 1 ? request[1] : "/";
            if (latency > 0) {
                sleepNanos(TimeUnit.MILLISECONDS.toNanos(latency));
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                status(channel, 405, "Method Not Allowed", keepAlive);
                log(id, method, target, 405, 0, start);
                return keepAlive;
            }
            String path = URLDecoder.decode(target.replaceFirst("\\?.*$", ""), StandardCharsets.UTF_8);
            Path file = root.resolve(path.replaceFirst("^/+", "")).normalize();
            if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                status(channel, 404, "Not Found", keepAlive);
                log(id, method, target, 404, 0, start);
                return keepAlive;
            }
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            long size = attrs.size();
            Instant mtime = attrs.lastModifiedTime().toInstant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            String etag = "\"" + Long.toHexString(size) + "-" + Long.toHexString(mtime.getEpochSecond()) + "\"";
            String lastModified = HTTP_DATE.format(mtime);
            if (notModified(headers, etag, mtime)) {
                String h = "HTTP/1.1 304 Not Modified\r\nETag: " + etag + "\r\nLast-Modified: " + lastModified
                        + "\r\nConnection: " + (keepAlive ? "keep-alive" : "close") + "\r\n\r\n";
                writeFully(channel, ByteBuffer.wrap(h.getBytes(StandardCharsets.ISO_8859_1)));
                log(id, method, target, 304, 0, start);
                return keepAlive;
            }
            String h = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size
                    + "\r\nETag: " + etag + "\r\nLast-Modified: " + lastModified + "\r\nDate: "
                    + HTTP_DATE.format(Instant.now()) + "\r\nConnection: " + (keepAlive ? "keep-alive" : "close")
                    + "\r\n\r\n";
            writeFully(channel, ByteBuffer.wrap(h.getBytes(StandardCharsets.ISO_8859_1)));
            long sent = 0;
            if (method.equals("GET")) {
                try (FileChannel fc = FileChannel.open(file, StandardOpenOption.READ)) {
                    sent = send(fc, size, channel);
                }
            }
            log(id, method, target, 200, sent, start);
            return keepAlive;
        }

        private static boolean notModified(Map<String, String> headers, String etag, Instant mtime) {
            String match = headers.get("if-none-match");
            if (match != null) {
                return Arrays.stream(match.split(",")).map(String::strip).anyMatch(m -> m.equals(etag) || m.equals("*"));
            }
            String since = headers.get("if-modified-since");
            if (since != null) {
                try {
                    return !mtime.isAfter(ZonedDateTime.parse(since, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                } catch (DateTimeParseException e) {
                    return false;
                }
            }
            return false;
        }

        private long send(FileChannel fc, long size, SocketChannel channel) throws IOException {
            long sent = 0;
            if (rate <= 0 && totalRate <= 0) {
                while (sent < size) {
                    sent += fc.transferTo(sent, size - sent, channel);
                }
                return sent;
            }
            long chunk = 64 * 1024;
            long begin = System.nanoTime();
            while (sent < size) {
                long n = Math.min(chunk, size - sent);
                if (totalRate > 0) {
                    long at;
                    synchronized (this) {
                        long now = System.nanoTime();
                        linkFree = Math.max(linkFree, now) + (long) (n * 1e9 / totalRate);
                        at = linkFree;
                    }
                    sleepNanos(at - System.nanoTime());
                }
                for (long done = 0; done < n; ) {
                    done += fc.transferTo(sent + done, n - done, channel);
                }
                sent += n;
                if (rate > 0) {
                    sleepNanos(begin + (long) (sent * 1e9 / rate) - System.nanoTime());
                }
            }
            return sent;
        }

        private static void status(SocketChannel channel, int code, String reason, boolean keepAlive) throws IOException {
            String h = "HTTP/1.1 " + code + " " + reason + "\r\nContent-Length: 0\r\nConnection: "
                    + (keepAlive ? "keep-alive" : "close") + "\r\n\r\n";
            writeFully(channel, ByteBuffer.wrap(h.getBytes(StandardCharsets.ISO_8859_1)));
        }

        private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }

        private void log(int id, String method, String target, int status, long bytes, long start) {
            if (log != null) {
                long now = System.nanoTime();
                log.printf(Locale.ROOT, "t=%.3f conn=%d %s %s %d %d ms=%.1f%n", (now - epoch) / 1e9, id, method, target,
                        status, bytes, (now - start) / 1e6);
            }
        }

        private static void sleepNanos(long nanos) {
            if (nanos <= 0) {
                return;
            }
            try {
                TimeUnit.NANOSECONDS.sleep(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------------------------------- cold / warm

    /** Collects the engine's messages with the time each arrived, so a run can tell where its time went. */
    private static final class TimedLog implements Log {
        final long start = System.nanoTime();
        final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile long database = -1;
        volatile long firstDownload = -1;

        @Override
        public void info(String message) {
            long t = System.nanoTime() - start;
            if (database < 0 && (message.startsWith("Downloaded [") || message.contains("database is up to date"))) {
                database = t;
            }
            if (firstDownload < 0 && message.startsWith("Downloading ")) {
                firstDownload = t;
            }
            lines.add(String.format(Locale.ROOT, "%9.3f INFO %s", t / 1e9, message));
        }

        @Override
        public void warn(String message) {
            lines.add(String.format(Locale.ROOT, "%9.3f WARN %s", (System.nanoTime() - start) / 1e9, message));
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private record Run(double ms, double cpuMs, DependencyClosure.Result result, TimedLog log) {
        long bytes() {
            long sum = 0;
            for (PackageFetcher.Fetched f : result.packages()) {
                try {
                    sum += Files.size(f.file());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return sum;
        }
    }

    private static Run resolve(PacmanConf conf, String target, Path cache, Path lock) {
        TimedLog log = new TimedLog();
        long cpu = cpuNanos();
        long t = System.nanoTime();
        DependencyClosure.Result result = DependencyClosure.resolve(new ClosureRequest(conf, List.of(target),
                Keyring.EMPTY, cache, lock, false, false, log));
        double ms = (System.nanoTime() - t) / 1e6;
        return new Run(ms, (cpuNanos() - cpu) / 1e6, result, log);
    }

    private static void cold(List<String> args) throws IOException {
        boolean warmup = !flag(args, "--no-warmup");
        String target = option(args, "--target", ROOT);
        if (args.size() < 2 || args.size() > 3) {
            usage();
        }
        long t0 = System.nanoTime();
        PacmanConf conf = PacmanConf.read(Path.of(args.get(0)));
        double confMs = (System.nanoTime() - t0) / 1e6;
        Path work = Path.of(args.get(1)).toAbsolutePath();
        int runs = args.size() > 2 ? Integer.parseInt(args.get(2)) : 1;
        Path cache = work.resolve("cache-cold");
        Path lock = work.resolve("cold.lock");
        List<Double> times = new ArrayList<>();
        for (int i = warmup ? 0 : 1; i <= runs; i++) {
            deleteTree(cache);
            Files.deleteIfExists(lock);
            Run run = resolve(conf, target, cache, lock);
            if (i == 0) {
                System.out.printf(Locale.ROOT, "archcore-cold warmup ms=%.1f%n", run.ms());
                continue;
            }
            times.add(run.ms());
            System.out.printf(Locale.ROOT, "archcore-cold run=%d ms=%.1f cpu_ms=%.1f packages=%d bytes=%d db_ms=%.1f"
                            + " first_download_ms=%.1f conf_ms=%.1f%n", i, run.ms(), run.cpuMs(), run.result().packages().size(),
                    run.bytes(), run.log().database / 1e6, run.log().firstDownload / 1e6, confMs);
            if (i == runs) {
                Files.write(work.resolve("archcore-cold.messages"), run.log().lines);
            }
        }
        System.out.printf(Locale.ROOT, "archcore-cold median_ms=%.1f%n", median(times));
    }

    private static void warm(List<String> args) throws Exception {
        boolean warmup = !flag(args, "--no-warmup");
        boolean phasesFirst = flag(args, "--phases-first");
        boolean phases = flag(args, "--phases") || phasesFirst;
        String target = option(args, "--target", ROOT);
        if (args.size() < 3 || args.size() > 4) {
            usage();
        }
        long t0 = System.nanoTime();
        PacmanConf conf = PacmanConf.read(Path.of(args.get(0)));
        double confMs = (System.nanoTime() - t0) / 1e6;
        Path cache = Path.of(args.get(1)).toAbsolutePath();
        Path lock = Path.of(args.get(2)).toAbsolutePath();
        int runs = args.size() > 3 ? Integer.parseInt(args.get(3)) : 5;
        if (!Files.isRegularFile(lock)) {
            throw new IllegalStateException("no lock file " + lock + ": run the cold mode first");
        }
        if (phasesFirst) {
            phases(conf, target, cache, lock, runs);
        }
        List<Double> times = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        for (int i = warmup ? 0 : 1; i <= runs; i++) {
            Run run = resolve(conf, target, cache, lock);
            long downloaded = run.result().packages().stream().filter(PackageFetcher.Fetched::downloaded).count();
            if (!run.result().lockReused() || downloaded > 0) {
                throw new IllegalStateException("not a warm run: lock reused " + run.result().lockReused() + ", "
                        + downloaded + " packages downloaded");
            }
            if (i == 0) {
                System.out.printf(Locale.ROOT, "archcore-warm warmup ms=%.1f%n", run.ms());
                continue;
            }
            times.add(run.ms());
            cpu.add(run.cpuMs());
            System.out.printf(Locale.ROOT, "archcore-warm run=%d ms=%.1f cpu_ms=%.1f packages=%d bytes=%d conf_ms=%.1f%n",
                    i, run.ms(), run.cpuMs(), run.result().packages().size(), run.bytes(), confMs);
        }
        System.out.printf(Locale.ROOT, "archcore-warm median_ms=%.1f cpu_median_ms=%.1f%n", median(times), median(cpu));
        if (phases && !phasesFirst) {
            phases(conf, target, cache, lock, runs);
        }
    }

    private static void startup(List<String> args) throws Exception {
        String target = option(args, "--target", ROOT);
        if (args.size() != 3) {
            usage();
        }
        long main = System.currentTimeMillis();
        // the JVM's own record of its start (ProcessHandle's start instant is only as exact as /proc's btime: 1 s)
        long started = ManagementFactory.getRuntimeMXBean().getStartTime();
        long[] t = {System.nanoTime()};
        Map<String, Double> steps = new LinkedHashMap<>();
        java.util.function.Consumer<String> step = name -> {
            long now = System.nanoTime();
            steps.put(name, (now - t[0]) / 1e6);
            t[0] = now;
        };
        steps.put("jvm_to_main", (double) (main - started));
        t[0] = System.nanoTime();
        PacmanConf conf = PacmanConf.read(Path.of(args.get(0)));
        step.accept("conf");
        Keyring keyring = Keyring.EMPTY;
        step.accept("keyring_class");
        okhttp3.OkHttpClient client = new okhttp3.OkHttpClient.Builder().build();
        step.accept("okhttp_client");
        PacmanConf.Repository repo = conf.repositories().get(0);
        try (okhttp3.Response response = client.newCall(new okhttp3.Request.Builder()
                .url(repo.servers().get(0) + "/" + repo.name() + ".db").build()).execute()) {
            response.body().bytes();
        }
        step.accept("first_get");
        Path dir = Files.createTempDirectory("repo-benchmark-startup");
        try {
            Path db = new DatabaseFetcher(keyring, Log.NONE).fetch(repo.name(), repo.servers(), repo.sigLevel(), dir);
            step.accept("db_fetch");
            SyncDatabase parsed = SyncDatabase.read(repo.name(), db);
            step.accept("db_parse");
            List<RepoPackage> closure = Resolver.of(conf, List.of(parsed)).resolve(List.of(target)).packages();
            step.accept("resolve");
            LockFile.of(List.of(target), closure).toJson();
            step.accept("lock_json");
        } finally {
            deleteTree(dir);
        }
        LockFile lock = LockFile.read(Path.of(args.get(2)));
        step.accept("lock_read");
        PackageCache cache = new PackageCache(Path.of(args.get(1)).resolve("packages"), Log.NONE);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            for (String name : List.of("hash_cache_6threads", "hash_cache_again")) {
                List<Future<Optional<Path>>> futures = new ArrayList<>();
                for (LockFile.Entry e : lock.packages()) {
                    futures.add(pool.submit(() -> cache.get(e.sha256())));
                }
                for (Future<Optional<Path>> f : futures) {
                    f.get().orElseThrow();
                }
                step.accept(name);
            }
        } finally {
            pool.shutdownNow();
        }
        steps.forEach((name, ms) -> System.out.printf(Locale.ROOT, "startup step=%s ms=%.1f%n", name, ms));
    }

    /** The parts of a warm resolve, each timed on its own (RUNS runs after a warm-up). */
    private static void phases(PacmanConf conf, String target, Path cache, Path lockFile, int runs) throws Exception {
        PacmanConf.Repository repo = conf.repositories().get(0);
        Path syncDir;
        try (Stream<Path> dirs = Files.list(cache.resolve("sync"))) {
            syncDir = dirs.filter(d -> d.getFileName().toString().startsWith(repo.name() + "-")).findFirst()
                    .orElseThrow();
        }
        Path db = syncDir.resolve(repo.name() + ".db");
        SyncDatabase parsed = SyncDatabase.read(repo.name(), db);
        LockFile lock = LockFile.read(lockFile);
        Map<String, RepoPackage> byFile = new LinkedHashMap<>();
        parsed.packages().forEach(p -> byFile.put(p.filename(), p));
        List<String> shas = lock.packages().stream().map(LockFile.Entry::sha256).toList();
        PackageCache packages = new PackageCache(cache.resolve("packages"), Log.NONE);

        phase("db_revalidate", runs, () -> new DatabaseFetcher(Keyring.EMPTY, Log.NONE)
                .fetch(repo.name(), repo.servers(), repo.sigLevel(), syncDir));
        phase("db_parse", runs, () -> SyncDatabase.read(repo.name(), db));
        phase("resolve_full", runs, () -> Resolver.of(conf, List.of(parsed)).resolve(List.of(target)));
        phase("lock_read", runs, () -> LockFile.read(lockFile));
        phase("cache_exists", runs, () -> {
            for (LockFile.Entry e : lock.packages()) {
                if (!packages.contains(e.sha256(), e.csize())) {
                    throw new IllegalStateException(e.filename() + " not cached");
                }
            }
            return null;
        });
        phase("cache_verify_serial", runs, () -> {
            for (String sha : shas) {
                packages.get(sha).orElseThrow();
            }
            return null;
        });
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            phase("cache_verify_6threads", runs, () -> {
                List<Future<Optional<Path>>> futures = new ArrayList<>();
                for (String sha : shas) {
                    futures.add(pool.submit(() -> packages.get(sha)));
                }
                for (Future<Optional<Path>> f : futures) {
                    f.get().orElseThrow();
                }
                return null;
            });
        } finally {
            pool.shutdownNow();
        }
        phase("closure_warm", runs, () -> resolve(conf, target, cache, lockFile));
        System.out.printf(Locale.ROOT, "phase available_processors=%d cached_bytes=%d%n",
                Runtime.getRuntime().availableProcessors(), shas.stream().mapToLong(s -> {
                    try {
                        return Files.size(packages.entry(s));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }).sum());
    }

    private interface Step {
        Object run() throws Exception;
    }

    private static void phase(String name, int runs, Step step) throws Exception {
        long t = System.nanoTime();
        step.run();
        double first = (System.nanoTime() - t) / 1e6;
        List<Double> times = new ArrayList<>();
        long cpu = cpuNanos();
        for (int i = 0; i < runs; i++) {
            t = System.nanoTime();
            step.run();
            times.add((System.nanoTime() - t) / 1e6);
        }
        double cpuMs = (cpuNanos() - cpu) / 1e6 / runs;
        System.out.printf(Locale.ROOT, "phase name=%s median_ms=%.1f min_ms=%.1f max_ms=%.1f first_ms=%.1f cpu_ms=%.1f%n",
                name, median(times), times.stream().mapToDouble(d -> d).min().orElse(0),
                times.stream().mapToDouble(d -> d).max().orElse(0), first, cpuMs);
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(d -> d).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
