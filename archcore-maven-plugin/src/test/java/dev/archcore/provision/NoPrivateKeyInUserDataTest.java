package dev.archcore.provision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.provision.digitalocean.NodeSpec;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 15: no private key travels in user data. With fleet pinned (its parts rendered), the master's and a
 * worker's cloud-config, Ignition (every file decoded), config-drive ISO (read back by the real isoinfo) and
 * DigitalOcean user data hold none of the cluster PKI's private keys, fleet's per-node ones included; the real
 * ignition-validate still accepts the Ignition. A template that puts a private key or $FLEET_ETCD_KEY into the user
 * data is refused naming the file and line.
 */
class NoPrivateKeyInUserDataTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void theMastersAndAWorkersUserDataIsoAndIgnitionHoldNoPrivateKey() throws Exception {
        Tools.require("ignition-validate", "isoinfo");
        ClusterNodes.Request request = TestCluster.request(tmp);
        List<NodeRequest> plan = ClusterNodes.plan(request);
        // every private key the PKI holds, fleet's per-node ones too (the window issues them; here they exist first)
        ClusterPki.fleetClients(new ClusterPki.Request(tmp.resolve("pki"), "demo", List.of("192.0.2.10"), "archcore",
                null, new RecordingLog()), List.of("registry", "slave", "worker-2"));
        List<String> keyLines = keyLines(tmp.resolve("pki"));
        assertThat(keyLines).as("the PKI's keys: ca, registry, etcd, etcd-archcore, three fleet keys").hasSizeGreaterThanOrEqualTo(7);

