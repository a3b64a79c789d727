package dev.archcore.repo;

import dev.archcore.util.Log;

import java.nio.file.Path;
import java.util.List;

/**
 * A second build in its own JVM for the concurrency test: fetches every package of a database into a shared
 * cache. Arguments: cache directory, database file, keyring directory, keyring name, server URL.
 */
public final class FetchProcess {
    private FetchProcess() {
    }

    public static void main(String[] args) {
        Path cache = Path.of(args[0]);
        SyncDatabase db = SyncDatabase.read(TestRepository.NAME, Path.of(args[1]));
        Keyring keyring = Keyring.pacman(Path.of(args[2]), args[3]);
        List<PackageFetcher.Request> requests = db.packages().stream()
                .filter(p -> !p.name().equals("stranger"))
                .map(p -> new PackageFetcher.Request(p, List.of(args[4]),
                        SigLevel.parse(List.of("Optional"), SigLevel.DEFAULT)))
                .toList();
        new PackageFetcher(new PackageCache(cache, Log.NONE), keyring, Log.NONE).concurrency(3).fetch(requests);
        System.out.println("fetched " + requests.size());
    }
}
