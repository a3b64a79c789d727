package dev.archcore.maven;

import dev.archcore.image.Recipe;
import dev.archcore.testing.RecordingLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The keyring seed: from the environment or a per-user file only its owner reads, and never in a log or message. */
class KeyringSeedTest {
    @TempDir
    Path tmp;

    @Test
    void environmentWinsAndIsNeverShown() throws Exception {
        String secret = "0123456789abcdef-very-secret";
        RecordingLog log = new RecordingLog();
        byte[] seed = KeyringSeed.get(tmp.resolve("home/.archcore"), tmp.resolve("cache"), Map.of(KeyringSeed.ENV, secret), log);
        assertThat(new String(seed, StandardCharsets.UTF_8)).isEqualTo(secret);
        assertThat(tmp.resolve("home/.archcore/keyring.seed")).doesNotExist();
        assertThat(Recipe.base(seed).toString()).isEqualTo("base").doesNotContain(secret);
        assertThat(log.lines()).noneMatch(l -> l.contains(secret));
        assertThatThrownBy(() -> KeyringSeed.get(tmp.resolve("home/.archcore"), tmp.resolve("cache"), Map.of(KeyringSeed.ENV, "short-secret"), log))
                .hasMessageContaining(KeyringSeed.ENV).hasMessageNotContaining("short-secret");
    }

    @Test
    void withoutTheEnvironmentAPrivateFileIsMadeOnceAndReused() throws Exception {
        RecordingLog log = new RecordingLog();
        byte[] first = KeyringSeed.get(tmp.resolve("home/.archcore"), tmp.resolve("cache"), Map.of(), log);
        byte[] second = KeyringSeed.get(tmp.resolve("home/.archcore"), tmp.resolve("cache"), Map.of(), log);
        assertThat(first).hasSize(32).isEqualTo(second);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("home/.archcore/keyring.seed"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("home/.archcore"))))
                .isEqualTo("rwx------");
        assertThat(log.lines()).hasSize(1).allMatch(l -> l.contains("keyring.seed"));
    }

    @Test
    void aSeedInTheCacheIsNeitherReadNorKeptThere() throws Exception {
        // whoever writes the cache could choose the seed (and so the keyring's master key) or read it
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        byte[] chosen = "chosen by whoever writes the cache".getBytes(StandardCharsets.UTF_8);
        Files.write(cache.resolve("keyring.seed"), chosen);
        RecordingLog log = new RecordingLog();
        byte[] seed = KeyringSeed.get(tmp.resolve("home/.archcore"), cache, Map.of(), log);
        assertThat(seed).hasSize(32).isNotEqualTo(chosen);
        assertThat(tmp.resolve("home/.archcore/keyring.seed")).exists();
        assertThat(cache.resolve("keyring.seed")).hasBinaryContent(chosen);
        assertThat(log.lines()).anyMatch(l -> l.contains(cache.resolve("keyring.seed") + " is no longer used"));
        try (var files = Files.list(cache)) {
            assertThat(files).containsExactly(cache.resolve("keyring.seed"));
        }
    }
}