        for (NodeRequest r : plan.subList(0, 2)) {
            NodeFiles n = NodeFiles.render(r);
            String host = n.hostname();
            assertThat(n.cloudConfig()).as(host + ": fleet's part is rendered").contains("fleet.service", "/etc/archcore/fleet/ca.crt");
            noKey(host + ".yaml", n.cloudConfig(), keyLines);

            // Ignition: the JSON and every file's decoded contents; and the real validator accepts it
            noKey(host + ".ign", n.ignition(), keyLines);
            for (JsonNode f : JSON.readTree(n.ignition()).at("/storage/files")) {
                String source = f.at("/contents/source").asText("");
                if (source.startsWith("data:")) {
                    noKey(host + ".ign " + f.get("path").asText(), decode(source), keyLines);
                }
            }
            Path ign = tmp.resolve(host + ".ign");
            Files.writeString(ign, n.ignition());
            Tools.Output validated = Tools.run(tmp, "ignition-validate", ign.toString());
            assertThat(validated.exitCode()).as(validated.text()).isZero();

            // the config-drive ISO: the whole image, and the user data as isoinfo reads it back
            Path iso = tmp.resolve(host + "-config.iso");
            ClusterNodes.writeIso(iso, r, n, Instant.parse("2026-01-01T00:00:00Z"));
            noKey(iso.toString(), new String(Files.readAllBytes(iso), StandardCharsets.ISO_8859_1), keyLines);
            String userData = Tools.run(tmp, "isoinfo", "-R", "-i", iso.toString(), "-x", "/openstack/latest/user_data")
                    .ok("isoinfo").text();
            assertThat(userData).isEqualTo(n.cloudConfig());

            // DigitalOcean's user data, both formats, with the master's address as the provider assigned it
            for (NodeFilesUserData.Format format : NodeFilesUserData.Format.values()) {
                byte[] data = new NodeFilesUserData(plan, format, new RecordingLog()).userData(
                        new NodeSpec(host, host.equals("registry"), "ams3", "s-1vcpu-1gb", "flatcar", List.of(), List.of()),
                        host.equals("registry") ? null : "203.0.113.5");
                noKey(host + " " + format, new String(data, StandardCharsets.UTF_8), keyLines);
            }
        }
    }

    @Test
    void aTemplateWithAPrivateKeyIsRefusedNamingFileAndLine() throws Exception {
        Path template = tmp.resolve("user_data.slave.yaml");
        String key = Files.readString(writeKey());
        String text = Files.readString(TestCluster.TEMPLATES.resolve("user_data.slave.yaml")).replace("write_files:\n",
                "write_files:\n  - path: /etc/mine.key\n    permissions: \"0600\"\n    content: |\n      "
                        + key.strip().replace("\n", "\n      ") + "\n");
        Files.writeString(template, text);
        int line = lineOf(text, "-----BEGIN");
        assertThatThrownBy(() -> renderWorker(template)).isInstanceOf(ProvisionException.class)
                .hasMessageStartingWith(template + " line " + line + " puts a private key (-----BEGIN PRIVATE KEY-----) "
                        + "into the user data of slave")
                .hasMessageContaining("metadata service").hasMessageContaining("over SSH");

        // the same key base64-encoded (cloud-config's encoding: b64) is no way around it
        String encoded = Files.readString(TestCluster.TEMPLATES.resolve("user_data.slave.yaml")).replace("write_files:\n",
                "write_files:\n  - path: /etc/mine.key\n    encoding: b64\n    content: "
                        + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)) + "\n");
        Files.writeString(template, encoded);
        assertThatThrownBy(() -> renderWorker(template)).isInstanceOf(ProvisionException.class)
                .hasMessageStartingWith(template + " line " + (lineOf(encoded, "encoding: b64") + 1) + " puts a private key");
    }

    @Test
    void aTemplateWithTheFleetKeyPlaceholderIsRefusedNamingFileAndLine() throws Exception {
        Path template = tmp.resolve("user_data.slave.yaml");
        // the write_files entry the templates had until now
        String text = Files.readString(TestCluster.TEMPLATES.resolve("user_data.slave.yaml")).replace("write_files:\n",
                "write_files:\n  - path: /etc/archcore/fleet/etcd-client.key\n    permissions: \"0600\"\n    content: |\n"
                        + "      $FLEET_ETCD_KEY\n");
        Files.writeString(template, text);
        assertThatThrownBy(() -> renderWorker(template)).isInstanceOf(ProvisionException.class)
                .hasMessageStartingWith(template + " line " + lineOf(text, "      $FLEET_ETCD_KEY")
                        + " writes $FLEET_ETCD_KEY into the user data")
                .hasMessageContaining("/etc/archcore/fleet/etcd-client.crt and .key on every node over SSH");
    }

    private void renderWorker(Path template) throws ProvisionException {
        List<NodeRequest> plan = ClusterNodes.plan(TestCluster.request(tmp, TestCluster.TEMPLATES.resolve(
                "user_data.registry.yaml"), template, List.of("slave"), Set.of()));
        NodeFiles.render(plan.get(1));
    }

    /** A private key made by the real openssl, not by the code under test. */
    private Path writeKey() {
        Tools.require("openssl");
        Path key = tmp.resolve("mine.key");
        Tools.run(tmp, "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                key.toString()).ok("openssl genpkey");
        return key;
    }

    private static int lineOf(String text, String needle) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(needle)) {
                return i + 1;
            }
        }
        throw new AssertionError(needle + " not in the template");
    }

    /** The base64 lines of every {@code *.key} in the PKI folder. */
    private static List<String> keyLines(Path pki) throws Exception {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(pki)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".key")).toList()) {
                Files.readAllLines(f).stream().filter(l -> !l.startsWith("-----") && !l.isBlank()).forEach(lines::add);
            }
        }
        return lines;
    }

    private static void noKey(String what, String text, List<String> keyLines) {
        assertThat(text).as(what).doesNotContain("PRIVATE KEY");
        for (String line : keyLines) {
            assertThat(text).as(what + " holds a line of a PKI key").doesNotContain(line);
        }
    }

    private static String decode(String dataUrl) {
        int comma = dataUrl.indexOf(',');
        String meta = dataUrl.substring(0, comma);
        String data = dataUrl.substring(comma + 1);
        return meta.endsWith(";base64") ? new String(Base64.getDecoder().decode(data), StandardCharsets.UTF_8)
                : URLDecoder.decode(data.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
