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
        byte[] seed = KeyringSeed.get(tmp, Map.of(KeyringSeed.ENV, secret), log);
        assertThat(new String(seed, StandardCharsets.UTF_8)).isEqualTo(secret);
        assertThat(tmp.resolve("keyring.seed")).doesNotExist();
        assertThat(Recipe.base(seed).toString()).isEqualTo("base").doesNotContain(secret);
        assertThat(log.lines()).noneMatch(l -> l.contains(secret));
        assertThatThrownBy(() -> KeyringSeed.get(tmp, Map.of(KeyringSeed.ENV, "short-secret"), log))
                .hasMessageContaining(KeyringSeed.ENV).hasMessageNotContaining("short-secret");
    }

    @Test
    void withoutTheEnvironmentAPrivateFileIsMadeOnceAndReused() throws Exception {
        RecordingLog log = new RecordingLog();
        byte[] first = KeyringSeed.get(tmp, Map.of(), log);
        byte[] second = KeyringSeed.get(tmp, Map.of(), log);
        assertThat(first).hasSize(32).isEqualTo(second);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("keyring.seed"))))
                .isEqualTo("rw-------");
        assertThat(log.lines()).hasSize(1).allMatch(l -> l.contains("keyring.seed"));
    }
}
