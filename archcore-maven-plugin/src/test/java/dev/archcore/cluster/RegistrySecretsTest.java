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
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The secrets written over a real sshd: modes, owner, content, and nothing rewritten when nothing changed. */
class RegistrySecretsTest {
    @TempDir
    Path tmp;

    @Test
    void writesTheMastersSecretsRootOwnedWithTheirModesAndOnlyWhenTheyChange() throws Exception {
        Tools.require("sshd", "sha256sum", "stat");
        ClusterPki.Material pki = ClusterPki.ensure(new ClusterPki.Request(tmp.resolve("pki"), "demo",
                List.of("203.0.113.7"), "archcore", "push-Secret-1", new RecordingLog()));
        Path node = Files.createDirectories(tmp.resolve("node"));
        try (SshServer sshd = SshServer.start(tmp.resolve("sshd"));
             SshTunnel ssh = SshTunnel.connect(sshd.sshEndpoint(), sshd.options(), new RecordingLog())) {
            List<RegistrySecrets.NodeFile> files = RegistrySecrets.masterFiles(pki, "203.0.113.7:5443");
            Set<String> changed = RegistrySecrets.install(ssh, node.toString(), files, new RecordingLog());
            assertThat(changed).containsExactlyInAnyOrder("registry", "etcd");

            // etcd's key belongs to the user etcd runs as, where the node has one (Debian's etcd-server makes it here)
            String etcdOwner = Tools.run(tmp, "id", "-u", "etcd").exitCode() == 0 ? "etcd" : "root";
            for (String secret : List.of("etc/archcore/registry/registry.key", "etc/archcore/registry/htpasswd-push",
                    "etc/archcore/registry/htpasswd-pull", "etc/ssl/etcd/etcd.key", "etc/archcore/docker/config.json")) {
                Path f = node.resolve(secret);
                assertThat(Files.getPosixFilePermissions(f)).as(secret).isEqualTo(PosixFilePermissions.fromString("rw-------"));
                assertThat(Files.getOwner(f).getName()).as(secret).isEqualTo(secret.endsWith("etcd.key") ? etcdOwner : "root");
            }
            assertThat(Files.getPosixFilePermissions(node.resolve("etc/archcore/registry/registry.crt")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
            assertThat(Files.readString(node.resolve("etc/archcore/registry/registry.key"))).isEqualTo(pki.registryKeyPem());
            assertThat(Files.readString(node.resolve("etc/docker/certs.d/203.0.113.7:5443/ca.crt"))).isEqualTo(pki.caCertificatePem());
            // each registry side knows one user: the push side only the push user, the read-only side only the pull user
            assertThat(Files.readAllLines(node.resolve("etc/archcore/registry/htpasswd-push")))
                    .singleElement().asString().startsWith("archcore:$2y$");
            assertThat(Files.readAllLines(node.resolve("etc/archcore/registry/htpasswd-pull")))
                    .singleElement().asString().startsWith("archcore-pull:$2y$");
            assertThat(node.resolve("etc/archcore/registry/htpasswd")).doesNotExist();
            // no temporary file is left beside them
            try (var left = Files.walk(node)) {
                assertThat(left.map(Path::getFileName).map(Path::toString)).noneMatch(n -> n.startsWith(".archcore."));
            }

            // the same secrets again: nothing written, nothing to restart
            Path key = node.resolve("etc/archcore/registry/registry.key");
            Object inode = Files.getAttribute(key, "unix:ino");
            RecordingLog again = new RecordingLog();
            assertThat(RegistrySecrets.install(ssh, node.toString(), files, again)).isEmpty();
            assertThat(Files.getAttribute(key, "unix:ino")).isEqualTo(inode);
            assertThat(again.toString()).contains("up to date");

            // a mode changed by hand is put back, and the registry restarts
            Files.setPosixFilePermissions(node.resolve("etc/archcore/registry/htpasswd-pull"), PosixFilePermissions.fromString("rw-r--r--"));
            assertThat(RegistrySecrets.install(ssh, node.toString(), files, new RecordingLog())).containsExactly("registry");
            assertThat(Files.getPosixFilePermissions(node.resolve("etc/archcore/registry/htpasswd-pull")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
    }
}
