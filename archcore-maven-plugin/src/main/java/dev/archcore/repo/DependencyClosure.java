package dev.archcore.repo;

import dev.archcore.util.CacheKey;
import dev.archcore.util.Log;
import okhttp3.OkHttpClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The packages a set of targets needs, on disk and verified: sync databases fetched (or revalidated), the
 * closure resolved as libalpm would, or taken from the lock file while the targets have not changed, then
 * every package fetched through the shared cache.
 */
public final class DependencyClosure {

    /**
     * @param packages   in install order (dependencies first), each a verified file in the cache
     * @param lockReused the lock file decided the packages; no resolution ran
     */
    public record Result(List<PackageFetcher.Fetched> packages, Set<String> explicit, List<String> notes,
                         LockFile lock, boolean lockReused) {
    }

    private DependencyClosure() {
    }

    public static Result resolve(ClosureRequest request) {
        if (request.targets().isEmpty()) {
            // nothing to resolve: no database is fetched, so a package without dependencies builds with no network
            LockFile empty = LockFile.of(List.of(), List.of());
            writeLock(empty, request.lockFile());
            return new Result(List.of(), Set.of(), List.of(), empty, false);
        }
        Log log = request.log();
        PacmanConf conf = request.conf();
        Map<String, PacmanConf.Repository> repositories = new LinkedHashMap<>();
        conf.repositories().forEach(r -> repositories.put(r.name(), r));
        PackageCache cache = new PackageCache(request.cacheDir().resolve("packages"), log,
                request.cacheKey() != null ? request.cacheKey() : CacheKey.user());

        LockFile lock = readLock(request);
        if (lock != null && allCached(lock, repositories, cache)) {
            // as cargo with a Cargo.lock and every crate at hand: the lock decides, the cache has every file (and
            // its signature), so no database is fetched; the fetcher still checks each file's signature, and its
            // SHA-256 unless its cache stamp shows it unchanged since the last full check
            List<RepoPackage> packages = lock.packages().stream().map(DependencyClosure::lockedOnly).toList();
            try {
                List<PackageFetcher.Fetched> fetched = new PackageFetcher(cache, request.keyring(), log)
                        .fetchCached(requests(packages, repositories, request));
                log.info("Using the " + lock.packages().size() + " packages locked in " + request.lockFile()
                        + ", all in the package cache (-Darchcore.updateLock to resolve again)");
                return new Result(fetched, explicitNames(request.targets(), packages), List.of(), lock, true);
            } catch (FetchException e) {
                // a damaged entry was dropped, or a signature no longer verifies: the full path says which
                log.debug("The package cache cannot serve the lock alone: " + e.getMessage());
            }
        }
        // one client for databases and packages: connections (and TLS sessions) are reused across both
        OkHttpClient client = Downloads.defaultClient(request.proxies());
        List<SyncDatabase> databases = databases(request, client);

        List<RepoPackage> packages;
        Set<String> explicit;
        List<String> notes;
        boolean reused = lock != null;
        if (reused) {
            log.info("Using the " + lock.packages().size() + " packages locked in " + request.lockFile()
                    + " (-Darchcore.updateLock to resolve again)");
            packages = fromLock(lock, databases, request);
            explicit = explicitNames(request.targets(), packages);
            notes = List.of();
        } else {
            Resolution resolution = Resolver.of(conf, databases).resolve(request.targets());
            resolution.notes().forEach(n -> log.info("Resolver: " + n));
            packages = resolution.packages();
            explicit = resolution.explicit();
            notes = resolution.notes();
            lock = LockFile.of(request.targets(), packages);
        }

        PackageFetcher fetcher = new PackageFetcher(cache, request.keyring(), log).client(client)
                .offline(request.offline()).concurrency(downloadConcurrency(conf, log));
        List<PackageFetcher.Fetched> fetched = fetcher.fetch(requests(packages, repositories, request));
        if (!reused) {
            // only a closure that could be fetched and verified is locked
            writeLock(lock, request.lockFile());
        }
        return new Result(fetched, explicit, notes, lock, reused);
    }

    /**
     * pacman.conf's {@code ParallelDownloads} when set, at most {@link PackageFetcher#MAX_CONCURRENCY}; else
     * archcore's {@link PackageFetcher#DEFAULT_CONCURRENCY} (pacman 6.0 would download one at a time).
     */
    static int downloadConcurrency(PacmanConf conf, Log log) {
        if (conf.parallelDownloads().isEmpty()) {
            return PackageFetcher.DEFAULT_CONCURRENCY;
        }
        int wanted = conf.parallelDownloads().getAsInt();
        if (wanted > PackageFetcher.MAX_CONCURRENCY) {
            log.info(conf.source() + ": ParallelDownloads = " + wanted + "; archcore downloads at most "
                    + PackageFetcher.MAX_CONCURRENCY + " packages at once");
            return PackageFetcher.MAX_CONCURRENCY;
        }
        return wanted;
    }

