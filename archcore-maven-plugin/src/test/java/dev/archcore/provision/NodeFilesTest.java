package dev.archcore.provision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.provision.cloudconfig.YamlNode;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archetype's templates rendered for a master and two workers: valid for coreos-cloudinit's rules with no
 * warning, Ignition that the real {@code ignition-validate} accepts (and a broken one it refuses), an
 * sshd_config the real sshd accepts, and the same bytes on every run.
 */
class NodeFilesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    List<NodeFiles> renderAll() throws Exception {
        List<NodeFiles> nodes = new ArrayList<>();
        for (NodeRequest r : ClusterNodes.plan(TestCluster.request(tmp))) {
            nodes.add(NodeFiles.render(r));
        }
        return nodes;
    }

    @Test
    void everyHostRendersCleanlyAndIgnitionValidateAcceptsEveryIgn() throws Exception {
        Tools.require("ignition-validate");
        List<NodeFiles> nodes = renderAll();
        assertThat(nodes).extracting(NodeFiles::hostname).containsExactly("registry", "slave", "worker-2");
        String key = Files.readString(tmp.resolve("ssh/id_ed25519.pub")).strip();
        String ca = Files.readString(tmp.resolve("pki/ca.crt"));
        for (NodeFiles n : nodes) {
            assertThat(n.findings()).as(n.hostname()).isEmpty();
            assertThat(n.cloudConfig()).startsWith("#cloud-config\n")
                    .contains("hostname: " + n.hostname(), "- \"" + key + "\"", "ListenStream=2222",
                            "/etc/docker/certs.d/192.0.2.10:5443/ca.crt",
                            "FLEET_ETCD_SERVERS=https://192.0.2.10:2479", "FLEET_ETCD_CAFILE=/etc/archcore/fleet/ca.crt",
                            "FLEET_ETCD_CERTFILE=/etc/archcore/fleet/etcd-client.crt",
                            "FLEET_ETCD_KEYFILE=/etc/archcore/fleet/etcd-client.key", "FLEET_PUBLIC_IP=$public_ipv4",
                            "ARCHCORE_APP_PORT=8080")
                    .doesNotContainPattern("\\$\\{?(HOSTNAME|SSH_|ETCD_|REGISTRY|APP_|CA_CERT)")
                    .doesNotContain("# Locked down");
            // the CA is delivered byte for byte
            YamlNode root = YamlNode.parse(n.cloudConfig());
            String delivered = root.get("write_files").items().stream()
                    .filter(f -> f.get("path").text("").endsWith("/ca.crt")).findFirst().orElseThrow().get("content").text("");
            assertThat(delivered).isEqualTo(ca);

            Path ign = tmp.resolve(n.hostname() + ".ign");
            Files.writeString(ign, n.ignition());
            Tools.Output out = Tools.run(tmp, "ignition-validate", ign.toString());
            assertThat(out.exitCode()).as(out.text()).isZero();
            assertThat(out.text()).as("no warnings either").isBlank();

            JsonNode j = JSON.readTree(n.ignition());
            assertThat(j.at("/ignition/version").asText()).isEqualTo("3.3.0");
            assertThat(j.at("/passwd/users/0/name").asText()).isEqualTo("core");
            assertThat(j.at("/passwd/users/0/sshAuthorizedKeys/0").asText()).isEqualTo(key);
            Map<String, JsonNode> units = new java.util.HashMap<>();
            j.at("/systemd/units").forEach(u -> units.put(u.get("name").asText(), u));
            assertThat(units.get("ntpd.service").get("mask").asBoolean()).isTrue();
            assertThat(units.get("ntpd.service").has("enabled")).isFalse();
            assertThat(units.get("systemd-timesyncd.service").get("enabled").asBoolean()).isTrue();
            assertThat(units.get("sshd.socket").at("/dropins/0/contents").asText()).contains("ListenStream=\nListenStream=2222\n");
            String fleetDropin = units.get("fleet.service").at("/dropins/0/contents").asText();
            assertThat(fleetDropin).contains("FLEET_ETCD_SERVERS").doesNotContain("public_ipv4");
            Map<String, JsonNode> files = new java.util.HashMap<>();
            j.at("/storage/files").forEach(f -> files.put(f.get("path").asText(), f));
            assertThat(decode(files.get("/etc/hostname"))).isEqualTo(n.hostname() + "\n");
            assertThat(files.get("/etc/ssh/sshd_config").get("mode").asInt()).isEqualTo(0600);
            assertThat(decode(files.get("/etc/ssh/sshd_config"))).contains("PasswordAuthentication no");
            assertThat(decode(files.get("/etc/docker/certs.d/192.0.2.10:5443/ca.crt"))).isEqualTo(ca);
            // fleet's CA on every node; its client certificate and key come over SSH (FleetCredentials), and fleet
            // waits for the key
            assertThat(files).doesNotContainKeys("/etc/archcore/fleet/etcd-client.key", "/etc/archcore/fleet/etcd-client.crt");
            assertThat(decode(files.get("/etc/archcore/fleet/ca.crt"))).isEqualTo(ca);
            assertThat(units.get("fleet.service").get("contents").asText())
                    .contains("\nConditionPathExists=/etc/archcore/fleet/etcd-client.key\n");
            // archcore's own client key never leaves the build machine
            assertThat(n.cloudConfig()).doesNotContain(Files.readString(tmp.resolve("pki/etcd-archcore.key")).strip().split("\n")[1]);
            boolean master = n.hostname().equals("registry");
            assertThat(units.containsKey("etcd-member.service")).isEqualTo(master);
            assertThat(units.containsKey("archcore-registry.service")).isEqualTo(master);
            if (master) {
                assertThat(units.get("etcd-member.service").has("enabled")).isFalse();
                assertThat(units.get("archcore-registry.service").has("enabled")).isFalse();
                // the master's keys and htpasswd are not in its user data (they go over SSH at window open)
                assertThat(files).doesNotContainKeys("/etc/archcore/registry/registry.key", "/etc/archcore/registry/htpasswd",
                        "/etc/archcore/registry/htpasswd-push", "/etc/archcore/registry/htpasswd-pull", "/etc/ssl/etcd/etcd.key");
                assertThat(n.cloudConfig()).doesNotContain(Files.readString(tmp.resolve("pki/registry.key")).strip().split("\n")[1])
                        .doesNotContain(Files.readString(tmp.resolve("pki/etcd.key")).strip().split("\n")[1])
                        .doesNotContain(Files.readString(tmp.resolve("pki/htpasswd")).split(":")[1].strip());
                assertThat(units.get("etcd-member.service").at("/dropins/0/contents").asText())
                        .contains("ETCD_CLIENT_CERT_AUTH=true", "ETCD_LISTEN_CLIENT_URLS=https://192.0.2.10:2479,https://127.0.0.1:2479");
            } else {
                // a worker holds fleet's client key only: not the registry's, not etcd's, no htpasswd
                String registryKey = Files.readString(tmp.resolve("pki/registry.key")).strip().split("\n")[1];
                String etcdKey = Files.readString(tmp.resolve("pki/etcd.key")).strip().split("\n")[1];
                assertThat(n.cloudConfig()).doesNotContain(registryKey).doesNotContain(etcdKey).doesNotContain("htpasswd")
                        .doesNotContain("etcd-member");
            }
        }
    }

    static String decode(JsonNode file) {
        String source = file.at("/contents/source").asText();
        assertThat(source).startsWith("data:;base64,");
        return new String(Base64.getDecoder().decode(source.substring("data:;base64,".length())), StandardCharsets.UTF_8);
    }

    @Test
    void ignitionValidateRejectsABrokenConfig() throws Exception {
        NodeFiles n = renderAll().get(1);
        Path bad = tmp.resolve("broken.ign");
        Files.writeString(bad, n.ignition().replace("\"path\":\"/etc/hostname\"", "\"path\":\"etc/hostname\""));
        Tools.Output out = Tools.run(tmp, "ignition-validate", bad.toString());
        assertThat(out.exitCode()).isNotZero();
        assertThat(out.text()).contains("path not absolute");
    }

    @Test
    void theRealSshdAcceptsTheRenderedSshdConfig() throws Exception {
        Tools.require("sshd", "ssh-keygen");
        NodeFiles n = renderAll().get(0);
        String config = YamlNode.parse(n.cloudConfig()).get("write_files").items().stream()
                .filter(f -> f.get("path").text("").equals("/etc/ssh/sshd_config")).findFirst().orElseThrow()
                .get("content").text("");
        Path hostKey = TestCluster.sshKey(tmp.resolve("host"), "host_key");
        Path file = tmp.resolve("sshd_config");
        Files.writeString(file, config + "HostKey " + hostKey.toString().replace(".pub", "") + "\nPidFile "
                + tmp.resolve("sshd.pid") + "\n");
        Files.createDirectories(Path.of("/run/sshd"));
        Tools.Output out = Tools.run(tmp, Map.of(), List.of(Tools.which("sshd").toString(), "-t", "-f", file.toString()));
        assertThat(out.exitCode()).as(out.text()).isZero();
        Tools.Output effective = Tools.run(tmp, Map.of(), List.of(Tools.which("sshd").toString(), "-T", "-f", file.toString(),
                "-C", "user=core,host=h,addr=192.0.2.1"));
        assertThat(effective.text()).contains("passwordauthentication no", "permitrootlogin no", "kbdinteractiveauthentication no");
    }

    @Test
    void sameInputsSameBytesAndWorkersCanBeRenderedAgainWithTheMastersAddress() throws Exception {
        List<NodeFiles> first = renderAll();
        List<NodeFiles> second = renderAll();
        for (int i = 0; i < first.size(); i++) {
            assertThat(second.get(i).cloudConfig()).isEqualTo(first.get(i).cloudConfig());
            assertThat(second.get(i).ignition()).isEqualTo(first.get(i).ignition());
        }
        NodeRequest worker = ClusterNodes.plan(TestCluster.request(tmp)).get(1);
        NodeFiles moved = NodeFiles.render(worker.withValue("REGISTRY_IP", "203.0.113.5").withAddresses("203.0.113.9", null));
        assertThat(moved.cloudConfig()).contains("FLEET_ETCD_SERVERS=https://203.0.113.5:2479");
        assertThat(moved.ignition()).contains("FLEET_PUBLIC_IP=203.0.113.9");
    }

    @Test
    void nodeFilesHoldNoPrivateKeyAndAreWrittenReadable() throws Exception {
        List<NodeFiles> nodes = renderAll();
        Path out = tmp.resolve("out");
        for (NodeFiles n : nodes) {
            ClusterNodes.write(out, n);
        }
        for (String file : List.of("registry.yaml", "registry.ign", "slave.yaml", "slave.ign")) {
            assertThat(Files.readString(out.resolve(file))).as(file).doesNotContain("PRIVATE KEY");
            assertThat(Files.getPosixFilePermissions(out.resolve(file))).as(file)
                    .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        }
        assertThat(Files.readString(out.resolve("slave.ign"))).isEqualTo(nodes.get(1).ignition());
    }
}
