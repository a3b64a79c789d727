package dev.archcore.maven;

import dev.archcore.provision.TestCluster;
import dev.archcore.testing.DigitalOceanSimulator;
import dev.archcore.testing.RecordingMavenLog;
import dev.archcore.testing.Tools;
import org.apache.maven.execution.DefaultMavenExecutionRequest;
import org.apache.maven.execution.DefaultMavenExecutionResult;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.settings.Proxy;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.building.SettingsProblem;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** archcore:provision as Maven configures it: the token from settings.xml (decrypted), node defaults, messages. */
class ProvisionMojoTest {
    static final String TOKEN = "dop_v1_feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface";

    @TempDir
    Path tmp;
    DigitalOceanSimulator sim;
    final List<String> lines = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        sim = DigitalOceanSimulator.start(TOKEN);
        Path dir = tmp.resolve("target/archcore/cloud-config");
        Files.createDirectories(dir);
        for (String n : List.of("m", "w1")) {
            Files.writeString(dir.resolve(n + ".yaml"), "#cloud-config\nhostname: " + n + "\nregistry: $REGISTRY_IP:5000\n");
        }
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    ProvisionMojo mojo(String settingsPassword, Object... fields) throws Exception {
        ProvisionMojo mojo = new ProvisionMojo();
        mojo.setLog(new RecordingMavenLog(lines));
        DefaultMavenExecutionRequest request = new DefaultMavenExecutionRequest();
        if (settingsPassword != null) {
            Server server = new Server();
            server.setId("digitalocean");
            server.setPassword(settingsPassword);
            request.addServer(server);
        }
        @SuppressWarnings("deprecation")
        MavenSession session = new MavenSession(null, null, request, new DefaultMavenExecutionResult());
        set(mojo, "session", session);
        set(mojo, "settingsDecrypter", decrypter());
        set(mojo, "buildDirectory", tmp.resolve("target").toFile());
        set(mojo, "userDataFile", tmp.resolve("target") + "/archcore/cloud-config/{name}.yaml");
        set(mojo, "apiUrl", sim.url());
        set(mojo, "serverId", "digitalocean");
        set(mojo, "projectTag", "archcore-demo.app");
        set(mojo, "region", "ams3");
        set(mojo, "size", "s-1vcpu-1gb");
        set(mojo, "image", "ubuntu-24-04-x64");
        set(mojo, "sshKeys", List.of("1234,5678"));
        set(mojo, "pollSeconds", 1);
        set(mojo, "timeoutSeconds", 60);
        set(mojo, "retrySeconds", 5);
        ProvisionNode w1 = new ProvisionNode("w1", null);
        w1.size = "s-2vcpu-4gb";
        set(mojo, "nodes", List.of(new ProvisionNode("m", "master"), w1));
        dev.archcore.testing.MojoFields.setAll(mojo, fields);
        return mojo;
    }

    /** settings-security decryption stands in for `mvn --encrypt-password`: "{enc}" → the token. */
    static SettingsDecrypter decrypter() {
        return request -> {
            Server decrypted = request.getServers().get(0).clone();
            if ("{enc}".equals(decrypted.getPassword())) {
                decrypted.setPassword(TOKEN);
            }
            return new SettingsDecryptionResult() {
                public Server getServer() {
                    return decrypted;
                }

                public List<Server> getServers() {
                    return List.of(decrypted);
                }

                public Proxy getProxy() {
                    return null;
                }

                public List<Proxy> getProxies() {
                    return List.of();
                }

                public List<SettingsProblem> getProblems() {
                    return List.of();
                }
            };
        };
    }

    static void set(Object o, String name, Object value) {
        dev.archcore.testing.MojoFields.set(o, name, value);
    }

