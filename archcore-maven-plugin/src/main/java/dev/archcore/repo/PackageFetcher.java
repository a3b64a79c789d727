package dev.archcore.repo;

import dev.archcore.pacman.InputLimits;
import dev.archcore.pacman.PackageNames;
import dev.archcore.util.Log;
import dev.archcore.util.VerifiedFile;
import okhttp3.OkHttpClient;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Brings packages of sync databases into the {@link PackageCache}, as {@code pacman -Sw} would: in parallel,
 * each from its repository's servers in order (a connection failure, an HTTP error, a body cut short or a file
 * whose SHA-256 is not the database's {@code %SHA256SUM%} moves on to the next server), its signature checked
 * per the repository's {@link SigLevel} with a {@link Keyring} (from {@code %PGPSIG%}, else
 * {@code <server>/<file>.sig}) before it enters the cache. Offline, only the cache is used.
 */
public final class PackageFetcher {

    /**
     * One package to fetch.
     *
     * @param servers  its repository's {@code Server} URLs in pacman.conf order, {@code $repo}/{@code $arch}
     *                 already replaced
     * @param sigLevel its repository's SigLevel (the package part applies)
     */
    public record Request(RepoPackage pkg, List<String> servers, SigLevel sigLevel) {
        public Request {
            servers = List.copyOf(servers);
        }
    }

    /**
     * A package in the cache.
     *
     * @param source    the URL it was downloaded from, or {@code "cache"}
     * @param signature the signature check (status {@code NO_SIGNATURE} when none was made or needed)
     * @param verified  for a package just downloaded, the bytes that were hashed, still open (the caller closes
     *                  it, {@link #close}); null for one taken from the cache
     */
    public record Fetched(RepoPackage pkg, Path file, String source, SignatureCheck signature, VerifiedFile verified) {
        public Fetched(RepoPackage pkg, Path file, String source, SignatureCheck signature) {
            this(pkg, file, source, signature, null);
        }

        public boolean downloaded() {
            return !source.equals("cache");
        }

        /** Closes the {@code verified} descriptor of each (a package not read through it needs nothing). */
        public static void close(List<Fetched> fetched) {
            for (Fetched f : fetched) {
                if (f.verified() != null) {
                    try {
                        f.verified().close();
                    } catch (IOException e) {
                        // a read-only descriptor: nothing was lost
                    }
                }
            }
        }
    }

    /**
     * Downloaded packages handed on open ({@link Fetched#verified}) per fetcher: beyond this the descriptors
     * are closed and the image hashes those packages as it reads them, as it does cached ones.
     */
    static final int MAX_KEPT_OPEN = 512;

    /** repo-add refuses larger signatures; so does pacman's download of a {@code .sig}. */
    static final int MAX_SIGNATURE = 16384;

    /** Downloads at once when pacman.conf sets no {@code ParallelDownloads}. */
    public static final int DEFAULT_CONCURRENCY = 6;
    /** The most downloads at once, whatever {@code ParallelDownloads} says: one thread and connection each. */
    public static final int MAX_CONCURRENCY = 16;

    private final PackageCache cache;
    private final Keyring keyring;
    private final Log log;
    private final OkHttpClient client;
    private final Downloads downloads;
    private final boolean offline;
    private final int concurrency;
    private final AtomicInteger keptOpen = new AtomicInteger();

    public PackageFetcher(PackageCache cache, Keyring keyring, Log log) {
        this(cache, keyring, log, null, false, DEFAULT_CONCURRENCY);
    }

    private PackageFetcher(PackageCache cache, Keyring keyring, Log log, OkHttpClient client, boolean offline,
                           int concurrency) {
        this.cache = cache;
        this.keyring = keyring;
        this.log = log;
        this.downloads = new Downloads(client);
        this.offline = offline;
        this.concurrency = concurrency;
        this.client = client;
    }

    /** Maven's {@code -o}: nothing is downloaded, every package must already be in the cache. */
    public PackageFetcher offline(boolean offline) {
        return new PackageFetcher(cache, keyring, log, client, offline, concurrency);
    }

