package dev.archcore.maven;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.cluster.UpdateWindow;
import dev.archcore.testing.DigitalOceanSimulator;
import dev.archcore.testing.EtcdServer;
import dev.archcore.testing.MojoFields;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.RecordingMavenLog;
import dev.archcore.testing.ScriptedRegistry;
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
 * Issue 15, item 3: archcore:provision on the DigitalOcean simulator (no archcore.registryIp), then the update
 * window with a real sshd as the master: the master's registry secrets arrive over SSH with their modes, issued for
 * the addresses the simulator assigned (openssl says so), the registry restarts only when they changed.
 */
class WindowSecretsTest {
    @TempDir
    Path tmp;

    @Test
    void theWindowWritesSecretsForTheAssignedAddressesAndRestartsOnlyOnChange() throws Exception {
        Tools.require("sshd", "etcd", "openssl");
        Path target = tmp.resolve("target");
        Path userData = Files.createDirectories(target.resolve("archcore/cloud-config"));
        for (String n : List.of("m", "w1")) {
            Files.writeString(userData.resolve(n + ".yaml"), "#cloud-config\nhostname: " + n + "\n");
        }
        String masterPublic;
        String masterPrivate;
        try (DigitalOceanSimulator sim = DigitalOceanSimulator.start(ProvisionMojoTest.TOKEN)) {
            ProvisionMojo provision = new ProvisionMojo();
            provision.setLog(new RecordingMavenLog(new ArrayList<>()));
            ProvisionNode w1 = new ProvisionNode("w1", null);
            MojoFields.setAll(provision, "buildDirectory", target.toFile(), "apiUrl", sim.url(),
                    "userDataFile", userData + "/{name}.yaml", "serverId", "none", "projectTag", "archcore-demo",
                    "region", "ams3", "size", "s-1vcpu-1gb", "image", "ubuntu-24-04-x64", "pollSeconds", 1,
                    "timeoutSeconds", 60, "retrySeconds", 5, "nodes", List.of(new ProvisionNode("m", "master"), w1));
            withToken(provision, sim);
            // the addresses as the simulator assigned them (its own data, not archcore's nodes.json)
            JsonNode master = sim.droplets().get(0);
            masterPublic = address(master, "public");
            masterPrivate = address(master, "private");
        }
        // the worker is this machine's sshd too (the simulator's addresses are not reachable from here)
        Path nodesJson = target.resolve("archcore/nodes.json");
        ObjectNode nodes = (ObjectNode) new ObjectMapper().readTree(nodesJson.toFile());
        ((ObjectNode) nodes.get("nodes").get(1)).put("public_ipv4", "127.0.0.1");
        Files.writeString(nodesJson, nodes.toPrettyString());

        Path node = Files.createDirectories(tmp.resolve("master-root"));
        Path marker = tmp.resolve("restarts");
        try (SshServer sshd = SshServer.start(tmp.resolve("sshd"));
             EtcdServer etcd = new EtcdServer(tmp.resolve("etcd"));
             ScriptedRegistry registry = new ScriptedRegistry(tmp.resolve("registry"))) {
            DeployMojo mojo = new DeployMojo();
            mojo.setLog(new RecordingMavenLog(new ArrayList<>()));
            MojoFields.setAll(mojo, "buildDirectory", target.toFile(), "cluster", "127.0.0.1:" + sshd.port,
                    "identity", sshd.clientKey.toFile(), "knownHosts", sshd.knownHosts.toFile(),
                    "etcdPort", etcd.clientPort, "etcdPlainHttp", true,
                    "etcdStart", etcd.startCommand(), "etcdStop", etcd.stopCommand(),
                    "etcdRestart", "echo etcd >> " + marker,
                    "registryStart", registry.startCommand(), "registryStop", registry.stopCommand(),
                    "registryRestart", "echo registry >> " + marker,
                    "registryPort", 5443, "secretsRoot", node.toString(), "pkiDirectory", tmp.resolve("pki").toFile(),
                    "registryUser", "archcore", "projectArtifactId", "demo");
            MojoFields.set(mojo, "cluster", sshd.user + "@127.0.0.1:" + sshd.port);
            List<UpdateWindow.Service> window = mojo.window(registry.host(), true, null, true);
            RecordingLog log = new RecordingLog();
            List<String> started = UpdateWindow.open(sshd.sshEndpoint(), sshd.options(), window, Duration.ofSeconds(30),
                    Duration.ofMillis(50), log);
            try {
                assertThat(started).containsExactly("etcd", "registry");
                Path certs = node.resolve("etc/archcore/registry");
                for (String secret : List.of("registry.key", "htpasswd-push", "htpasswd-pull")) {
                    assertThat(Files.getPosixFilePermissions(certs.resolve(secret))).as(secret)
                            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
                    assertThat(Files.getOwner(certs.resolve(secret)).getName()).isEqualTo("root");
                }
                String pull = masterPublic + ":5443";
                Path ca = node.resolve("etc/docker/certs.d/" + pull + "/ca.crt");
                assertThat(ca).exists();
                Tools.run(tmp, "openssl", "verify", "-CAfile", ca.toString(), certs.resolve("registry.crt").toString())
                        .ok("openssl verify");
                String sans = Tools.run(tmp, "openssl", "x509", "-in", certs.resolve("registry.crt").toString(), "-noout",
                        "-ext", "subjectAltName").ok("openssl x509").text();
                assertThat(sans).contains("IP Address:" + masterPublic, "IP Address:" + masterPrivate);
                assertThat(Tools.run(tmp, "openssl", "x509", "-in", node.resolve("etc/ssl/etcd/etcd.crt").toString(),
                        "-noout", "-ext", "subjectAltName").ok("openssl x509").text())
                        .contains("IP Address:" + masterPublic, "IP Address:" + masterPrivate, "IP Address:127.0.0.1");
                assertThat(Files.readString(node.resolve("etc/archcore/docker/config.json"))).contains("\"" + pull + "\"");
                assertThat(marker).doesNotExist();

                // a second window with the same secrets: nothing restarts
                assertThat(UpdateWindow.open(sshd.sshEndpoint(), sshd.options(), window, Duration.ofSeconds(30),
                        Duration.ofMillis(50), log)).isEmpty();
                assertThat(marker).doesNotExist();

                // the push side's htpasswd lost on the master: written again, and the running registry restarts to read it
                Files.delete(certs.resolve("htpasswd-push"));
                assertThat(UpdateWindow.open(sshd.sshEndpoint(), sshd.options(), window, Duration.ofSeconds(30),
                        Duration.ofMillis(50), log)).isEmpty();
                assertThat(Files.readAllLines(marker)).containsExactly("registry");
                assertThat(certs.resolve("htpasswd-push")).exists();
            } finally {
                UpdateWindow.close(sshd.sshEndpoint(), sshd.options(), window, started, log);
            }
        }
    }

    private static void withToken(ProvisionMojo provision, DigitalOceanSimulator sim) throws Exception {
        org.apache.maven.execution.DefaultMavenExecutionRequest request = new org.apache.maven.execution.DefaultMavenExecutionRequest();
        org.apache.maven.settings.Server server = new org.apache.maven.settings.Server();
        server.setId("none");
        server.setPassword(ProvisionMojoTest.TOKEN);
        request.addServer(server);
        @SuppressWarnings("deprecation")
        org.apache.maven.execution.MavenSession session = new org.apache.maven.execution.MavenSession(null, null, request,
                new org.apache.maven.execution.DefaultMavenExecutionResult());
        MojoFields.setAll(provision, "session", session, "settingsDecrypter", ProvisionMojoTest.decrypter());
        provision.execute();
    }

    private static String address(JsonNode droplet, String type) {
        for (JsonNode n : droplet.get("networks").get("v4")) {
            if (type.equals(n.get("type").asText())) {
                return n.get("ip_address").asText();
            }
        }
        throw new AssertionError("the simulator gave no " + type + " address");
    }
}