    @Test
    void provisionsWithTheDecryptedSettingsToken() throws Exception {
        mojo("{enc}").execute();

        assertThat(sim.calls()).allMatch(c -> ("Bearer " + TOKEN).equals(c.header("Authorization")));
        var posts = sim.calls("POST", "/v2/droplets");
        assertThat(posts).hasSize(2);
        assertThat(posts.get(0).json().get("region").asText()).isEqualTo("ams3");
        assertThat(posts.get(1).json().get("size").asText()).isEqualTo("s-2vcpu-4gb");
        assertThat(posts.get(1).json().get("ssh_keys").toString()).isEqualTo("[1234,5678]");
        // '.' is not allowed in a tag: the default tag from the artifactId is made valid
        assertThat(posts.get(0).json().get("tags").get(0).asText()).isEqualTo("archcore-demo-app");
        String masterIp = sim.droplets().get(0).get("networks").get("v4").get(1).get("ip_address").asText();
        assertThat(posts.get(1).json().get("user_data").asText()).isEqualTo("#cloud-config\nhostname: w1\nregistry: " + masterIp + ":5000\n");
        assertThat(tmp.resolve("target/archcore/nodes.json")).content().contains("\"name\" : \"w1\"");
        assertThat(String.join("\n", lines)).doesNotContain(TOKEN).contains("created");
    }

    @Test
    void aRefusedTokenSaysWhereItCameFrom() throws Exception {
        ProvisionMojo mojo = mojo("dop_v1_revoked");
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("unauthorized: Unable to authenticate you.")
                .hasMessageContaining("(the token came from settings.xml server digitalocean)")
                .hasMessageNotContaining("dop_v1_revoked");
        assertThat(sim.calls()).hasSize(1);
    }

    @Test
    void withoutATokenItSaysWhereToPutIt() throws Exception {
        ProvisionMojo mojo = mojo(null, "serverId", "no-such-server");
        // DIGITALOCEAN_TOKEN is not set where the tests run
        assertThat(System.getenv("DIGITALOCEAN_TOKEN")).isNull();
        assertThatThrownBy(mojo::execute).hasMessageContaining("<server> with id no-such-server")
                .hasMessageContaining("DIGITALOCEAN_TOKEN").hasMessageContaining("Never put it in the pom");
        assertThat(sim.calls()).isEmpty();
    }

    @Test
    void theDryRunNeedsNoTokenAndSendsNothing() throws Exception {
        mojo(null, "dryRun", true, "serverId", "none").execute();
        assertThat(sim.calls()).isEmpty();
        assertThat(String.join("\n", lines)).contains("Authorization: Bearer ****").contains("\"name\" : \"w1\"");
    }

    @Test
    void aMissingUserDataFileIsNamed() throws Exception {
        Files.delete(tmp.resolve("target/archcore/cloud-config/m.yaml"));
        assertThatThrownBy(mojo("{enc}")::execute)
                .hasMessageContaining("no user data for node m: " + tmp.resolve("target/archcore/cloud-config/m.yaml"))
                .hasMessageContaining("archcore:iso");
        assertThat(sim.calls("POST", "/v2/droplets")).isEmpty();
    }

    /** Without userDataFile: the archetype's templates, rendered per node; the workers get the master's address. */
    ProvisionMojo rendering(String format) throws Exception {
        Path key = TestCluster.sshKey(tmp.resolve("ssh"), "id_ed25519");
        ProvisionMojo mojo = mojo("{enc}", "userDataFile", null, "userDataFormat", format,
                "registryTemplate", TestCluster.TEMPLATES.resolve("user_data.registry.yaml").toFile(),
                "workerTemplate", TestCluster.TEMPLATES.resolve("user_data.slave.yaml").toFile(),
                "sshPort", "2222", "etcdPort", "2479", "registryPort", "5443", "appPort", "8080",
                "registryIp", "192.0.2.10", "appName", "demo", "sshPublicKeys", List.of(key.toFile()),
                "pkiDirectory", tmp.resolve("pki").toFile(), "registryUser", "archcore", "values", TestCluster.PINS);
        return mojo;
    }

    String masterIp() {
        return sim.droplets().get(0).get("networks").get("v4").get(1).get("ip_address").asText();
    }

    @Test
    void rendersTheTemplatesWithTheMastersAddressForTheWorkers() throws Exception {
        rendering(null).execute();

        var posts = sim.calls("POST", "/v2/droplets");
        String master = posts.get(0).json().get("user_data").asText();
        String worker = posts.get(1).json().get("user_data").asText();
        assertThat(master).startsWith("#cloud-config\n").contains("hostname: m\n").contains("192.0.2.10");
        assertThat(worker).startsWith("#cloud-config\n").contains("hostname: w1\n")
                .contains("/etc/docker/certs.d/" + masterIp() + ":5443/ca.crt")
                .doesNotContain("192.0.2.10");
        // the master's certificate names the planned 192.0.2.10, not the address it got: one clear warning
        assertThat(lines.stream().filter(l -> l.startsWith("WARN ") && l.contains("fail its TLS check")))
                .singleElement().asString().contains(masterIp(), "archcore.registryIp=192.0.2.10", "reserved IP");
    }

