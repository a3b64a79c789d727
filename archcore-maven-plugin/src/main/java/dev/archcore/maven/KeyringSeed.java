package dev.archcore.maven;

import dev.archcore.util.CacheKey;
import dev.archcore.util.Log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The secret the base images' keyring master key is derived from: {@code ARCHCORE_KEYRING_SEED} (set the same
 * secret on every CI machine for byte-identical images everywhere), else a random seed made once per user in
 * {@code ~/.archcore/keyring.seed} (mode 600), beside the cache key and outside the cache: whoever can read or
 * write the cache must not learn or choose it. Never logged.
 */
final class KeyringSeed {
    static final String ENV = "ARCHCORE_KEYRING_SEED";
    static final String FILE = "keyring.seed";

    private KeyringSeed() {
    }

    /**
     * @param dir      where the per-user seed lives ({@code ~/.archcore})
     * @param cacheDir where earlier versions kept it: a seed there is never read, only mentioned once
     */
    static byte[] get(Path dir, Path cacheDir, Map<String, String> env, Log log) throws IOException {
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            if (fromEnv.strip().length() < 16) {
                throw new IllegalArgumentException(ENV + " is too short: use at least 16 random characters "
                        + "(e.g. openssl rand -hex 32)");
            }
            return fromEnv.strip().getBytes(StandardCharsets.UTF_8);
        }
        CacheKey.PrivateFile seed = CacheKey.PrivateFile.readOrCreate(dir.resolve(FILE), 32);
        if (seed.created()) {
            Path old = cacheDir == null ? null : cacheDir.resolve(FILE);
            log.info("Made a keyring seed in " + dir.resolve(FILE) + " for the pacman keyring of base images (set "
                    + ENV + " to share one between machines)" + (old != null && Files.exists(old)
                    ? "; " + old + " is no longer used (a seed inside the cache can be read or chosen by whoever"
                    + " writes the cache), so base images get a new keyring master key once: delete it" : ""));
        }
        return seed.bytes();
    }
}
