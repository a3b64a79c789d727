package dev.archcore.maven;

import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;

/**
 * The secret the base images' keyring master key is derived from: {@code ARCHCORE_KEYRING_SEED} (set the same
 * secret on every CI machine for byte-identical images everywhere), else a random seed made once per user in the
 * cache ({@code keyring.seed}, mode 600). Never logged.
 */
final class KeyringSeed {
    static final String ENV = "ARCHCORE_KEYRING_SEED";

    private KeyringSeed() {
    }

    static byte[] get(Path cacheDir, Map<String, String> env, Log log) throws IOException {
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            if (fromEnv.strip().length() < 16) {
                throw new IllegalArgumentException(ENV + " is too short: use at least 16 random characters "
                        + "(e.g. openssl rand -hex 32)");
            }
            return fromEnv.strip().getBytes(StandardCharsets.UTF_8);
        }
        Path file = cacheDir.resolve("keyring.seed");
        if (!Files.isRegularFile(file)) {
            byte[] seed = new byte[32];
            new SecureRandom().nextBytes(seed);
            Files.createDirectories(cacheDir);
            // readable by its owner only from the start, then moved into place (two builds may race: either wins)
            Path temp = Files.createTempFile(cacheDir, ".keyring.seed", ".part",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(temp, seed);
            AtomicFiles.move(temp, file);
            log.info("Made a keyring seed in " + file + " for the pacman keyring of base images (set " + ENV
                    + " to share one between machines)");
        }
        return Files.readAllBytes(file);
    }
}