    /**
     * Issue 15, items 3 and 6: a dry run changes nothing, the cluster PKI included (before, a dry run for another
     * address re-issued the registry certificate, and one without a PKI made it), and prints no private material.
     */
    @Test
    void theDryRunLeavesThePkiAsItIsAndPrintsNoPrivateMaterial() throws Exception {
        Path pki = tmp.resolve("pki");
        // the PKI another environment's address made (as switching profiles did)
        dev.archcore.provision.pki.ClusterPki.ensure(new dev.archcore.provision.pki.ClusterPki.Request(pki, "demo",
                List.of("198.51.100.10"), "archcore", "push-Pa55word-of-the-test", new dev.archcore.testing.RecordingLog()));
        var before = dev.archcore.provision.pki.PkiLocationTest.snapshot(pki);
        for (String format : List.of("cloud-config", "ignition")) {
            ProvisionMojo dry = rendering(format);
            set(dry, "dryRun", true);
            dry.execute();
        }
        assertThat(dev.archcore.provision.pki.PkiLocationTest.snapshot(pki)).isEqualTo(before);
        assertThat(sim.calls()).isEmpty();

        String out = String.join("\n", lines);
        assertThat(out).contains("\"user_data\"").contains("hostname: m");
        assertThat(out).doesNotContain("PRIVATE KEY").doesNotContain("push-Pa55word-of-the-test")
                .doesNotContain(Files.readString(pki.resolve("registry-pull.password")).strip());
        for (String line : Files.readAllLines(pki.resolve("htpasswd"))) {
            assertThat(out).doesNotContain(line.substring(line.indexOf(':') + 1));
        }
        // fleet's keys are per node and go over SSH, so the dry run has none to show (none is in the PKI yet)
        assertThat(pki.resolve("etcd-fleet.key")).doesNotExist();
        for (String key : List.of("ca.key", "registry.key", "etcd.key", "etcd-archcore.key")) {
            assertThat(out).as(key).doesNotContain(Files.readAllLines(pki.resolve(key)).get(1));
        }

        // without any PKI, a dry run makes none
        ProvisionMojo fresh = rendering(null);
        set(fresh, "dryRun", true);
        set(fresh, "pkiDirectory", tmp.resolve("no-pki-yet").toFile());
        fresh.execute();
        assertThat(tmp.resolve("no-pki-yet")).doesNotExist();
    }

    /** Issue 15, item 3: DigitalOcean needs no archcore.registryIp; the workers get the address the master got. */
    @Test
    void withoutARegistryIpTheMasterUsesTheProvidersAddressAndTheWorkersTheAssignedOne() throws Exception {
        ProvisionMojo mojo = rendering("cloud-config");
        set(mojo, "registryIp", null);
        mojo.execute();

        var posts = sim.calls("POST", "/v2/droplets");
        String master = posts.get(0).json().get("user_data").asText();
        String worker = posts.get(1).json().get("user_data").asText();
        // coreos-cloudinit fills in $public_ipv4 on the droplet
        assertThat(master).contains("ETCD_LISTEN_CLIENT_URLS=https://$public_ipv4:2479,https://127.0.0.1:2479")
                .doesNotContain("PRIVATE KEY-----\n" + Files.readAllLines(tmp.resolve("pki/registry.key")).get(1));
        assertThat(worker).contains("FLEET_ETCD_SERVERS=https://" + masterIp() + ":2479")
                .contains("/etc/docker/certs.d/" + masterIp() + ":5443/ca.crt").doesNotContain("$public_ipv4:");
        assertThat(lines).noneMatch(l -> l.contains("fail its TLS check"));
        assertThat(tmp.resolve("target/archcore/nodes.json")).content().contains(masterIp());
    }

