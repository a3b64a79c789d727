package dev.archcore.maven;

import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BuildTimestampTest {

    @Test
    void sourceDateEpochWinsOverTheOutputTimestamp() throws MojoFailureException {
        assertThat(BuildTimestamp.epochSeconds("2026-01-01T00:00:00Z", Map.of("SOURCE_DATE_EPOCH", "1234"))).isEqualTo(1234);
    }

    @Test
    void outputTimestampAsIsoOrSeconds() throws MojoFailureException {
        assertThat(BuildTimestamp.epochSeconds("2026-01-01T00:00:00Z", Map.of())).isEqualTo(1767225600L);
        assertThat(BuildTimestamp.epochSeconds("2026-01-01T01:00:00+01:00", Map.of())).isEqualTo(1767225600L);
        assertThat(BuildTimestamp.epochSeconds("1767225600", Map.of())).isEqualTo(1767225600L);
    }

    @Test
    void unsetMeansNow() throws MojoFailureException {
        long now = System.currentTimeMillis() / 1000;
        assertThat(BuildTimestamp.epochSeconds(null, Map.of())).isBetween(now - 5, now + 5);
        assertThat(BuildTimestamp.epochSeconds("1", Map.of())).isBetween(now - 5, now + 5);
    }

    @Test
    void badValuesSayWhatToFix() {
        assertThatThrownBy(() -> BuildTimestamp.epochSeconds("yesterday", Map.of()))
                .hasMessageContaining("project.build.outputTimestamp='yesterday'");
        assertThatThrownBy(() -> BuildTimestamp.epochSeconds(null, Map.of("SOURCE_DATE_EPOCH", "soon")))
                .hasMessageContaining("SOURCE_DATE_EPOCH='soon'");
    }
}
