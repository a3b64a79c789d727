package dev.archcore.repo;

import dev.archcore.testing.PacmanKeys;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real Arch Linux keyring (archlinux-keyring, installed by scripts/setup) read by {@link Keyring} and judged
 * by gpg and pacman-key: same keys, same trusted and revoked entries, and for every one of its keys the same
 * verdict that gpg reaches after {@code pacman-key --populate archlinux}.
 */
class ArchKeyringTest {

    private static Path directory;
    private static Path scratch;
    private static Keyring keyring;

    @BeforeAll
    static void load() throws IOException {
        directory = Keyring.SYSTEM_DIRECTORIES.stream().filter(d -> Files.isRegularFile(d.resolve("archlinux.gpg")))
                .findFirst().orElse(null);
        if (directory == null) {
            fail("archlinux.gpg not found in " + Keyring.SYSTEM_DIRECTORIES + ": run scripts/setup (installs archlinux-keyring)");
        }
        keyring = Keyring.system("archlinux").orElseThrow();
        scratch = Files.createTempDirectory(Path.of("/tmp"), "acak");
    }

    @AfterAll
    static void clean() throws IOException {
        if (scratch != null) {
            PacmanKeys.stopAgents(scratch.resolve("pg"));
            try (Stream<Path> files = Files.walk(scratch)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void loadsAsManyKeysTrustedAndRevokedEntriesAsTheFilesHold() throws IOException {
        Tools.require("gpg");
        Files.createDirectories(scratch.resolve("show"));
        String shown = Tools.run(directory, Map.of(), List.of("gpg", "--homedir", scratch.resolve("show").toString(),
                "--show-keys", "--with-colons", directory.resolve("archlinux.gpg").toString())).ok("gpg --show-keys").text();
        long gpgKeys = shown.lines().filter(l -> l.startsWith("pub:")).count();
        long trustedLines = Files.readAllLines(directory.resolve("archlinux-trusted")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).count();
        long revokedLines = Files.readAllLines(directory.resolve("archlinux-revoked")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).count();

        assertThat(gpgKeys).isGreaterThan(100);
        assertThat(keyring.keyCount()).isEqualTo(gpgKeys);
        assertThat(keyring.trustedCount()).isEqualTo(trustedLines).isPositive();
        assertThat(keyring.revokedCount()).isEqualTo(revokedLines).isPositive();
    }

    /**
     * gpg's validity letters after populate: f/u fully valid, m marginal, -/q unknown or undefined, e expired,
     * r revoked; D disabled (from archlinux-revoked). Ours must agree key by key.
     */
    @Test
    void everyKeyHasTheTrustThatPacmanKeyPopulateGivesIt() {
        Path gpgdir = PacmanKeys.populate(scratch.resolve("pg"), directory, "archlinux");
        Map<String, String> gpg = PacmanKeys.validity(gpgdir);

        Map<String, String> expected = new TreeMap<>();
        Map<String, String> actual = new TreeMap<>();
        long start = System.nanoTime();
        Keyring fresh = Keyring.system("archlinux").orElseThrow();
        fresh.fingerprints().forEach(fresh::keyState);
        long ours = (System.nanoTime() - start) / 1_000_000;
        for (String fingerprint : keyring.fingerprints()) {
            String letters = gpg.get(fingerprint);
            assertThat(letters).as("gpg knows %s", fingerprint).isNotNull();
            expected.put(fingerprint, normalize(letters));
            actual.put(fingerprint, ours(keyring.keyState(fingerprint)));
        }
        assertThat(actual).isEqualTo(expected);
        // the real keyring exercises every branch: trusted, marginal, unknown, expired, revoked and disabled keys
        assertThat(actual.values()).contains("full", "marginal", "none", "expired");
        assertThat(actual.values()).anyMatch(v -> v.startsWith("revoked")).anyMatch(v -> v.endsWith("+disabled"));
        Map<String, Long> histogram = new TreeMap<>();
        actual.values().forEach(v -> histogram.merge(v, 1L, Long::sum));
        System.out.println("archlinux keyring, " + actual.size() + " keys, same verdict as gpg: " + histogram
                + "; loading and judging every key took " + ours + " ms");
    }

    private static String normalize(String gpgLetters) {
        String validity = switch (gpgLetters.charAt(0)) {
            case 'f', 'u' -> "full";
            case 'm' -> "marginal";
            case 'e' -> "expired";
            case 'r' -> "revoked";
            default -> "none";
        };
        return validity + (gpgLetters.endsWith("D") ? "+disabled" : "");
    }

    private static String ours(WebOfTrust.KeyState s) {
        String validity = s.selfRevoked() != null ? "revoked"
                : s.expiredAt(java.time.Instant.now()) ? "expired"
                : s.validity().name().toLowerCase(java.util.Locale.ROOT);
        return validity + (s.disabled() ? "+disabled" : "");
    }
}