    /** Flatcar by default (a custom image, no format given) and no registryIp: cloud-config, which Flatcar reads. */
    @Test
    void flatcarWithoutARegistryIpGetsCloudConfigThatNamesTheMastersAddressOnTheDroplet() throws Exception {
        ProvisionMojo mojo = rendering(null);
        set(mojo, "registryIp", null);
        set(mojo, "customImage", new ProvisionImage());
        mojo.execute();

        var posts = sim.calls("POST", "/v2/droplets");
        assertThat(posts).hasSize(2);
        assertThat(posts.get(0).json().get("user_data").asText()).startsWith("#cloud-config\n")
                .contains("ETCD_LISTEN_CLIENT_URLS=https://$public_ipv4:2479,https://127.0.0.1:2479");
        assertThat(posts.get(1).json().get("user_data").asText()).startsWith("#cloud-config\n")
                .contains("/etc/docker/certs.d/" + masterIp() + ":5443/ca.crt");
        assertThat(lines).anyMatch(l -> l.contains("the droplets get cloud-config rather than Ignition"));
    }

    @Test
    void ignitionWithoutARegistryIpSaysWhatToDoBeforeAnyDropletIsMade() throws Exception {
        ProvisionMojo mojo = rendering("ignition");
        set(mojo, "registryIp", null);
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("archcore.registryIp is not set, and Ignition cannot fill in")
                .hasMessageContaining("userDataFormat=cloud-config");
        assertThat(sim.calls("POST", "/v2/droplets")).isEmpty();
    }

    @Test
    void aBadRegistryIpIsNamedBeforeAnyDropletIsMade() throws Exception {
        ProvisionMojo mojo = rendering(null);
        set(mojo, "registryIp", "192.0.2.300");
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("archcore.registryIp: $REGISTRY_IP = '192.0.2.300' is not an IP address");
        assertThat(sim.calls("POST", "/v2/droplets")).isEmpty();
    }

    /** A new project's default (archcore.fleetHash empty): droplets without fleet, and the warning once. */
    @Test
    void withoutAFleetPinTheDropletsGetNoFleetAndTheBuildSaysSo() throws Exception {
        ProvisionMojo mojo = rendering("ignition");
        set(mojo, "values", java.util.Map.of("FLEET_HASH", ""));
        mojo.execute();

        var posts = sim.calls("POST", "/v2/droplets");
        assertThat(posts).hasSize(2);
        for (int i = 0; i < 2; i++) {
            String userData = posts.get(i).json().get("user_data").asText();
            assertThat(userData).doesNotContain("fleet-install.service", "fleet.socket", "fleet.service", "fleetd",
                    "fleet-v1.0.0-linux-amd64.tar.gz", "/etc/archcore/fleet/");
            Path ign = tmp.resolve("node-" + i + ".ign");
            Files.writeString(ign, userData);
            Tools.run(tmp, "ignition-validate", ign.toString()).ok("ignition-validate");
        }
        assertThat(posts.get(0).json().get("user_data").asText()).contains("etcd-member.service", "archcore-registry.service");
        assertThat(lines.stream().filter(l -> l.startsWith("WARN ") && l.contains("The node files carry no fleet")))
                .singleElement().asString().contains("archcore.deploy.target=systemd", "archcore.fleetHash=sha512-");
    }

    @Test
    void flatcarGetsIgnitionThatIgnitionValidateAccepts() throws Exception {
        rendering("ignition").execute();

        var posts = sim.calls("POST", "/v2/droplets");
        for (int i = 0; i < 2; i++) {
            String userData = posts.get(i).json().get("user_data").asText();
            assertThat(userData).startsWith("{\"ignition\":{\"version\":\"3.3.0\"}");
            Path ign = tmp.resolve("node-" + i + ".ign");
            Files.writeString(ign, userData);
            Tools.run(tmp, "ignition-validate", ign.toString()).ok("ignition-validate");
        }
        assertThat(posts.get(1).json().get("user_data").asText()).contains(masterIp());
    }

    @Test
    void destroyDeletesTheTaggedDroplets() throws Exception {
        mojo("{enc}").execute();
        mojo("{enc}", "destroy", true).execute();
        assertThat(sim.droplets()).isEmpty();
        assertThat(sim.calls("DELETE", "/v2/droplets")).hasSize(1);
        assertThat(new File(tmp.toFile(), "target/archcore/nodes.json")).doesNotExist();
    }
}
