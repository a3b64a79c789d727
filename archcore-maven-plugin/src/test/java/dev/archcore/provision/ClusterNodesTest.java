package dev.archcore.provision;

import dev.archcore.provision.cloudconfig.Loosening;
import dev.archcore.testing.RecordingLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad input is one clear error naming the file (and line) and what to do. */
class ClusterNodesTest {
    @TempDir
    Path tmp;

    ClusterNodes.Request with(String sshPort, String etcdPort, String appPort, List<String> workers, List<Path> keys) {
        ClusterNodes.Request r = TestCluster.request(tmp);
        return new ClusterNodes.Request(r.registryTemplate(), r.workerTemplate(), r.registryHostname(), workers,
                sshPort, etcdPort, r.registryPort(), appPort, r.registryIp(), r.registry(), r.appName(),
                keys == null ? r.sshKeyFiles() : keys, r.pkiDirectory(), r.registryUser(), null, TestCluster.PINS, Set.of(),
                Map.of("SSH_PORT", "pom.xml line 24 (archcore.sshPort)", "APP_PORT", "pom.xml line 20 (archcore.appPort)",
                        "ETCD_PORT", "pom.xml line 25 (archcore.etcdPort)", "WORKERS", "pom.xml line 40 (archcore.workers)"),
                new RecordingLog());
    }

    ClusterNodes.Request keys(Path... files) {
        return with("2222", "2479", "8080", List.of("slave"), List.of(files));
    }

    @Test
    void aMalformedSshKeyNamesItsFileAndLineAndNeverQuotesIt() throws Exception {
        Path good = TestCluster.sshKey(tmp.resolve("ssh"), "id_ed25519");
        String line = Files.readString(good).strip();
        Path bad = tmp.resolve("bad.pub");
        Files.writeString(bad, "# mine\n" + line + "\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPnc-truncated secret-comment\n");
        assertThatThrownBy(() -> ClusterNodes.plan(keys(bad))).isInstanceOf(ProvisionException.class)
                .hasMessageContaining(bad + " line 3: the ssh-ed25519 key's base64 part does not decode")
                .hasMessageNotContaining("secret-comment");
        Files.writeString(bad, "ssh-ed25519 " + Files.readString(tmp.resolve("ssh/id_ed25519.pub")).split(" ")[1]
                .replace("AAAAC3NzaC1lZDI1NTE5", "AAAAB3NzaC1yc2EAAAAD") + "\n");
        assertThatThrownBy(() -> ClusterNodes.plan(keys(bad))).hasMessageContaining(bad + " line 1: ");
        Files.writeString(bad, "not-a-key AAAA\n");
        assertThatThrownBy(() -> ClusterNodes.plan(keys(bad))).hasMessageContaining(bad + " line 1: not an OpenSSH public key");
        Path priv = tmp.resolve("ssh/id_ed25519");
        String privateKey = Files.readString(priv);
        assertThatThrownBy(() -> ClusterNodes.plan(keys(priv))).hasMessageContaining(priv + " line 1: this is a PEM block")
                .hasMessageNotContaining(privateKey.split("\n")[1]);
    }

    @Test
    void aMissingKeyFileOrNoDefaultKeyIsClear() throws Exception {
        Path missing = tmp.resolve("nope.pub");
        assertThatThrownBy(() -> ClusterNodes.plan(keys(missing))).isInstanceOf(ProvisionException.class)
                .hasMessageContaining("SSH public key file " + missing + " does not exist");
        assertThatThrownBy(() -> dev.archcore.provision.cloudconfig.SshPublicKeys.defaultFiles(tmp.resolve("empty-ssh")))
                .hasMessageContaining(tmp.resolve("empty-ssh/id_*.pub").toString()).hasMessageContaining("archcore.sshPublicKeys");
    }

    @Test
    void aPortOutOfRangeNamesWhereItWasSet() {
        assertThatThrownBy(() -> ClusterNodes.plan(with("70000", "2479", "8080", List.of("slave"), null)))
                .isInstanceOf(ProvisionException.class)
                .hasMessage("pom.xml line 24 (archcore.sshPort): $SSH_PORT = '70000' is not a TCP port: use a number from 1 to 65535.");
        assertThatThrownBy(() -> ClusterNodes.plan(with("ssh", "2479", "8080", List.of("slave"), null)))
                .hasMessageContaining("$SSH_PORT = 'ssh' is not a TCP port");
    }

