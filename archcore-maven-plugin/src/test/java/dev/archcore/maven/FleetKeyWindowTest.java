package dev.archcore.maven;

import dev.archcore.cluster.UpdateWindow;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.testing.EtcdServer;
import dev.archcore.testing.MojoFields;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.RecordingMavenLog;
import dev.archcore.testing.SshServer;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15: fleet's etcd client key no longer in user data, but written by the update window: archcore:deploy's
 * window, opened against a real sshd as the master, writes the master's own fleet certificate (common name its name
 * in nodes.json) and key, 0600 and root-owned, restarts fleet once, and a second window writes nothing.
 */
class FleetKeyWindowTest {
    @TempDir
    Path tmp;

    @Test
    void theWindowWritesTheMastersFleetKeyOnceAndRestartsFleetOnlyThen() throws Exception {
        Tools.require("sshd", "etcd", "openssl");
        Path target = Files.createDirectories(tmp.resolve("target/archcore"));
        Files.writeString(target.resolve("nodes.json"), "{\"nodes\": [{\"name\": \"registry\", \"role\": \"master\", "
                + "\"public_ipv4\": \"127.0.0.1\"}]}\n");
        Path node = Files.createDirectories(tmp.resolve("master-root"));
        Path pki = tmp.resolve("pki");
        Path restarts = tmp.resolve("fleet-restarts");
        try (SshServer sshd = SshServer.start(tmp.resolve("sshd"));
             EtcdServer etcd = new EtcdServer(tmp.resolve("etcd"))) {
            DeployMojo mojo = new DeployMojo();
            mojo.setLog(new RecordingMavenLog(new ArrayList<>()));
            MojoFields.setAll(mojo, "buildDirectory", tmp.resolve("target").toFile(), "cluster", sshd.endpoint(),
                    "identity", sshd.clientKey.toFile(), "knownHosts", sshd.knownHosts.toFile(),
                    "etcdPort", etcd.clientPort, "etcdPlainHttp", true,
                    "etcdStart", etcd.startCommand(), "etcdStop", etcd.stopCommand(), "etcdRestart", "true",
                    "fleetRestart", "echo fleet >> " + restarts, "deployTarget", "fleet",
                    "registryPort", 5443, "secretsRoot", node.toString(), "pkiDirectory", pki.toFile(),
                    "registryUser", "archcore", "projectArtifactId", "demo");
            // the PKI archcore:iso made, and the fleet part of the master's node files (its CA)
            ClusterPki.ensure(new ClusterPki.Request(pki, "demo", List.of("127.0.0.1"), "archcore", null, new RecordingLog()));
            Path fleet = Files.createDirectories(node.resolve("etc/archcore/fleet"));
            Files.copy(pki.resolve("ca.crt"), fleet.resolve("ca.crt"));

            List<UpdateWindow.Service> window = mojo.window(null, false, null, true);
            RecordingLog log = new RecordingLog();
            List<String> started = UpdateWindow.open(sshd.sshEndpoint(), sshd.options(), window, Duration.ofSeconds(30),
                    Duration.ofMillis(50), log);
            try {
                assertThat(started).containsExactly("etcd");
                Path key = fleet.resolve("etcd-client.key");
                Path crt = fleet.resolve("etcd-client.crt");
                assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
                assertThat(Files.getOwner(key).getName()).isEqualTo("root");
                Tools.run(tmp, "openssl", "verify", "-CAfile", fleet.resolve("ca.crt").toString(), "-purpose", "sslclient",
                        crt.toString()).ok("openssl verify");
                assertThat(Tools.run(tmp, "openssl", "x509", "-in", crt.toString(), "-noout", "-subject").ok("x509").text())
                        .contains("CN = registry");
                assertThat(Tools.run(tmp, "openssl", "pkey", "-in", key.toString(), "-pubout").ok("pkey").text())
                        .isEqualTo(Tools.run(tmp, "openssl", "x509", "-in", crt.toString(), "-noout", "-pubkey").ok("x509").text());
                assertThat(Files.readAllLines(restarts)).containsExactly("fleet");

                // the next window: nothing written, fleet left running
                Object inode = Files.getAttribute(key, "unix:ino");
                UpdateWindow.open(sshd.sshEndpoint(), sshd.options(), mojo.window(null, false, null, true),
                        Duration.ofSeconds(30), Duration.ofMillis(50), log);
                assertThat(Files.getAttribute(key, "unix:ino")).isEqualTo(inode);
                assertThat(Files.readAllLines(restarts)).containsExactly("fleet");
            } finally {
                UpdateWindow.close(sshd.sshEndpoint(), sshd.options(), window, started, log);
            }
        }
    }
}
