package dev.archcore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.cluster.RegistrySecrets;
import dev.archcore.cluster.SshTunnel;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.testing.DockerDaemon;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.SshServer;
import dev.archcore.testing.TemplateRegistries;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 15, item 5: the nodes pull with the pull login archcore writes them. The master's files and the pull
 * login go over a real sshd into a node folder; the real docker-registry serves TLS and htpasswd from exactly those
 * files; the real dockerd pulls the pushed image with exactly the written {@code config.json}, and an anonymous
 * pull is refused.
 */
class PullLoginTest {
    static final String PUSH_PASSWORD = "push-Only-Pa55word-7c1f";

    @TempDir
    Path tmp;

    @Test
    void dockerPullsWithTheWrittenConfigAndTheNodesNeverSeeThePushPassword() throws Exception {
        Tools.require("sshd", "docker-registry", "dockerd", "docker");
        ClusterPki.Material pki = ClusterPki.ensure(new ClusterPki.Request(tmp.resolve("pki"), "demo",
                List.of("127.0.0.1"), "archcore", PUSH_PASSWORD, new RecordingLog()));
        Path node = Files.createDirectories(tmp.resolve("node"));
        int port = RegistryServer.freePort();
        String host = "127.0.0.1:" + port;
        try (SshServer sshd = SshServer.start(tmp.resolve("sshd"));
             SshTunnel ssh = SshTunnel.connect(sshd.sshEndpoint(), sshd.options(), new RecordingLog())) {
            RegistrySecrets.install(ssh, node.toString(), RegistrySecrets.masterFiles(pki, host), new RecordingLog());
        }
        // the master template's two registry units as the real docker-registry, on one storage folder, reading
        // exactly the files written above: the nodes pull from the read-only side on $REGISTRY_PORT
        int pushPort = RegistryServer.freePort();
        try (TemplateRegistries registries = TemplateRegistries.start(PullOnlyRegistryTest.TEMPLATE,
                Map.of("REGISTRY_PORT", String.valueOf(port), "REGISTRY_PUSH_PORT", String.valueOf(pushPort)),
                Map.of("/etc/archcore/registry", node.resolve("etc/archcore/registry"),
                        "/var/lib/archcore/registry", tmp.resolve("storage")), tmp.resolve("units"))) {
            TemplateRegistries.Running registry = registries.publishing(port).orElseThrow();
            Path layout = tmp.resolve("image");
            String digest = TestLayouts.write(layout, "1.0", List.of(TestLayouts.Layer.executable("usr/bin/busybox",
                    Path.of("/bin/busybox")), RegistryClientTest.APP1));
            String repo = host + "/archcore/app";
            RegistryClient.push(new PushRequest(layout, RegistryReference.parse(repo + ":1.0"))
                    .connectVia(new java.net.InetSocketAddress("127.0.0.1", pushPort))
                    .credentials(new Credentials("archcore", PUSH_PASSWORD, "the test"))
                    .caFile(tmp.resolve("pki/ca.crt")));

            DockerDaemon docker = DockerDaemon.get();
            String pinned = repo + "@" + digest;
            // anonymous: the registry asks for a login
            Path empty = Files.createDirectories(tmp.resolve("no-login"));
            Tools.Output anonymous = docker.docker("--config", empty.toString(), "pull", pinned);
            assertThat(anonymous.exitCode()).isNotZero();
            assertThat(anonymous.text()).containsAnyOf("no basic auth credentials", "unauthorized", "401");

            // the unit's own command: docker --config /etc/archcore/docker pull <image by digest>
            Path config = node.resolve("etc/archcore/docker");
            String pulled = docker.docker("--config", config.toString(), "pull", pinned).ok("docker pull").text();
            assertThat(pulled).contains(digest);
            // the registry served it to Docker after the login (its access log)
            assertThat(registry.log()).containsPattern("\"GET /v2/archcore/app/manifests/sha256:[0-9a-f]{64} HTTP/[0-9.]+\" 200 .*docker/");
            docker.docker("rmi", pinned);

            // the login is the pull user's, not the push user's
            JsonNode auths = new ObjectMapper().readTree(config.resolve("config.json").toFile()).get("auths");
            assertThat(auths.fieldNames()).toIterable().containsExactly(host);
            String login = new String(Base64.getDecoder().decode(auths.get(host).get("auth").asText()), StandardCharsets.UTF_8);
            assertThat(login).startsWith("archcore-pull:").doesNotContain(PUSH_PASSWORD);

            // the push password is in no file written to the node, in clear or base64
            String encoded = Base64.getEncoder().encodeToString(("archcore:" + PUSH_PASSWORD).getBytes(StandardCharsets.UTF_8));
            try (Stream<Path> files = Files.walk(node)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String text = Files.readString(f, StandardCharsets.ISO_8859_1);
                    assertThat(text).as(f.toString()).doesNotContain(PUSH_PASSWORD).doesNotContain(encoded);
                }
            }

            // docker-registry 2.8's htpasswd auth has no per-user rights: the pull login is refused for a push only
            // because the side that knows it is read-only (PullOnlyRegistryTest checks every way in)
            String[] pull = login.split(":", 2);
            assertThatThrownBy(() -> RegistryClient.push(new PushRequest(layout, RegistryReference.parse(host + "/archcore/by-pull-user:1.0"))
                    .credentials(new Credentials(pull[0], pull[1], "the pull login")).caFile(tmp.resolve("pki/ca.crt"))
                    .retries(java.time.Duration.ofSeconds(1), java.time.Duration.ofMillis(100))))
                    .isInstanceOf(RegistryException.class);
        }
    }
}