    @Test
    void twoServicesOnOnePort() {
        assertThatThrownBy(() -> ClusterNodes.plan(with("2222", "2479", "2222", List.of("slave"), null)))
                .isInstanceOf(ProvisionException.class)
                .hasMessageContaining("two services on port 2222: $SSH_PORT (pom.xml line 24 (archcore.sshPort)) and "
                        + "$APP_PORT (pom.xml line 20 (archcore.appPort))");
        assertThatThrownBy(() -> ClusterNodes.plan(with("2222", "2380", "8080", List.of("slave"), null)))
                .hasMessageContaining("two services on port 2380: etcd's peer port");
    }

    @Test
    void aDuplicateOrInvalidHostName() {
        assertThatThrownBy(() -> ClusterNodes.plan(with("2222", "2479", "8080", List.of("slave", "slave"), null)))
                .isInstanceOf(ProvisionException.class)
                .hasMessageContaining("pom.xml line 40 (archcore.workers): the host name 'slave' is given twice");
        assertThatThrownBy(() -> ClusterNodes.plan(with("2222", "2479", "8080", List.of("registry"), null)))
                .hasMessageContaining("the host name 'registry' is given twice (the master is 'registry')");
        assertThatThrownBy(() -> ClusterNodes.plan(with("2222", "2479", "8080", List.of("Bad_Name"), null)))
                .hasMessageContaining("'Bad_Name' is not a host name");
    }

    @Test
    void anUnknownPlaceholderNamesTheTemplateLine() throws Exception {
        Path template = tmp.resolve("user_data.slave.yaml");
        String text = Files.readString(TestCluster.TEMPLATES.resolve("user_data.slave.yaml"))
                .replace("ListenStream=$SSH_PORT", "ListenStream=$SSH_PROT");
        Files.writeString(template, text);
        ClusterNodes.Request r = TestCluster.request(tmp, TestCluster.TEMPLATES.resolve("user_data.registry.yaml"), template,
                List.of("slave"), Set.of());
        NodeRequest worker = ClusterNodes.plan(r).get(1);
        int line = text.substring(0, text.indexOf("$SSH_PROT")).split("\n", -1).length;
        assertThatThrownBy(() -> NodeFiles.render(worker)).isInstanceOf(ProvisionException.class)
                .hasMessageStartingWith(template + " line " + line + ": unknown placeholder $SSH_PROT. Known: ")
                .hasMessageContaining("$$ for a literal $")
                .hasMessageNotContaining("PRIVATE KEY");
    }

    @Test
    void userDataOver64KiBNamesTheTemplateLine() throws Exception {
        Path template = tmp.resolve("user_data.slave.yaml");
        StringBuilder big = new StringBuilder("  - path: /etc/archcore/big\n    content: |\n");
        for (int i = 0; i < 1100; i++) {
            big.append("      ").append("y".repeat(60)).append('\n');
        }
        String text = Files.readString(TestCluster.TEMPLATES.resolve("user_data.slave.yaml"))
                .replace("write_files:\n", "write_files:\n" + big);
        Files.writeString(template, text);
        NodeRequest worker = ClusterNodes.plan(TestCluster.request(tmp, TestCluster.TEMPLATES.resolve("user_data.registry.yaml"),
                template, List.of("slave"), Set.of())).get(1);
        assertThatThrownBy(() -> NodeFiles.render(worker)).isInstanceOf(ProvisionException.class)
                .hasMessageContaining(template + " (rendered for slave) is not a valid cloud-config: line ")
                .hasMessageContaining("over DigitalOcean's limit of 65536 bytes (64 KiB)");
    }

    @Test
    void aMissingTemplate() {
        Path missing = tmp.resolve("none.yaml");
        assertThatThrownBy(() -> ClusterNodes.plan(TestCluster.request(tmp, missing, missing, List.of(), Set.of())))
                .hasMessageContaining("the cloud-config template " + missing + " does not exist");
    }

    @Test
    void validatorWarningsReachTheCallerWithTemplateLines() throws Exception {
        Path template = tmp.resolve("user_data.slave.yaml");
        String text = Files.readString(TestCluster.TEMPLATES.resolve("user_data.slave.yaml")).replace("hostname: $HOSTNAME",
                "hostname: $HOSTNAME\nmanage_etc_hosts: localhost\nfavourite_colour: blue");
        Files.writeString(template, text);
        NodeFiles n = NodeFiles.render(ClusterNodes.plan(TestCluster.request(tmp, TestCluster.TEMPLATES.resolve(
                "user_data.registry.yaml"), template, List.of("slave"), Set.of(Loosening.NTPD))).get(1));
        int line = text.substring(0, text.indexOf("favourite_colour")).split("\n", -1).length;
        assertThat(n.findings()).extracting(Object::toString).containsExactly("line " + line + ": warning: unrecognized key \"favourite_colour\"");
    }
}
