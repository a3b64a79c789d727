package dev.archcore.maven;

import dev.archcore.cluster.RegistrySecrets;
import dev.archcore.cluster.SshTunnel;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.provision.TestCluster;
import dev.archcore.registry.TestLayouts;
import dev.archcore.testing.EtcdServer;
import dev.archcore.testing.MojoFields;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.RecordingMavenLog;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.SshServer;
import dev.archcore.testing.TemplateRegistries;
import dev.archcore.testing.Tools;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * archcore:push with a cluster: the push goes through the SSH connection to the master (a real sshd) to the registry's
 * push side on the master's 127.0.0.1, the master template's units running as the real docker-registry; the nodes
 * pull it from the read-only side. A master without a push side fails with a message that says what to do.
 */
class PushThroughSshTest {
    @TempDir
    Path tmp;

    @Test
    void pushesThroughSshToThePushSideAndTheNodesPullItFromTheReadOnlySide() throws Exception {
        Tools.require("sshd", "etcd", "docker-registry", "skopeo", "unshare");
        Path pki = tmp.resolve("pki");
        int pullPort = RegistryServer.freePort();
        int pushPort = RegistryServer.freePort();
        String pullHost = "127.0.0.1:" + pullPort;
        Path master = Files.createDirectories(tmp.resolve("master"));
        Path target = tmp.resolve("target");
        Path layout = target.resolve("archcore/image");
        String digest = TestLayouts.write(layout, "1.0", List.of(new TestLayouts.Layer("usr/bin/app", 100_000, 11)));
        ImageInfo.write(target.resolve("archcore/image.json"),
                new ImageInfo("archcore/demo-app:1.0", digest, null, null, layout.toString()));

        try (SshServer sshd = SshServer.start(tmp.resolve("sshd"));
             EtcdServer etcd = new EtcdServer(tmp.resolve("etcd"))) {
            // the master's registry files as the window writes them (the same PKI: the window finds them up to date)
            ClusterPki.Material material = ClusterPki.ensure(new ClusterPki.Request(pki, "demo", List.of("127.0.0.1"),
                    "archcore", null, new RecordingLog()));
            try (SshTunnel ssh = SshTunnel.connect(sshd.sshEndpoint(), sshd.options(), new RecordingLog())) {
                RegistrySecrets.install(ssh, master.toString(), RegistrySecrets.masterFiles(material, pullHost), new RecordingLog());
            }
            try (TemplateRegistries registries = TemplateRegistries.start(TestCluster.TEMPLATES.resolve("user_data.registry.yaml"),
                    Map.of("REGISTRY_PORT", String.valueOf(pullPort), "REGISTRY_PUSH_PORT", String.valueOf(pushPort)),
                    Map.of("/etc/archcore/registry", master.resolve("etc/archcore/registry"),
                            "/var/lib/archcore/registry", tmp.resolve("storage")), tmp.resolve("units"))) {
                List<String> lines = new ArrayList<>();
                PushMojo mojo = mojo(target, sshd, etcd, master, pki, pullHost, pushPort, lines);
                mojo.execute();

                TemplateRegistries.Running push = registries.publishing(pushPort).orElseThrow();
                TemplateRegistries.Running pull = registries.publishing(pullPort).orElseThrow();
                assertThat(push.log()).containsPattern("\"PUT /v2/archcore/demo-app/manifests/1.0 HTTP/[0-9.]+\" 201 ");
                assertThat(pull.log()).doesNotContain("PUT /v2/");
                assertThat(String.join("\n", lines)).contains("Pushing through SSH to the registry's push side on 127.0.0.1:"
                        + pushPort).doesNotContain("Update window: restarting registry");
                assertThat(Files.readString(target.resolve("archcore/push.digest")).strip()).isEqualTo(digest);
                // the image is named after the registry the nodes pull from, and they pull it with their login
                Tools.Output pulled = Tools.run(tmp, "skopeo", "inspect", "--authfile",
                        master.resolve("etc/archcore/docker/config.json").toString(), "--cert-dir",
                        master.resolve("etc/docker/certs.d/" + pullHost).toString(),
                        "docker://" + pullHost + "/archcore/demo-app:1.0");
                assertThat(pulled.exitCode()).as(pulled.text()).isZero();
                assertThat(pulled.text()).contains(digest);

                // a master whose node files predate the push side: the push says so instead of a TLS or 401 error
                // (etcd already running, so the window's short timeout is the push side's only)
                Tools.run(tmp, "sh", etcd.startCommand()).ok("start etcd");
                awaitEtcd(etcd);
                PushMojo old = mojo(target, sshd, etcd, master, pki, pullHost, RegistryServer.freePort(), new ArrayList<>());
                MojoFields.set(old, "windowTimeoutSeconds", 2);
                assertThatThrownBy(old::execute).isInstanceOf(MojoFailureException.class)
                        .hasMessageContaining("the registry's push side does not answer")
                        .hasMessageContaining("archcore-registry-push.service")
                        .hasMessageContaining("archcore.registryPushPort=0");
            }
        }
    }

    private static void awaitEtcd(EtcdServer etcd) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", etcd.clientPort)) {
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("etcd did not start");
    }

    private static PushMojo mojo(Path target, SshServer sshd, EtcdServer etcd, Path master, Path pki, String pullHost,
                                 int pushPort, List<String> lines) throws Exception {
        PushMojo mojo = new PushMojo();
        mojo.setLog(new RecordingMavenLog(lines));
        MojoFields.setAll(mojo, "buildDirectory", target.toFile(), "retrySeconds", 3, "parallelUploads", 3,
                "registry", pullHost, "registryPushPort", pushPort, "skipSbom", true, "skipSign", true,
                "cluster", sshd.user + "@127.0.0.1:" + sshd.port, "identity", sshd.clientKey.toFile(),
                "knownHosts", sshd.knownHosts.toFile(), "etcdPort", etcd.clientPort, "etcdPlainHttp", true,
                "etcdStart", etcd.startCommand(), "etcdStop", etcd.stopCommand(), "etcdRestart", "false",
                // the registries already run (the test started them); a restart would mean the secrets changed
                "registryStart", "false", "registryStop", "true", "registryRestart", "false",
                "registryIp", "127.0.0.1", "registryPort", Integer.parseInt(pullHost.substring(pullHost.indexOf(':') + 1)),
                "secretsRoot", master.toString(), "pkiDirectory", pki.toFile(), "registryUser", "archcore",
                "projectArtifactId", "demo", "windowTimeoutSeconds", 30);
        return mojo;
    }
}