    private static List<PackageFetcher.Request> requests(List<RepoPackage> packages,
                                                         Map<String, PacmanConf.Repository> repositories,
                                                         ClosureRequest request) {
        List<PackageFetcher.Request> fetches = new ArrayList<>();
        for (RepoPackage pkg : packages) {
            PacmanConf.Repository repo = repositories.get(pkg.repository());
            if (repo == null) {
                throw new FetchException(request.lockFile() + " locks " + pkg + " from repository [" + pkg.repository()
                        + "], which " + request.conf().source() + " no longer has; add it back or resolve again with "
                        + "-Darchcore.updateLock");
            }
            fetches.add(new PackageFetcher.Request(pkg, repo.servers(), repo.sigLevel()));
        }
        return fetches;
    }

    /** Every locked file is in the cache with its locked size, and its signature where its repository wants one. */
    private static boolean allCached(LockFile lock, Map<String, PacmanConf.Repository> repositories, PackageCache cache) {
        for (LockFile.Entry e : lock.packages()) {
            PacmanConf.Repository repo = repositories.get(e.repository());
            if (repo == null || !cache.contains(e.sha256(), e.csize())
                    || PackageFetcher.wantsSignature(repo.sigLevel()) && cache.signature(e.sha256()).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static RepoPackage lockedOnly(LockFile.Entry entry) {
        return new RepoPackage(entry.repository(), Map.of(
                "NAME", List.of(entry.name()), "VERSION", List.of(entry.version()),
                "FILENAME", List.of(entry.filename()), "SHA256SUM", List.of(entry.sha256()),
                "CSIZE", List.of(Long.toString(entry.csize()))));
    }

    private static List<SyncDatabase> databases(ClosureRequest request, OkHttpClient client) {
        DatabaseFetcher fetcher = new DatabaseFetcher(request.keyring(), request.log()).client(client)
                .cacheKey(request.cacheKey())
                .offline(request.offline());
        List<SyncDatabase> databases = new ArrayList<>();
        for (PacmanConf.Repository repo : request.conf().repositories()) {
            // one directory per server list: two projects naming different servers [core] never share a copy
            Path dir = request.cacheDir().resolve("sync").resolve(repo.name() + "-" + shortHash(repo.servers()));
            Path db = fetcher.fetch(repo.name(), repo.servers(), repo.sigLevel(), dir);
            databases.add(SyncDatabase.read(repo.name(), db));
        }
        return databases;
    }

    /** The lock, when there is one, it is not to be updated, and it was made for exactly these targets. */
    private static LockFile readLock(ClosureRequest request) {
        Path file = request.lockFile();
        if (request.updateLock() || file == null || !Files.isRegularFile(file)) {
            return null;
        }
        try {
            LockFile lock = LockFile.read(file);
            if (!lock.satisfies(request.targets())) {
                request.log().info("The targets changed since " + file + " was written (" + lock.targets() + " -> "
                        + request.targets() + "): resolving again");
                return null;
            }
            return lock;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the lock file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The locked packages, taken from the databases when they still list exactly that file (so signatures and
     * metadata come along), else described by the lock alone: mirrors that keep old files still serve them.
     */
    private static List<RepoPackage> fromLock(LockFile lock, List<SyncDatabase> databases, ClosureRequest request) {
        Map<String, RepoPackage> current = new LinkedHashMap<>();
        for (SyncDatabase db : databases) {
            for (RepoPackage pkg : db.packages()) {
                current.putIfAbsent(db.name() + "/" + pkg.filename(), pkg);
            }
        }
        List<RepoPackage> packages = new ArrayList<>();
        for (LockFile.Entry entry : lock.packages()) {
            RepoPackage pkg = current.get(entry.repository() + "/" + entry.filename());
            if (pkg != null && entry.matches(pkg)) {
                packages.add(pkg);
            } else {
                request.log().warn(entry.repository() + "/" + entry.name() + " " + entry.version()
                        + " is locked but no longer in the repository database; fetching the locked file itself "
                        + "(use a snapshot date, or -Darchcore.updateLock, if the servers no longer have it)");
                packages.add(lockedOnly(entry));
            }
        }
        return packages;
    }

    private static Set<String> explicitNames(List<String> targets, List<RepoPackage> packages) {
        Set<String> names = targets.stream().map(t -> t.replaceFirst("^.*/", "").replaceFirst("[<>=].*$", ""))
                .collect(Collectors.toSet());
        return packages.stream().map(RepoPackage::name).filter(names::contains).collect(Collectors.toSet());
    }

    private static void writeLock(LockFile lock, Path file) {
        if (file == null) {
            return;
        }
        try {
            lock.write(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the lock file " + file + ": " + e.getMessage(), e);
        }
    }

    private static String shortHash(List<String> servers) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(String.join("\n", servers).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
