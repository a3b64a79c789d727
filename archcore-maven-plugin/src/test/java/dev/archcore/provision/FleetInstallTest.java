package dev.archcore.provision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.archcore.provision.cloudconfig.YamlNode;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The node files bring fleet v1.0.0 themselves (no OS one can get today ships it): the rendered fleet-install step
 * (the {@code archcore-fetch} script and the unit's pins, as the archetype's templates render them) run for real
 * with sh, curl, sha512sum and tar against a local copy of a tarball laid out as fleet's release; Ignition fetching
 * the same file with {@code verification.hash}; the units accepted by {@code systemd-analyze verify}.
 */
class FleetInstallTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern ENVIRONMENT = Pattern.compile("(?m)^Environment=\"?([A-Z0-9_]+)=([^\"\\n]*)\"?$");
    static final String FLEETD = "#!/bin/sh\necho fleetd of the test fixture\n";

    @TempDir
    Path tmp;
    HttpServer server;
    final AtomicInteger downloads = new AtomicInteger();
    byte[] tarball;

    @BeforeEach
    void serveATarballLaidOutAsFleetsRelease() throws Exception {
        Tools.require("tar", "curl", "sha512sum", "sh");
        Path dir = tmp.resolve("release/fleet-v1.0.0-linux-amd64");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("fleetd"), FLEETD);
        Files.writeString(dir.resolve("fleetctl"), "#!/bin/sh\necho fleetctl of the test fixture\n");
        Files.writeString(dir.resolve("README.md"), "fleet\n");
        Tools.run(tmp.resolve("release"), "tar", "-czf", "../fleet.tar.gz", "fleet-v1.0.0-linux-amd64").ok("tar");
        tarball = Files.readAllBytes(tmp.resolve("fleet.tar.gz"));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/coreos/fleet/releases/download/v1.0.0/fleet-v1.0.0-linux-amd64.tar.gz", x -> {
            downloads.incrementAndGet();
            x.sendResponseHeaders(200, tarball.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(tarball);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    RecordingLog log = new RecordingLog();

    List<NodeFiles> renderAll(Map<String, String> values) throws Exception {
        return renderAll(TestCluster.request(tmp), values);
    }

    List<NodeFiles> renderAll(ClusterNodes.Request r, Map<String, String> values) throws Exception {
        ClusterNodes.Request withValues = new ClusterNodes.Request(r.registryTemplate(), r.workerTemplate(),
                r.registryHostname(), r.workers(), r.sshPort(), r.etcdPort(), r.registryPort(), r.appPort(),
                r.registryIp(), r.registry(), r.appName(), r.sshKeyFiles(), r.pkiDirectory(), r.registryUser(),
                r.registryPassword(), values, r.allowed(), r.origins(), log);
        List<NodeFiles> nodes = new ArrayList<>();
        for (NodeRequest n : ClusterNodes.plan(withValues)) {
            nodes.add(NodeFiles.render(n));
        }
        return nodes;
    }

    static String unit(YamlNode cloudConfig, String name) {
        for (YamlNode u : cloudConfig.get("coreos").get("units").items()) {
            if (u.get("name").text("").equals(name)) {
                return u.get("content").text(null);
            }
        }
        throw new AssertionError("no unit " + name);
    }

    static String file(YamlNode cloudConfig, String path) {
        for (YamlNode f : cloudConfig.get("write_files").items()) {
            if (f.get("path").text("").equals(path)) {
                return f.get("content").text("");
            }
        }
        throw new AssertionError("no file " + path);
    }

    /** The rendered fleet-install step of a worker: its script, its environment and its ExecStart arguments. */
    record Step(String script, Map<String, String> env, List<String> members) {
    }

    static Step fleetInstall(NodeFiles node) throws Exception {
        YamlNode yaml = YamlNode.parse(node.cloudConfig());
        String unit = unit(yaml, "fleet-install.service");
        Map<String, String> env = new LinkedHashMap<>();
        Matcher m = ENVIRONMENT.matcher(unit);
        while (m.find()) {
            env.put(m.group(1), m.group(2));
        }
        List<String> exec = unit.lines().filter(l -> l.startsWith("ExecStart=")).toList();
        assertThat(exec).hasSize(1);
        List<String> args = List.of(exec.get(0).substring("ExecStart=".length()).split(" "));
        assertThat(args.get(0)).isEqualTo("/opt/archcore/bin/archcore-fetch");
        return new Step(file(yaml, "/opt/archcore/bin/archcore-fetch"), env, args.subList(1, args.size()));
    }

    /** Runs the step with its download, tarball and binaries moved to the local server and the test's folders. */
    Tools.Output run(Step step, String hash) throws Exception {
        Path script = tmp.resolve("archcore-fetch");
        Files.writeString(script, step.script());
        Map<String, String> env = new HashMap<>(step.env());
        String url = env.get("ARCHCORE_FETCH_URL");
        assertThat(url).isEqualTo("https://github.com/coreos/fleet/releases/download/v1.0.0/fleet-v1.0.0-linux-amd64.tar.gz");
        env.put("ARCHCORE_FETCH_URL", "http://127.0.0.1:" + server.getAddress().getPort() + url.substring("https://github.com".length()));
        env.put("ARCHCORE_FETCH_FILE", tmp.resolve("downloads/fleet-v1.0.0-linux-amd64.tar.gz").toString());
        env.put("ARCHCORE_FETCH_INTO", tmp.resolve("opt/bin").toString());
        if (hash != null) {
            env.put("ARCHCORE_FETCH_HASH", hash);
        }
        List<String> command = new ArrayList<>(List.of("sh", script.toString()));
        command.addAll(step.members());
        return Tools.run(tmp, env, command);
    }

    String fixtureHash() {
        return "sha512-" + TestCluster.sha512Hex(tarball);
    }

    @Test
    void aTarballWithAnotherHashIsRefusedAndNothingIsUnpacked() throws Exception {
        for (NodeFiles node : renderAll(TestCluster.PINS)) {
            Step step = fleetInstall(node);
            // the rendered pin is the one given in <values>, not this tarball's
            assertThat(step.env()).containsEntry("ARCHCORE_FETCH_HASH", TestCluster.FLEET_HASH);
            assertThat(step.members()).containsExactly("fleet-v1.0.0-linux-amd64/fleetd", "fleet-v1.0.0-linux-amd64/fleetctl");
            Tools.Output out = run(step, null);
            assertThat(out.exitCode()).as(node.hostname() + ": " + out.text()).isEqualTo(1);
            assertThat(out.text()).contains("is not the pinned release (" + TestCluster.FLEET_HASH + ", got "
                    + TestCluster.sha512Hex(tarball) + "): refusing to unpack it");
            assertThat(tmp.resolve("opt/bin/fleetd")).doesNotExist();
            assertThat(tmp.resolve("downloads")).isEmptyDirectory();
        }
        assertThat(downloads.get()).isEqualTo(3);
    }

    @Test
    void theTarballWithThePinnedHashIsUnpackedIntoOptBin() throws Exception {
        Step step = fleetInstall(renderAll(TestCluster.PINS).get(1));
        run(step, fixtureHash()).ok("archcore-fetch");
        assertThat(tmp.resolve("opt/bin/fleetd")).hasContent(FLEETD.strip()).isExecutable();
        assertThat(tmp.resolve("opt/bin/fleetctl")).isExecutable();
        assertThat(tmp.resolve("opt/bin/README.md")).doesNotExist();
        assertThat(tmp.resolve("downloads/fleet-v1.0.0-linux-amd64.tar.gz")).hasBinaryContent(tarball);
        assertThat(downloads.get()).isEqualTo(1);
        // a verified file in place (what Ignition leaves) is used without a download, every boot
        run(step, fixtureHash()).ok("archcore-fetch again");
        assertThat(downloads.get()).isEqualTo(1);
        // a file in place with another content is not trusted: downloaded again and checked
        Files.writeString(tmp.resolve("downloads/fleet-v1.0.0-linux-amd64.tar.gz"), "tampered");
        run(step, fixtureHash()).ok("archcore-fetch after tampering");
        assertThat(downloads.get()).isEqualTo(2);
        assertThat(tmp.resolve("downloads/fleet-v1.0.0-linux-amd64.tar.gz")).hasBinaryContent(tarball);
        // a pin that is not a hash is refused before any download
        Tools.Output out = run(step, "md5-0123");
        assertThat(out.exitCode()).isEqualTo(2);
        assertThat(out.text()).contains("is not sha512-HEX or sha256-HEX");
        assertThat(downloads.get()).isEqualTo(2);
    }

    @Test
    void ignitionFetchesTheSameTarballAndVerifiesItsHash() throws Exception {
        Tools.require("ignition-validate");
        for (NodeFiles node : renderAll(TestCluster.PINS)) {
            Path ign = tmp.resolve(node.hostname() + ".ign");
            Files.writeString(ign, node.ignition());
            Tools.Output validate = Tools.run(tmp, "ignition-validate", ign.toString());
            assertThat(validate.exitCode()).as(validate.text()).isZero();
            assertThat(validate.text()).isBlank();
            Map<String, JsonNode> files = new HashMap<>();
            JsonNode j = JSON.readTree(node.ignition());
            j.at("/storage/files").forEach(f -> files.put(f.get("path").asText(), f));
            JsonNode fleet = files.get("/opt/archcore/downloads/fleet-v1.0.0-linux-amd64.tar.gz");
            assertThat(fleet.at("/contents/source").asText())
                    .isEqualTo("https://github.com/coreos/fleet/releases/download/v1.0.0/fleet-v1.0.0-linux-amd64.tar.gz");
            assertThat(fleet.at("/contents/verification/hash").asText()).isEqualTo(TestCluster.FLEET_HASH);
            // in a fixed order, so another JVM renders the same bytes (Map.of's order is not fixed across runs)
            assertThat(node.ignition()).contains("\"contents\":{\"source\":\"https://github.com/coreos/fleet/releases/"
                    + "download/v1.0.0/fleet-v1.0.0-linux-amd64.tar.gz\",\"verification\":{\"hash\":\"" + TestCluster.FLEET_HASH + "\"}}");
            assertThat(files.get("/opt/archcore/bin/archcore-fetch").get("mode").asInt()).isEqualTo(0755);
            Map<String, JsonNode> units = new HashMap<>();
            j.at("/systemd/units").forEach(u -> units.put(u.get("name").asText(), u));
            assertThat(units.get("fleet.service").get("enabled").asBoolean()).isTrue();
            assertThat(units.get("fleet.socket").get("enabled").asBoolean()).isTrue();
            assertThat(units.get("fleet.service").get("contents").asText()).contains("Requires=fleet-install.service",
                    "ExecStart=/opt/bin/fleetd");
            // fleet's API only on its Unix socket, for root and the fleet group (core)
            assertThat(units.get("fleet.socket").get("contents").asText()).contains("ListenStream=/var/run/fleet.sock",
                    "SocketMode=0660", "SocketGroup=fleet").doesNotContainPattern("ListenStream=[0-9\\[]");
            boolean master = node.hostname().equals("registry");
            JsonNode etcd = files.get("/opt/archcore/downloads/etcd-v3.5.21-linux-amd64.tar.gz");
            assertThat(etcd != null).isEqualTo(master);
            if (master) {
                // etcd's own published SHA-256 of the release (its SHA256SUMS), the same pin the unit checks
                assertThat(etcd.at("/contents/verification/hash").asText())
                        .isEqualTo("sha256-adddda4b06718e68671ffabff2f8cee48488ba61ad82900e639d108f2148501c");
                assertThat(units.get("etcd-member.service").has("enabled")).isFalse();
                assertThat(units.get("etcd-member.service").get("contents").asText())
                        .contains("Requires=etcd-install.service", "ExecStart=/opt/bin/etcd");
                assertThat(units.get("archcore-registry.service").get("contents").asText()).contains(
                        " docker.io/library/registry:2.8.3@sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373\n");
            }
        }
    }

    /** The unit names of a node's cloud-config and of its Ignition JSON, which must agree. */
    static Set<String> unitNames(NodeFiles node) throws Exception {
        Set<String> yaml = new TreeSet<>();
        YamlNode.parse(node.cloudConfig()).get("coreos").get("units").items().forEach(u -> yaml.add(u.get("name").text("")));
        Set<String> ign = new TreeSet<>();
        JSON.readTree(node.ignition()).at("/systemd/units").forEach(u -> ign.add(u.get("name").asText()));
        assertThat(ign).as(node.hostname() + ": Ignition's units").isEqualTo(yaml);
        return yaml;
    }

    static Set<String> filePaths(NodeFiles node) throws Exception {
        Set<String> yaml = new TreeSet<>();
        YamlNode.parse(node.cloudConfig()).get("write_files").items().forEach(f -> yaml.add(f.get("path").text("")));
        return yaml;
    }

    static Set<String> ignitionFilePaths(NodeFiles node) throws Exception {
        Set<String> ign = new TreeSet<>();
        JSON.readTree(node.ignition()).at("/storage/files").forEach(f -> ign.add(f.get("path").asText()));
        return ign;
    }

    static final List<String> FLEET_UNITS = List.of("fleet-install.service", "fleet.socket", "fleet.service");
    static final List<String> FLEET_FILES = List.of("/etc/archcore/fleet/ca.crt", "/etc/sysusers.d/archcore-fleet.conf");

    /**
     * A new project's default: no pin for fleet's tarball. The node files are rendered without the templates' fleet
     * parts (no fleet unit, no file only fleet uses, no tarball for Ignition to fetch), the rest as with a pin, and
     * one warning says why and how to pin.
     */
    @Test
    void withoutAPinTheNodeFilesCarryNoFleetAndSaySo() throws Exception {
        Tools.require("ignition-validate");
        List<NodeFiles> pinned = renderAll(TestCluster.PINS);
        assertThat(log.lines("WARN")).as("a pin: no warning").isEmpty();
        for (String empty : new String[] {null, "", "  "}) {
            Map<String, String> values = new HashMap<>();
            values.put("FLEET_HASH", empty);
            log = new RecordingLog();
            List<NodeFiles> nodes = renderAll(empty == null ? Map.of() : values);
            assertThat(nodes).extracting(NodeFiles::hostname).containsExactly("registry", "slave", "worker-2");
            for (int i = 0; i < nodes.size(); i++) {
                NodeFiles node = nodes.get(i);
                String host = node.hostname();
                assertThat(node.findings()).as(host).isEmpty();
                // every unit and file of the pinned node except fleet's
                Set<String> units = new TreeSet<>(unitNames(pinned.get(i)));
                assertThat(units).as(host).containsAll(FLEET_UNITS);
                FLEET_UNITS.forEach(units::remove);
                assertThat(unitNames(node)).as(host).isEqualTo(units);
                Set<String> files = new TreeSet<>(filePaths(pinned.get(i)));
                assertThat(files).as(host).containsAll(FLEET_FILES);
                FLEET_FILES.forEach(files::remove);
                boolean master = host.equals("registry");
                if (!master) {
                    // archcore-fetch is fleet's alone on a worker; the master's etcd-install uses it too
                    files.remove("/opt/archcore/bin/archcore-fetch");
                }
                assertThat(filePaths(node)).as(host).isEqualTo(files);
                assertThat(ignitionFilePaths(node)).as(host)
                        .doesNotContain("/opt/archcore/downloads/fleet-v1.0.0-linux-amd64.tar.gz")
                        .contains("/etc/archcore/cluster.env")
                        .containsAll(master ? List.of("/opt/archcore/downloads/etcd-v3.5.21-linux-amd64.tar.gz",
                                "/opt/archcore/bin/archcore-fetch") : List.of());
                assertThat(node.cloudConfig()).as(host).doesNotContain("fleetd", "fleet.sock", "FLEET_", "fleet-v1.0.0",
                        "/etc/archcore/fleet/", "archcore:begin", "archcore:end", "$public_ipv4");
                assertThat(node.ignition()).as(host).doesNotContain("fleetd", "fleet.sock", "FLEET_", "fleet-v1.0.0",
                        "/etc/archcore/fleet");
                // the master's etcd and registry as with a pin
                if (master) {
                    assertThat(node.cloudConfig()).contains("ExecStart=/opt/bin/etcd", "ETCD_CLIENT_CERT_AUTH=true",
                            "docker.io/library/registry:2.8.3@sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373");
                } else {
                    // and a worker then holds no private key (fleet's etcd client key was the only one)
                    assertThat(node.cloudConfig()).as(host).doesNotContain("PRIVATE KEY");
                }
                Path ign = tmp.resolve(host + ".ign");
                Files.writeString(ign, node.ignition());
                Tools.Output validate = Tools.run(tmp, "ignition-validate", ign.toString());
                assertThat(validate.exitCode()).as(validate.text()).isZero();
                assertThat(validate.text()).isBlank();
            }
            List<String> warnings = log.lines("WARN");
            assertThat(warnings).as("one warning per run").hasSize(1);
            assertThat(warnings.get(0)).contains("The node files carry no fleet",
                    "archcore.fleetHash", TestCluster.TEMPLATES.resolve("user_data.registry.yaml").toString(),
                    TestCluster.TEMPLATES.resolve("user_data.slave.yaml").toString(),
                    "'# archcore:begin fleet' and '# archcore:end fleet'",
                    "the plain-systemd deploy target (archcore.deploy.target=systemd)",
                    "download https://github.com/coreos/fleet/releases/download/v1.0.0/fleet-v1.0.0-linux-amd64.tar.gz",
                    "set archcore.fleetHash=sha512-").doesNotContain("\n");
        }
    }

    @Test
    void aPinThatIsNotAHashIsRefused() throws Exception {
        assertThatThrownBy(() -> renderAll(Map.of("FLEET_HASH", "sha512-abc"))).isInstanceOf(ProvisionException.class)
                .hasMessageContaining("user_data.registry.yaml line ")
                .hasMessageContaining("uses $FLEET_HASH, the pinned hash of fleet's release tarball fleet-v1.0.0-linux-amd64.tar.gz")
                .hasMessageContaining("'sha512-abc' is not sha512- followed by 128 lower-case hex digits");
        assertThatThrownBy(() -> renderAll(Map.of("FLEET_HASH", "0123" + TestCluster.FLEET_HASH.substring(11))))
                .isInstanceOf(ProvisionException.class).hasMessageContaining("is not sha512- followed by 128");
    }

    /** Without a pin, a $FLEET_HASH the user moved outside the fleet part cannot be left out: refused, with its line. */
    @Test
    void anUnpinnedFleetHashOutsideTheFleetPartIsRefused() throws Exception {
        Path worker = tmp.resolve("user_data.slave.yaml");
        String template = Files.readString(TestCluster.TEMPLATES.resolve("user_data.slave.yaml"));
        String edited = template.replace("      ARCHCORE_MASTER=$REGISTRY_HOSTNAME\n",
                "      ARCHCORE_MASTER=$REGISTRY_HOSTNAME\n      ARCHCORE_FLEET=$FLEET_HASH\n");
        assertThat(edited).isNotEqualTo(template);
        Files.writeString(worker, edited);
        int line = List.of(edited.split("\n")).indexOf("      ARCHCORE_FLEET=$FLEET_HASH") + 1;
        ClusterNodes.Request r = TestCluster.request(tmp, TestCluster.TEMPLATES.resolve("user_data.registry.yaml"), worker,
                List.of("slave"), Set.of());
        assertThatThrownBy(() -> renderAll(r, Map.of())).isInstanceOf(ProvisionException.class)
                .hasMessageContaining(worker + " line " + line + " uses $FLEET_HASH")
                .hasMessageContaining("outside the fleet part ('# archcore:begin fleet' ... '# archcore:end fleet'), but no value is given");
        // with a pin it is an ordinary placeholder
        assertThat(renderAll(r, TestCluster.PINS).get(1).cloudConfig()).contains("ARCHCORE_FLEET=" + TestCluster.FLEET_HASH);
    }

    /** The units fleet and etcd run as, with their binaries stubbed in the test's folder, for the real systemd. */
    @Test
    void systemdAnalyzeVerifiesTheUnits() throws Exception {
        Tools.require("systemd-analyze");
        Path units = tmp.resolve("units");
        Files.createDirectories(units);
        YamlNode master = YamlNode.parse(renderAll(TestCluster.PINS).get(0).cloudConfig());
        List<String> names = List.of("fleet-install.service", "fleet.socket", "fleet.service", "etcd-install.service",
                "etcd-member.service");
        for (String stub : List.of("opt/bin/fleetd", "opt/bin/etcd", "opt/archcore/bin/archcore-fetch")) {
            Path p = tmp.resolve(stub);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "#!/bin/sh\n");
            assertThat(p.toFile().setExecutable(true)).isTrue();
        }
        for (String name : names) {
            String content = unit(master, name).replace("/opt/", tmp.resolve("opt") + "/");
            Files.writeString(units.resolve(name), content);
        }
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
        names.forEach(n -> command.add(units.resolve(n).toString()));
        Tools.Output out = Tools.run(tmp, Map.of("SYSTEMD_UNIT_PATH", units + ":"), command);
        assertThat(out.exitCode()).as(out.text()).isZero();
        assertThat(out.text()).as("no warnings either").isBlank();
    }
}
