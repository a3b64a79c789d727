package dev.archcore.provision;

import dev.archcore.cluster.EtcdTls;
import dev.archcore.cluster.FleetCredentials;
import dev.archcore.cluster.RegistrySecrets;
import dev.archcore.cluster.SshTunnel;
import dev.archcore.cluster.UpdateWindow;
import dev.archcore.provision.cloudconfig.YamlNode;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.SshServer;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The master's etcd exactly as the archetype's template configures it, run for real: the rendered etcd-member
 * drop-in's settings and the files the master's write_files deliver, with the unit's bind of /etc/ssl/etcd onto
 * /etc/ssl/certs ({@code BindReadOnlyPaths}, what etcd-member's container mount did) done by path. curl judges: no client certificate, another CA's certificate and plain HTTP are
 * refused; archcore's certificate and fleet's (as the worker's user data delivers it) are answered. The update
 * window's health check reaches it over TLS through a real sshd with archcore's certificate, and not without.
 */
class MasterEtcdTlsTest {
    private static final Pattern ENVIRONMENT = Pattern.compile("Environment=\"([A-Z0-9_]+)=([^\"]*)\"");

    @TempDir
    Path tmp;

    /** The unit drop-in's {@code Environment=} settings, in order. */
    static Map<String, String> environment(YamlNode cloudConfig, String unit) {
        Map<String, String> env = new LinkedHashMap<>();
        for (YamlNode u : cloudConfig.get("coreos").get("units").items()) {
            if (u.get("name").text("").equals(unit)) {
                for (YamlNode d : u.get("drop_ins").items()) {
                    Matcher m = ENVIRONMENT.matcher(d.get("content").text(""));
                    while (m.find()) {
                        env.put(m.group(1), m.group(2));
                    }
                }
            }
        }
        assertThat(env).as(unit + "'s drop-in").isNotEmpty();
        return env;
    }

    /** Writes the cloud-config's write_files under {@code prefix} into {@code root}, as coreos-cloudinit would. */
    static void writeFiles(YamlNode cloudConfig, String prefix, Path root) throws IOException {
        for (YamlNode f : cloudConfig.get("write_files").items()) {
            String path = f.get("path").text("");
            if (path.startsWith(prefix)) {
                Path file = root.resolve(path.substring(1));
                Files.createDirectories(file.getParent());
                Files.writeString(file, f.get("content").text(""));
            }
        }
    }

    static boolean answers(String host, int port) {
        try (Socket s = new Socket(host, port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** curl's HTTP status (000 when there was no HTTP answer) and exit code. */
    static String curl(Path dir, String url, String... options) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20"));
        cmd.addAll(List.of(options));
        cmd.add(url);
        Tools.Output out = Tools.run(dir, Map.of(), cmd);
        return out.text().strip() + " exit " + out.exitCode();
    }

    @Test
    void theRenderedEtcdAnswersOnlyClientsWithACertificateFromTheClusterCa() throws Exception {
        Tools.require("etcd", "curl", "sshd");
        int port = RegistryServer.freePort();
        int peer = RegistryServer.freePort();
        // the master's address is 127.0.0.2 (loopback too): etcd then listens on both rendered client URLs
        Path pki = tmp.resolve("pki");
        ClusterNodes.Request request = new ClusterNodes.Request(TestCluster.TEMPLATES.resolve("user_data.registry.yaml"),
                TestCluster.TEMPLATES.resolve("user_data.slave.yaml"), "registry", List.of("slave"), "2222",
                String.valueOf(port), "5443", "8080", "127.0.0.2", null, "demo",
                List.of(TestCluster.sshKey(tmp.resolve("ssh"), "id_ed25519")), pki, "archcore", null, TestCluster.PINS, Set.of(),
                Map.of(), new RecordingLog());
        List<NodeRequest> nodes = ClusterNodes.plan(request);
        YamlNode master = YamlNode.parse(NodeFiles.render(nodes.get(0)).cloudConfig());
        YamlNode worker = YamlNode.parse(NodeFiles.render(nodes.get(1)).cloudConfig());

        Path masterRoot = tmp.resolve("master");
        writeFiles(master, "/etc/ssl/etcd/", masterRoot);
        // etcd's own certificate and key reach the master over SSH when the window opens: the files archcore sends
        ClusterPki.Material material = ClusterPki.ensure(new ClusterPki.Request(pki, "demo", List.of("127.0.0.2"),
                "archcore", null, Log.NONE));
        for (RegistrySecrets.NodeFile f : RegistrySecrets.masterFiles(material, "127.0.0.2:5443")) {
            if (f.path().startsWith("/etc/ssl/etcd/")) {
                Files.write(masterRoot.resolve(f.path().substring(1)), f.content());
            }
        }
        Map<String, String> env = environment(master, "etcd-member.service");
        // the unit binds the folder of ETCD_SSL_DIR (a setting of etcd-member's old wrapper, not etcd's) onto
        // /etc/ssl/certs, where the drop-in's paths point
        String sslDir = env.remove("ETCD_SSL_DIR");
        assertThat(sslDir).isEqualTo("/etc/ssl/etcd");
        assertThat(FleetInstallTest.unit(master, "etcd-member.service")).contains("\nBindReadOnlyPaths=/etc/ssl/etcd:/etc/ssl/certs\n");
        env.replaceAll((k, v) -> v.replace("/etc/ssl/certs/", masterRoot.resolve(sslDir.substring(1)) + "/"));
        // the peer URL stays on loopback; only its port moves off 2380, which another etcd here may hold
        env.replaceAll((k, v) -> v.replace("127.0.0.1:2380", "127.0.0.1:" + peer));
        env.put("ETCD_DATA_DIR", tmp.resolve("etcd-data").toString());
        assertThat(env.get("ETCD_LISTEN_CLIENT_URLS")).isEqualTo("https://127.0.0.2:" + port + ",https://127.0.0.1:" + port);

        ProcessBuilder pb = new ProcessBuilder(Tools.which("etcd").toString()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("etcd.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCD"));
        pb.environment().putAll(env);
        Process etcd = pb.start();
        try {
            for (int i = 0; i < 600 && !(answers("127.0.0.2", port) && answers("127.0.0.1", port)); i++) {
                assertThat(etcd.isAlive()).as(Files.readString(tmp.resolve("etcd.log"))).isTrue();
                Thread.sleep(50);
            }
            String url = env.get("ETCD_ADVERTISE_CLIENT_URLS") + "/v2/keys/";
            assertThat(url).isEqualTo("https://127.0.0.2:" + port + "/v2/keys/");
            String ca = pki.resolve("ca.crt").toString();

            // refused: no client certificate, a certificate another CA signed, plain HTTP
            assertThat(curl(tmp, url, "--cacert", ca)).startsWith("000 exit ").isNotEqualTo("000 exit 0");
            Path other = tmp.resolve("other-pki");
            ClusterPki.ensure(new ClusterPki.Request(other, "other", List.of("127.0.0.2"), "archcore", null, Log.NONE));
            assertThat(curl(tmp, url, "--cacert", ca, "--cert", ClusterPki.archcoreEtcdCertificate(other).toString(),
                    "--key", ClusterPki.archcoreEtcdKey(other).toString())).startsWith("000 exit ").isNotEqualTo("000 exit 0");
            assertThat(curl(tmp, "http://127.0.0.2:" + port + "/v2/keys/")).doesNotStartWith("200");

            // answered: archcore's client certificate
            assertThat(curl(tmp, url, "--cacert", ca, "--cert", ClusterPki.archcoreEtcdCertificate(pki).toString(),
                    "--key", ClusterPki.archcoreEtcdKey(pki).toString())).isEqualTo("200 exit 0");

            // ...and fleet's, with the settings and CA the worker's user data gives fleet and the worker's own
            // client certificate and key, which archcore sends over SSH at window open (FleetCredentials)
            Path workerRoot = tmp.resolve("worker");
            writeFiles(worker, "/etc/archcore/fleet/", workerRoot);
            ClusterPki.ClientCertificate slave = ClusterPki.fleetClients(new ClusterPki.Request(pki, "demo",
                    List.of("127.0.0.2"), "archcore", null, Log.NONE), List.of("slave")).get(0);
            for (RegistrySecrets.NodeFile f : FleetCredentials.files(slave)) {
                Files.write(workerRoot.resolve(f.path().substring(1)), f.content());
            }
            Map<String, String> fleet = environment(worker, "fleet.service");
            assertThat(fleet.get("FLEET_ETCD_SERVERS")).isEqualTo("https://127.0.0.2:" + port);
            assertThat(curl(tmp, fleet.get("FLEET_ETCD_SERVERS") + "/v2/keys/",
                    "--cacert", workerRoot + fleet.get("FLEET_ETCD_CAFILE"),
                    "--cert", workerRoot + fleet.get("FLEET_ETCD_CERTFILE"),
                    "--key", workerRoot + fleet.get("FLEET_ETCD_KEYFILE"))).isEqualTo("200 exit 0");

            // the update window's health check, through a real sshd to 127.0.0.1 on the master
            try (SshServer sshd = SshServer.start(tmp.resolve("sshd"));
                 SshTunnel ssh = SshTunnel.connect(sshd.sshEndpoint(), sshd.options(), new RecordingLog())) {
                EtcdTls archcore = EtcdTls.load(pki.resolve("ca.crt"), ClusterPki.archcoreEtcdCertificate(pki),
                        ClusterPki.archcoreEtcdKey(pki));
                assertThat(UpdateWindow.etcd(port, archcore).answers(ssh)).isTrue();

                EtcdTls stranger = EtcdTls.load(other.resolve("ca.crt"), ClusterPki.archcoreEtcdCertificate(other),
                        ClusterPki.archcoreEtcdKey(other));
                UpdateWindow.Probe wrongCa = UpdateWindow.etcd(port, stranger);
                assertThat(wrongCa.answers(ssh)).isFalse();
                assertThat(wrongCa.lastProblem()).contains("TLS with etcd failed");
                UpdateWindow.Probe plain = UpdateWindow.etcd(port, null);
                assertThat(plain.answers(ssh)).isFalse();
                assertThat(plain.lastProblem()).isNotBlank();
            }
        } finally {
            etcd.destroy();
            if (!etcd.waitFor(20, TimeUnit.SECONDS)) {
                etcd.destroyForcibly();
            }
        }
    }
}
