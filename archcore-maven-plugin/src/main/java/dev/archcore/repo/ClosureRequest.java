package dev.archcore.repo;

import dev.archcore.util.CacheKey;
import dev.archcore.util.HttpProxies;
import dev.archcore.util.Log;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link DependencyClosure} needs: where packages come from, what is wanted, and where caches and the lock live.
 *
 * @param targets    what pacman would be asked for: names, relations ({@code foo>=1}), {@code repo/name}, groups
 * @param cacheDir   the shared cache (packages by SHA-256, sync databases per repository and server list)
 * @param lockFile   where the resolved closure is written; reused as long as the targets are the same
 * @param updateLock resolve again even when the lock file still fits the targets
 * @param offline    Maven's {@code -o}: databases and packages from the cache only
 * @param cacheKey   authenticates the package cache's stamps; null: the user's ({@link CacheKey#user})
 * @param proxies    the proxies mirrors are reached through (settings.xml's); {@link HttpProxies#NONE}: the JVM's
 */
public record ClosureRequest(PacmanConf conf, List<String> targets, Keyring keyring, Path cacheDir, Path lockFile,
                             boolean updateLock, boolean offline, Log log, CacheKey cacheKey,
                             HttpProxies proxies) {
    public ClosureRequest(PacmanConf conf, List<String> targets, Keyring keyring, Path cacheDir, Path lockFile,
                          boolean updateLock, boolean offline, Log log) {
        this(conf, targets, keyring, cacheDir, lockFile, updateLock, offline, log, null);
    }

    public ClosureRequest(PacmanConf conf, List<String> targets, Keyring keyring, Path cacheDir, Path lockFile,
                          boolean updateLock, boolean offline, Log log, CacheKey cacheKey) {
        this(conf, targets, keyring, cacheDir, lockFile, updateLock, offline, log, cacheKey, HttpProxies.NONE);
    }

    /** This request with the mirrors reached through {@code proxies}. */
    public ClosureRequest proxies(HttpProxies proxies) {
        return new ClosureRequest(conf, targets, keyring, cacheDir, lockFile, updateLock, offline, log, cacheKey,
                proxies);
    }

    public ClosureRequest {
        targets = List.copyOf(targets);
        proxies = proxies == null ? HttpProxies.NONE : proxies;
    }
}
