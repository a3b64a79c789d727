package dev.archcore.maven;

import org.apache.maven.plugin.MojoFailureException;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * The one timestamp of a reproducible build: {@code SOURCE_DATE_EPOCH} when the environment sets it (the
 * reproducible-builds convention), else {@code project.build.outputTimestamp} (ISO-8601 or epoch seconds, as
 * maven-archiver reads it), else now.
 */
final class BuildTimestamp {
    private BuildTimestamp() {
    }

    static long epochSeconds(String outputTimestamp, Map<String, String> environment) throws MojoFailureException {
        String sde = environment.get("SOURCE_DATE_EPOCH");
        if (sde != null && !sde.isBlank()) {
            if (!sde.strip().matches("[0-9]+")) {
                throw new MojoFailureException("SOURCE_DATE_EPOCH='" + sde + "' is not a number of seconds since "
                        + "1970; set it to an integer (e.g. $(git log -1 --format=%ct)) or unset it.");
            }
            return Long.parseLong(sde.strip());
        }
        // maven-archiver treats a single character (e.g. "1") as "not set"
        if (outputTimestamp == null || outputTimestamp.length() < 2) {
            return Instant.now().getEpochSecond();
        }
        if (outputTimestamp.matches("[0-9]+")) {
            return Long.parseLong(outputTimestamp);
        }
        try {
            return OffsetDateTime.parse(outputTimestamp).toEpochSecond();
        } catch (DateTimeParseException e) {
            throw new MojoFailureException("project.build.outputTimestamp='" + outputTimestamp + "' is neither an "
                    + "ISO-8601 date-time with offset (2026-01-01T00:00:00Z) nor epoch seconds; fix the pom property.");
        }
    }
}
