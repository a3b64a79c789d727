package dev.archcore.provision.pki;

import dev.archcore.testing.RecordingLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 15, item 6: one PKI per environment; the shared PKI of earlier versions is copied or only read. */
public class PkiLocationTest {
    @TempDir
    Path home;

    /** Every file and folder under {@code dir}: its modification time, mode and SHA-256. */
    public static Map<String, String> snapshot(Path dir) throws Exception {
        Map<String, String> tree = new TreeMap<>();
        if (!Files.exists(dir)) {
            return tree;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.toList()) {
                String hash = Files.isRegularFile(p)
                        ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))) : "dir";
                tree.put(dir.relativize(p).toString(), Files.getLastModifiedTime(p).toMillis() + " "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) + " " + hash);
            }
        }
        return tree;
    }

    ClusterPki.Request request(Path dir, String ip) {
        return new ClusterPki.Request(dir, "demo", List.of(ip), "archcore", null, new RecordingLog());
    }

    @Test
    void stagingAndProductionKeepTheirOwnRegistryCertificate() throws Exception {
        Path staging = PkiLocation.resolve(home, "demo", "staging", false, new RecordingLog());
        Path production = PkiLocation.resolve(home, "demo", "production", false, new RecordingLog());
        assertThat(staging).isEqualTo(home.resolve("demo/staging/pki"));
        assertThat(production).isEqualTo(home.resolve("demo/production/pki"));

        ClusterPki.ensure(request(staging, "192.0.2.10"));
        Map<String, String> before = snapshot(staging);
        // switching profiles: production's PKI for its own address, then staging again
        ClusterPki.ensure(request(production, "198.51.100.10"));
        ClusterPki.ensure(request(staging, "192.0.2.10"));
        assertThat(snapshot(staging)).isEqualTo(before);
    }

    @Test
    void theSharedPkiOfEarlierVersionsIsReadByADryRunAndCopiedByARealRun() throws Exception {
        Path shared = home.resolve("demo/pki");
        ClusterPki.ensure(request(shared, "192.0.2.10"));
        Map<String, String> sharedBefore = snapshot(shared);

        RecordingLog dry = new RecordingLog();
        assertThat(PkiLocation.resolve(home, "demo", "staging", true, dry)).isEqualTo(shared);
        assertThat(home.resolve("demo/staging")).doesNotExist();
        assertThat(dry.lines("WARN")).singleElement().asString().contains(shared.toString(), "environment staging");

        RecordingLog real = new RecordingLog();
        Path staging = PkiLocation.resolve(home, "demo", "staging", false, real);
        assertThat(staging).isEqualTo(home.resolve("demo/staging/pki"));
        assertThat(real.lines("WARN")).singleElement().asString().contains("Copied the cluster PKI " + shared);
        assertThat(Files.readString(staging.resolve("ca.crt"))).isEqualTo(Files.readString(shared.resolve("ca.crt")));
        assertThat(Files.getPosixFilePermissions(staging.resolve("ca.key"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(staging)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(snapshot(shared)).isEqualTo(sharedBefore);
        // from now on the environment's own folder, without a word
        RecordingLog later = new RecordingLog();
        assertThat(PkiLocation.resolve(home, "demo", "staging", false, later)).isEqualTo(staging);
        assertThat(later.lines()).isEmpty();
    }

    @Test
    void aReadOnlyRequestWritesNothingAndSaysWhatARealRunWouldDo() throws Exception {
        Path dir = home.resolve("pki");
        ClusterPki.ensure(request(dir, "192.0.2.10"));
        Map<String, String> before = snapshot(dir);
        RecordingLog log = new RecordingLog();
        // another address: a real run issues the certificates again
        ClusterPki.Material m = ClusterPki.ensure(request(dir, "198.51.100.10").readOnlyCopy());
        assertThat(snapshot(dir)).isEqualTo(before);
        assertThat(m.registryCertificatePem()).isNotEqualTo(Files.readString(dir.resolve("registry.crt")));
        // and no PKI at all: none is made
        Path none = home.resolve("none/pki");
        ClusterPki.ensure(new ClusterPki.Request(none, "demo", List.of("192.0.2.10"), "archcore", null, log, true));
        assertThat(home.resolve("none")).doesNotExist();
        assertThat(log.lines("INFO")).anyMatch(l -> l.contains("Dry run, the cluster PKI is left as it is"));
    }

    @Test
    void anEnvironmentThatCannotNameAFolderIsRefused() {
        assertThatThrownBy(() -> PkiLocation.of(home, "demo", "../prod")).isInstanceOf(PkiException.class)
                .hasMessageContaining("archcore.environment='../prod'");
    }
}