    /** How many downloads run at once (default {@link #DEFAULT_CONCURRENCY}). */
    public PackageFetcher concurrency(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, not " + concurrency);
        }
        return new PackageFetcher(cache, keyring, log, client, offline, concurrency);
    }

    /** Another okhttp client (proxy, timeouts, TLS settings). */
    public PackageFetcher client(OkHttpClient client) {
        return new PackageFetcher(cache, keyring, log, client, offline, concurrency);
    }

    /**
     * Fetches all packages (those already cached are checked, not downloaded again) and returns them in the
     * order asked.
     *
     * @throws FetchException naming every package that could not be had, with the URLs tried and what to do
     */
    public List<Fetched> fetch(List<Request> requests) {
        List<String> problems = new ArrayList<>();
        for (Request r : requests) {
            String problem = invalid(r);
            if (problem != null) {
                problems.add(problem);
            }
        }
        if (!problems.isEmpty()) {
            throw failure(problems, requests.size());
        }
        if (offline) {
            return fromCache(requests, true);
        }
        long start = System.nanoTime();
        Stats stats = new Stats();
        List<Fetched> results = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(concurrency, requests.size())),
                daemonThreads());
        try {
            List<Future<Fetched>> futures = new ArrayList<>();
            for (Request r : requests) {
                futures.add(pool.submit(() -> fetchSafely(r, stats)));
            }
            for (Future<Fetched> f : futures) {
                try {
                    results.add(f.get());
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof PackageProblem p) {
                        problems.add(p.getMessage());
                    } else if (cause instanceof RuntimeException re) {
                        throw re;
                    } else {
                        throw new IllegalStateException(cause);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Fetched.close(results);
            throw new FetchException("interrupted while fetching packages");
        } catch (RuntimeException e) {
            Fetched.close(results);
            throw e;
        } finally {
            pool.shutdownNow();
        }
        if (!problems.isEmpty()) {
            Fetched.close(results);
            throw failure(problems, requests.size());
        }
        summary(stats, requests.size(), System.nanoTime() - start);
        return results;
    }

    /**
     * The packages from the cache alone, each checked (SHA-256, and the cached signature where the repository
     * wants one), for a caller that knows they are all there; nothing is downloaded.
     */
    public List<Fetched> fetchCached(List<Request> requests) {
        return fromCache(requests, false);
    }

    private List<Fetched> fromCache(List<Request> requests, boolean offline) {
        List<Fetched> results = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        // hashing the cached files whose stamps changed is most of the work: both cores share it
        List<CacheLookup> lookups = requests.parallelStream().map(this::lookUp).toList();
        for (int i = 0; i < requests.size(); i++) {
            CacheLookup lookup = lookups.get(i);
            if (lookup.fetched() != null) {
                results.add(lookup.fetched());
            } else if (lookup.problem() != null) {
                problems.add(lookup.problem());
            } else {
                Request r = requests.get(i);
                missing.add(name(r) + " (" + r.pkg().filename() + ")");
            }
        }
        if (!missing.isEmpty()) {
            problems.add(0, "offline mode: " + missing.size() + " package" + (missing.size() == 1 ? " is" : "s are")
                    + " not in the package cache " + cache.root() + ": " + String.join(", ", missing)
                    + "; run mvn without -o once to download them");
        }
        if (!problems.isEmpty()) {
            throw new FetchException(problems.size() == 1 ? "" : "cannot use the package cache offline:", problems);
        }
        log.info("All " + requests.size() + " packages from the package cache " + cache.root()
                + (offline ? " (offline)" : ""));
        return results;
    }

    /** A package looked up in the cache: the checked entry, why it was refused, or neither when it is not there. */
    private record CacheLookup(Fetched fetched, String problem) {
    }

    private CacheLookup lookUp(Request r) {
        Optional<Path> hit = cache.get(r.pkg().sha256());
        if (hit.isEmpty()) {
            return new CacheLookup(null, null);
        }
        try {
            byte[] sig = dbSignature(r);
            if (sig == null) {
                sig = cache.signature(r.pkg().sha256()).orElse(null);
            }
            return new CacheLookup(new Fetched(r.pkg(), hit.get(), "cache", check(r, hit.get(), sig, "the package cache")), null);
        } catch (PackageProblem p) {
            return new CacheLookup(null, p.getMessage());
        }
    }

    private Fetched fetchSafely(Request r, Stats stats) {
        try {
            return fetchOne(r, stats);
        } catch (IOException e) {
            throw new PackageProblem("cannot store " + name(r) + " in the package cache " + cache.root() + " ("
                    + e.getMessage() + "): check its free space and permissions");
        }
    }

    private Fetched fetchOne(Request r, Stats stats) throws IOException {
        RepoPackage pkg = r.pkg();
        String sha = pkg.sha256();
        byte[] dbSig = dbSignature(r);
        Optional<Path> hit = cache.get(sha);
        if (hit.isPresent()) {
            byte[] sig = dbSig != null ? dbSig : cache.signature(sha).orElse(null);
            if (sig == null && wantsSignature(r)) {
                sig = fetchSignature(r, List.of(), r.servers());
                if (sig != null) {
                    cache.putSignature(sha, sig);
                }
            }
            SignatureCheck check = check(r, hit.get(), sig, "the package cache");
            cache.link(pkg.filename(), sha);
            stats.cached.incrementAndGet();
            return new Fetched(pkg, hit.get(), "cache", check);
        }

        List<String> tried = new ArrayList<>();
        for (String server : r.servers()) {
            String url = Downloads.join(server, pkg.filename());
            String shown = Downloads.redact(url);
            long expected = pkg.compressedSize();
            log.info("Downloading " + name(r) + (expected >= 0 ? " (" + Downloads.size(expected) + ")" : "")
                    + " from " + shown);
            try (PackageCache.Download download = cache.newDownload()) {
                Downloads.Got got;
                try {
                    got = expected > 0
                            ? downloads.get(url, download.out(), Map.of(), expected, "the database's %CSIZE%")
                            : downloads.get(url, download.out(), Map.of(), InputLimits.PACKAGE_DOWNLOAD,
                                    "archcore's limit for a package without %CSIZE%");
                } catch (IOException e) {
                    tried.add(shown + " (" + e.getMessage() + ")");
                    warnNext(r, shown, e.getMessage());
                    continue;
                }
                if (got.status() != 200) {
                    tried.add(shown + " (HTTP " + got.status() + ")");
                    warnNext(r, shown, "HTTP " + got.status());
                    continue;
                }
                String actual = download.finish();
                if (!actual.equals(PackageCache.normalize(sha))) {
                    String why = "SHA-256 " + actual + " of " + got.bytes() + " bytes is not the database's " + sha
                            + (expected >= 0 && expected != got.bytes() ? " of " + expected + " bytes" : "");
                    tried.add(shown + " (" + why + ")");
                    warnNext(r, shown, "wrong file: " + why);
                    continue;
                }
                byte[] sig = dbSig;
                if (sig == null && wantsSignature(r)) {
                    List<String> others = new ArrayList<>(r.servers());
                    others.remove(server);
                    sig = fetchSignature(r, List.of(server), others);
                }
                SignatureCheck check = check(r, download.file(), sig, shown);
                Path entry = cache.commit(download, sha);
                if (sig != null) {
                    cache.putSignature(sha, sig);
                }
                cache.link(pkg.filename(), sha);
                stats.downloaded.incrementAndGet();
                stats.bytes.addAndGet(got.bytes());
                log.debug("Downloaded " + name(r) + " (" + Downloads.size(got.bytes()) + ") from " + shown);
                // last, so nothing can fail with the descriptor handed on and not returned
                VerifiedFile verified = keptOpen.incrementAndGet() <= MAX_KEPT_OPEN ? download.keepOpen(entry) : null;
                return new Fetched(pkg, entry, shown, check, verified);
            }
        }
        throw new PackageProblem("cannot download " + name(r) + " (" + pkg.filename() + ") from any server of ["
                + pkg.repository() + "]: " + (tried.isEmpty() ? "it has no Server" : String.join("; ", tried))
                + "; check the Server lines of [" + pkg.repository() + "] in pacman.conf, or refresh the"
                + " sync database if it is older than the mirrors");
    }

    /** The {@code .sig} beside the package: first from {@code first}, then from the other servers. */
    private byte[] fetchSignature(Request r, List<String> first, List<String> others) {
        List<String> servers = new ArrayList<>(first);
        servers.addAll(others);
        for (String server : servers) {
            String url = Downloads.join(server, r.pkg().filename()) + ".sig";
            try {
                byte[] sig = downloads.getSmall(url, MAX_SIGNATURE);
                if (sig != null) {
                    return sig;
                }
            } catch (IOException e) {
                log.warn(name(r) + ": cannot get " + Downloads.redact(url) + " (" + e.getMessage() + ")");
            }
        }
        return null;
    }

    /** pacman's rules for a package: Never skips; Optional checks a signature if there is one; Required needs one. */
    private SignatureCheck check(Request r, Path file, byte[] sig, String from) {
        SigLevel level = r.sigLevel();
        if (level.packages() == SigLevel.Check.NEVER) {
            return SignatureCheck.none();
        }
        String what = name(r) + " (" + r.pkg().filename() + ") from " + from;
        if (sig == null) {
            if (level.packages() == SigLevel.Check.REQUIRED) {
                String where = offline ? "no .sig in the package cache (mvn without -o fetches it from the servers)"
                        : "no .sig on its servers";
                throw new PackageProblem(what + " is not signed: there is no %PGPSIG% in the [" + r.pkg().repository()
                        + "] database and " + where + fix(r));
            }
            return SignatureCheck.none();
        }
        SignatureCheck check = keyring.verify(file, sig);
        if (!check.accepted(level.packagesTrustAll())) {
            throw new PackageProblem(what + " was refused, nothing was cached: " + check.detail() + fix(r));
        }
        return check;
    }

    /** Only for a refusal: naming the keyring's files reads a lazy keyring. */
    private String fix(Request r) {
        return "; [" + r.pkg().repository() + "] has SigLevel " + r.sigLevel() + ": add the signer's key to the"
                + " keyring (" + (keyring.sources().isEmpty() ? "none configured" : String.join(", ", keyring.sources()))
                + ") or change the repository's SigLevel in pacman.conf";
    }

    private static boolean wantsSignature(Request r) {
        return wantsSignature(r.sigLevel());
    }

    static boolean wantsSignature(SigLevel level) {
        return level.packages() != SigLevel.Check.NEVER;
    }

    private static byte[] dbSignature(Request r) {
        String base64 = r.pkg().value("PGPSIG");
        if (base64.isEmpty()) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new PackageProblem(name(r) + " has a %PGPSIG% that is not base64 in the [" + r.pkg().repository()
                    + "] database: refresh the database; if it stays, the repository is broken");
        }
    }

    private static String invalid(Request r) {
        RepoPackage pkg = r.pkg();
        String file = pkg.filename();
        String problem = PackageNames.checkFileName(file);
        if (problem != null) {
            return name(r) + " has no usable %FILENAME% ('" + PackageNames.shown(file) + "') in the ["
                    + pkg.repository() + "] database (the file name " + problem + "): the database is damaged; refresh it";
        }
        try {
            PackageCache.normalize(pkg.sha256());
        } catch (IllegalArgumentException e) {
            return name(r) + " (" + file + ") has no %SHA256SUM% in the [" + pkg.repository() + "] database ('"
                    + pkg.sha256() + "'), which archcore needs to check and cache it: use a repository made by"
                    + " repo-add (pacman 5 or later)";
        }
        return null;
    }

    private static FetchException failure(List<String> problems, int total) {
        return new FetchException(problems.size() == 1 ? ""
                : "cannot fetch " + problems.size() + " of " + total + " packages:", problems);
    }

    private void warnNext(Request r, String url, String why) {
        log.warn(name(r) + ": " + url + " failed (" + why + "), trying the next server");
    }

    private void summary(Stats stats, int total, long nanos) {
        int cached = stats.cached.get();
        if (stats.downloaded.get() == 0) {
            log.info("All " + total + " packages from the package cache " + cache.root());
            return;
        }
        double seconds = Math.max(nanos / 1e9, 0.001);
        log.info(String.format(java.util.Locale.ROOT, "Downloaded %d package%s (%s) in %.1f s at %s/s%s",
                stats.downloaded.get(), stats.downloaded.get() == 1 ? "" : "s", Downloads.size(stats.bytes.get()),
                seconds, Downloads.size((long) (stats.bytes.get() / seconds)),
                cached > 0 ? "; " + cached + " from the package cache" : ""));
    }

    private static String name(Request r) {
        return r.pkg().repository() + "/" + r.pkg().name() + " " + r.pkg().version();
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return task -> {
            Thread t = new Thread(task, "archcore-fetch-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static final class Stats {
        final AtomicInteger downloaded = new AtomicInteger();
        final AtomicInteger cached = new AtomicInteger();
        final AtomicLong bytes = new AtomicLong();
    }

    /** One package's problem; collected so that the user sees all of them at once. */
    private static final class PackageProblem extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PackageProblem(String message) {
            super(message);
        }
    }
}
