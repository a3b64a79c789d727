package dev.archcore.registry;

import dev.archcore.cluster.RegistryPushSide;
import dev.archcore.cluster.RegistrySecrets;
import dev.archcore.cluster.SshTunnel;
import dev.archcore.provision.TestCluster;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.SshServer;
import dev.archcore.testing.TemplateRegistries;
import dev.archcore.testing.Tools;
import okhttp3.Credentials;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 15, item 5: the nodes' pull login must not be able to change what the cluster runs. The master template's
 * registry units run as the real docker-registry, configured exactly as their {@code docker run} lines say
 * ({@link TemplateRegistries}), on one storage folder, with the files archcore writes to the master over a real
 * sshd. docker-registry's htpasswd auth has no per-user rights, so the only way to make a login read-only is where
 * it is accepted: the pull user only by a read-only registry, the push user only by one the nodes cannot reach.
 */
class PullOnlyRegistryTest {
    static final String PUSH_PASSWORD = "push-Only-Pa55word-91ad";
    static final Path TEMPLATE = TestCluster.TEMPLATES.resolve("user_data.registry.yaml");

    @TempDir
    Path tmp;

    @Test
    void thePullLoginCannotPushAnywhereAndPullsWhatThePushUserPushed() throws Exception {
        Tools.require("sshd", "docker-registry", "skopeo", "unshare");
        ClusterPki.Material pki = ClusterPki.ensure(new ClusterPki.Request(tmp.resolve("pki"), "demo",
                List.of("127.0.0.1"), "archcore", PUSH_PASSWORD, new RecordingLog()));
        Path ca = tmp.resolve("pki/ca.crt");
        int pullPort = RegistryServer.freePort();
        int pushPort = RegistryServer.freePort();
        String pullHost = "127.0.0.1:" + pullPort;
        Path node = Files.createDirectories(tmp.resolve("master"));
        try (SshServer sshd = SshServer.start(tmp.resolve("sshd"))) {
            try (SshTunnel ssh = SshTunnel.connect(sshd.sshEndpoint(), sshd.options(), new RecordingLog())) {
                RegistrySecrets.install(ssh, node.toString(), RegistrySecrets.masterFiles(pki, pullHost), new RecordingLog());
            }
            Path storage = tmp.resolve("storage");
            try (TemplateRegistries registries = TemplateRegistries.start(TEMPLATE,
                    Map.of("REGISTRY_PORT", String.valueOf(pullPort), "REGISTRY_PUSH_PORT", String.valueOf(pushPort)),
                    Map.of("/etc/archcore/registry", node.resolve("etc/archcore/registry"),
                            "/var/lib/archcore/registry", storage), tmp.resolve("units"))) {
                TemplateRegistries.Running pull = registries.publishing(pullPort).orElseThrow();
                // the push side; before the fix there was one registry for both
                TemplateRegistries.Running push = registries.publishing(pushPort).orElse(pull);
                String pushHost = push.host();
                Path config = node.resolve("etc/archcore/docker/config.json");
                String[] pullLogin = pullLogin(config, pullHost);
                OkHttpClient http = client(ca);

                Path layout = tmp.resolve("image");
                String digest = TestLayouts.write(layout, "1.0", List.of(RegistryClientTest.APP1));
                Path evil = tmp.resolve("evil");
                TestLayouts.write(evil, "1.0", List.of(new TestLayouts.Layer("usr/bin/app", 64 << 10, 99)));

                // (a) the pull login pushes nowhere: not to the registry the nodes pull from ...
                assertThatThrownBy(() -> RegistryClient.push(new PushRequest(evil, RegistryReference.parse(pullHost + "/archcore/app:1.0"))
                        .credentials(new dev.archcore.registry.Credentials(pullLogin[0], pullLogin[1], "the pull login"))
                        .caFile(ca).retries(java.time.Duration.ofSeconds(1), java.time.Duration.ofMillis(100))))
                        .isInstanceOf(RegistryException.class);
                String basicPull = Credentials.basic(pullLogin[0], pullLogin[1]);
                // docker-registry in read-only mode: 405 Method Not Allowed for every write, after the login is accepted
                assertThat(status(http, "POST", pullHost, "/v2/archcore/app/blobs/uploads/", basicPull)).isEqualTo(405);
                assertThat(status(http, "GET", pullHost, "/v2/", basicPull)).isEqualTo(200);
                // ... nor to the push side, which does not know the pull user (401)
                assertThat(status(http, "GET", pushHost, "/v2/", basicPull)).isEqualTo(401);
                assertThat(status(http, "POST", pushHost, "/v2/archcore/app/blobs/uploads/", basicPull)).isEqualTo(401);
                assertThatThrownBy(() -> RegistryClient.push(new PushRequest(evil, RegistryReference.parse(pushHost + "/archcore/app:1.0"))
                        .credentials(new dev.archcore.registry.Credentials(pullLogin[0], pullLogin[1], "the pull login"))
                        .caFile(ca).retries(java.time.Duration.ofSeconds(1), java.time.Duration.ofMillis(100))))
                        .isInstanceOf(RegistryException.class).hasMessageContaining("401");
                // and the real client the nodes' files serve says the same
                Tools.Output skopeoPush = Tools.run(tmp, "skopeo", "copy", "--authfile", config.toString(),
                        "--dest-cert-dir", node.resolve("etc/docker/certs.d/" + pullHost).toString(),
                        "oci:" + evil + ":1.0", "docker://" + pullHost + "/archcore/app:1.0");
                assertThat(skopeoPush.exitCode()).as(skopeoPush.text()).isNotZero();

                // (c) the push user pushes with archcore:push's code: through the SSH connection to the master (a real
                // sshd) to the push side on its 127.0.0.1, the image still named after the registry the nodes pull from
                assertThat(push.unit().publishHost()).isEqualTo("127.0.0.1");
                try (SshTunnel tunnel = SshTunnel.connect(sshd.sshEndpoint(), sshd.options(), new RecordingLog())) {
                    java.net.InetSocketAddress via = RegistryPushSide.forward(tunnel, pushPort, pullHost, false, ca,
                            java.time.Duration.ofSeconds(20), java.time.Duration.ofMillis(100), new RecordingLog());
                    PushResult result = RegistryClient.push(new PushRequest(layout, RegistryReference.parse(pullHost + "/archcore/app:1.0"))
                            .connectVia(via).caFile(ca)
                            .credentials(new dev.archcore.registry.Credentials("archcore", PUSH_PASSWORD, "the test")));
                    assertThat(result.references()).containsExactly(pullHost + "/archcore/app:1.0@" + digest);
                }
                assertThat(push.log()).containsPattern("\"PUT /v2/archcore/app/manifests/1.0 HTTP/[0-9.]+\" 201 ");
                assertThat(pull.log()).doesNotContain("\"PUT /v2/archcore/app/manifests/1.0");
                // the push password is not accepted where the nodes pull (it never needs to cross the network there)
                assertThat(status(http, "GET", pullHost, "/v2/", Credentials.basic("archcore", PUSH_PASSWORD))).isEqualTo(401);

                // nor can it remove or overwrite what the cluster runs (the push side has deletes on; this side refuses)
                String manifest = "/v2/archcore/app/manifests/" + digest;
                assertThat(status(http, "DELETE", pullHost, manifest, basicPull)).isEqualTo(405);
                assertThat(status(http, "PUT", pullHost, "/v2/archcore/app/manifests/1.0", basicPull)).isEqualTo(405);
                assertThat(status(http, "DELETE", pushHost, manifest, basicPull)).isEqualTo(401);

                // (b) the nodes' login pulls it, with the files archcore wrote (skopeo reads Docker's config.json)
                Tools.Output pulled = Tools.run(tmp, "skopeo", "copy", "--authfile", config.toString(),
                        "--src-cert-dir", node.resolve("etc/docker/certs.d/" + pullHost).toString(),
                        "docker://" + pullHost + "/archcore/app@" + digest, "oci:" + tmp.resolve("pulled") + ":1.0");
                assertThat(pulled.exitCode()).as(pulled.text()).isZero();
                assertThat(Files.readString(tmp.resolve("pulled/index.json"))).contains(digest);

                // no blob-descriptor cache on the pull side: a blob the push side deleted is gone there too at once
                String blob = OciLayout.read(layout, null).blobs().stream()
                        .filter(b -> b.mediaType().contains("layer")).findFirst().orElseThrow().digest();
                String blobPath = "/v2/archcore/app/blobs/" + blob;
                assertThat(status(http, "HEAD", pullHost, blobPath, basicPull)).isEqualTo(200);
                assertThat(status(http, "DELETE", pushHost, blobPath, Credentials.basic("archcore", PUSH_PASSWORD))).isEqualTo(202);
                assertThat(status(http, "HEAD", pullHost, blobPath, basicPull)).isEqualTo(404);
            }
        }
    }

    /** The nodes' login as the written config.json has it: {user, password}. */
    static String[] pullLogin(Path config, String host) throws Exception {
        var auths = new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile()).get("auths");
        String auth = new String(java.util.Base64.getDecoder().decode(auths.get(host).get("auth").asText()),
                java.nio.charset.StandardCharsets.UTF_8);
        return auth.split(":", 2);
    }

    static OkHttpClient client(Path ca) throws Exception {
        X509TrustManager tm = RegistryClient.trustManager(ca);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[]{tm}, null);
        return new OkHttpClient.Builder().sslSocketFactory(ssl.getSocketFactory(), tm).build();
    }

    static int status(OkHttpClient http, String method, String host, String path, String authorization) throws Exception {
        RequestBody body = method.equals("POST") || method.equals("PUT") ? RequestBody.create(new byte[0], null) : null;
        try (Response r = http.newCall(new Request.Builder().url("https://" + host + path).header("Authorization", authorization)
                .method(method, body).build()).execute()) {
            return r.code();
        }
    }
}
