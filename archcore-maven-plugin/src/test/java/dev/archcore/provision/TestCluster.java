package dev.archcore.provision;

import dev.archcore.provision.cloudconfig.Loosening;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.Tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The archetype's own templates with a real ssh-keygen key and a PKI in a temp folder. */
public final class TestCluster {
    /** The templates a generated project gets. */
    public static final Path TEMPLATES = Path.of("../archcore-archetype/src/main/resources/archetype-resources/cloud-config")
            .toAbsolutePath().normalize();

    /**
     * A pin of the right form for {@code $FLEET_HASH}: the SHA-512 of a string, not of fleet's tarball (which the
     * tests never download). archcore carries no default pin (see {@code FleetRelease}).
     */
    public static final String FLEET_HASH = "sha512-" + sha512Hex("not fleet's release tarball".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    /** The values a user adds for the archetype's templates ({@code <values>}). */
    public static final Map<String, String> PINS = Map.of("FLEET_HASH", FLEET_HASH);

    private TestCluster() {
    }

    public static String sha512Hex(byte[] data) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-512").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new ed25519 key pair in {@code dir}; returns the .pub file. */
    public static Path sshKey(Path dir, String name) {
        Tools.require("ssh-keygen");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (Files.exists(dir.resolve(name + ".pub"))) {
            return dir.resolve(name + ".pub");
        }
        Tools.run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@archcore.test", "-f", name).ok("ssh-keygen");
        return dir.resolve(name + ".pub");
    }

    public static ClusterNodes.Request request(Path tmp, Path registryTemplate, Path workerTemplate, List<String> workers,
                                               Set<Loosening> allowed) {
        return new ClusterNodes.Request(registryTemplate, workerTemplate, "registry", workers,
                "2222", "2479", "5443", "8080", "192.0.2.10", "registry.staging.example.invalid:5443", "demo",
                List.of(sshKey(tmp.resolve("ssh"), "id_ed25519")), tmp.resolve("pki"), "archcore", null, PINS,
                allowed, Map.of("SSH_PORT", "pom.xml line 24 (archcore.sshPort)"), new RecordingLog());
    }

    public static ClusterNodes.Request request(Path tmp) {
        return request(tmp, TEMPLATES.resolve("user_data.registry.yaml"), TEMPLATES.resolve("user_data.slave.yaml"),
                List.of("slave", "worker-2"), Set.of());
    }
}
