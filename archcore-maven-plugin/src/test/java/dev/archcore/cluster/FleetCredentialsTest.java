package dev.archcore.cluster;

import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.SshServer;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * fleet's etcd client certificate and key reach each node over a real sshd, each node its own (common name its
 * name), the key 0600 and root-owned; fleet is restarted only when they changed; a node without fleet gets nothing.
 */
class FleetCredentialsTest {
    @TempDir
    Path tmp;

    @Test
    void eachNodeGetsItsOwnKeyOverSshAndFleetRestartsOnlyWhenItChanged() throws Exception {
        Tools.require("sshd", "sha256sum", "stat", "openssl");
        Path pki = tmp.resolve("pki");
        ClusterPki.Request request = new ClusterPki.Request(pki, "demo", List.of("203.0.113.7"), "archcore", null,
                new RecordingLog());
        ClusterPki.ensure(request);
        List<ClusterPki.ClientCertificate> certs = ClusterPki.fleetClients(request, List.of("registry", "slave"));
        Path restarts = tmp.resolve("restarts");
        try (SshServer master = SshServer.start(tmp.resolve("sshd-master"));
             SshServer worker = SshServer.start(tmp.resolve("sshd-worker"))) {
            // two nodes, each its own folder (what the node files' fleet part wrote: the CA)
            Path masterRoot = node("master-root", pki);
            Path workerRoot = node("worker-root", pki);
            RecordingLog log = new RecordingLog();
            String restart = "echo \"$SSH_CONNECTION\" >> " + restarts;
            try (SshTunnel ssh = SshTunnel.connect(master.sshEndpoint(), master.options(), log)) {
                assertThat(FleetCredentials.install(ssh, masterRoot.toString(), certs.get(0), restart, log)).isTrue();
            }
            FleetCredentials.installOnAll(List.of(new FleetCredentials.Node("slave", worker.sshEndpoint())), certs,
                    worker.options(), workerRoot.toString(), restart, log);

            for (Path root : List.of(masterRoot, workerRoot)) {
                String name = root == masterRoot ? "registry" : "slave";
                Path key = root.resolve("etc/archcore/fleet/etcd-client.key");
                Path crt = root.resolve("etc/archcore/fleet/etcd-client.crt");
                assertThat(Files.getPosixFilePermissions(key)).as(name).isEqualTo(PosixFilePermissions.fromString("rw-------"));
                assertThat(Files.getOwner(key).getName()).as(name).isEqualTo("root");
                assertThat(Files.getPosixFilePermissions(crt)).as(name).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
                // the real openssl: the certificate is the CA's, names the node, and the key is its own
                Tools.run(tmp, "openssl", "verify", "-CAfile", root.resolve("etc/archcore/fleet/ca.crt").toString(),
                        "-purpose", "sslclient", crt.toString()).ok("openssl verify");
                assertThat(Tools.run(tmp, "openssl", "x509", "-in", crt.toString(), "-noout", "-subject").ok("x509").text())
                        .contains("CN = " + name);
                assertThat(Tools.run(tmp, "openssl", "pkey", "-in", key.toString(), "-pubout").ok("pkey").text())
                        .isEqualTo(Tools.run(tmp, "openssl", "x509", "-in", crt.toString(), "-noout", "-pubkey").ok("x509").text());
            }
            assertThat(Files.readString(masterRoot.resolve("etc/archcore/fleet/etcd-client.key")))
                    .isNotEqualTo(Files.readString(workerRoot.resolve("etc/archcore/fleet/etcd-client.key")));
            assertThat(Files.readAllLines(restarts)).as("fleet restarted once on each node").hasSize(2);
            assertThat(log.toString()).doesNotContain(certs.get(0).keyPem().split("\n")[1]);

            // the next window: the same files, nothing written, no restart
            Path key = masterRoot.resolve("etc/archcore/fleet/etcd-client.key");
            Object inode = Files.getAttribute(key, "unix:ino");
            try (SshTunnel ssh = SshTunnel.connect(master.sshEndpoint(), master.options(), log)) {
                assertThat(FleetCredentials.install(ssh, masterRoot.toString(), certs.get(0), restart, log)).isFalse();
            }
            FleetCredentials.installOnAll(List.of(new FleetCredentials.Node("slave", worker.sshEndpoint())), certs,
                    worker.options(), workerRoot.toString(), restart, log);
            assertThat(Files.getAttribute(key, "unix:ino")).isEqualTo(inode);
            assertThat(Files.readAllLines(restarts)).hasSize(2);

            // a key changed on the node (or a new one issued): written again, fleet restarted there only
            Files.writeString(workerRoot.resolve("etc/archcore/fleet/etcd-client.key"), "stale");
            FleetCredentials.installOnAll(List.of(new FleetCredentials.Node("slave", worker.sshEndpoint())), certs,
                    worker.options(), workerRoot.toString(), restart, log);
            assertThat(Files.readString(workerRoot.resolve("etc/archcore/fleet/etcd-client.key"))).isEqualTo(certs.get(1).keyPem());
            assertThat(Files.readAllLines(restarts)).hasSize(3);

            // a failing restart fails the window, naming the node and the parameter
            Files.writeString(workerRoot.resolve("etc/archcore/fleet/etcd-client.key"), "stale");
            assertThatThrownBy(() -> FleetCredentials.installOnAll(List.of(new FleetCredentials.Node("slave",
                    worker.sshEndpoint())), certs, worker.options(), workerRoot.toString(), "exit 3", log))
                    .isInstanceOf(ClusterException.class).hasMessageContaining("slave")
                    .hasMessageContaining("archcore.window.fleetRestart");

            // a node whose node files carry no fleet gets no key
            Path plain = Files.createDirectories(tmp.resolve("plain-root"));
            try (SshTunnel ssh = SshTunnel.connect(master.sshEndpoint(), master.options(), log)) {
                assertThat(FleetCredentials.install(ssh, plain.toString(), certs.get(0), restart, log)).isFalse();
            }
            assertThat(plain.resolve("etc/archcore/fleet/etcd-client.key")).doesNotExist();
        }
    }

    /** A node's folder as its node files left it: fleet's CA in /etc/archcore/fleet. */
    private Path node(String name, Path pki) throws Exception {
        Path root = Files.createDirectories(tmp.resolve(name));
        Path fleet = Files.createDirectories(root.resolve("etc/archcore/fleet"));
        Files.copy(ClusterPki.caCertificate(pki), fleet.resolve("ca.crt"));
        return root;
    }
}
