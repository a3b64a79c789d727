package dev.archcore.maven;

import dev.archcore.testing.EtcdServer;
import dev.archcore.testing.MojoFields;
import dev.archcore.testing.RecordingMavenLog;
import dev.archcore.testing.ScriptedRegistry;
import dev.archcore.testing.SshServer;
import dev.archcore.testing.Tools;
import org.apache.maven.execution.DefaultMavenExecutionRequest;
import org.apache.maven.execution.DefaultMavenExecutionResult;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * archcore:deploy closes the update window archcore:push handed over on every path, also when it ends before it
 * connects to fleet: the real etcd and docker-registry, started on the "master" (a real sshd on 127.0.0.1) by the
 * window's own start scripts, must really be stopped by its stop commands over SSH.
 */
class DeployMojoTest {
    static final String UNIT = """
            [Service]
            ExecStart=/usr/bin/docker run --rm --name demo @image@

            [X-Fleet]
            Global=true
            """;

    @TempDir
    static Path tmp;
    static SshServer sshd;

    @BeforeAll
    static void start() {
        sshd = SshServer.start(tmp.resolve("sshd"));
    }

    @AfterAll
    static void stop() {
        sshd.close();
    }

    /** What archcore:push leaves for archcore:deploy: etcd and the registry running on the master, and the record. */
    static final class OpenWindow implements AutoCloseable {
        final EtcdServer etcd;
        final ScriptedRegistry registry;
        final Path target;
        final String cluster;

        OpenWindow(String name, String cluster) throws IOException {
            Path dir = tmp.resolve(name);
            this.cluster = cluster;
            etcd = new EtcdServer(dir.resolve("etcd"));
            registry = new ScriptedRegistry(dir.resolve("registry"));
            target = Files.createDirectories(dir.resolve("target"));
            Tools.run(dir, "sh", "-c", etcd.startCommand()).ok("start etcd");
            Tools.run(dir, "sh", "-c", registry.startCommand()).ok("start the registry");
            awaitAnswer(etcd.clientPort);
            awaitAnswer(registry.port);
            new UpdateWindowRecord(cluster, List.of(AbstractClusterMojo.ETCD, AbstractClusterMojo.REGISTRY), 0)
                    .write(UpdateWindowRecord.file(target));
        }

        boolean open() {
            return etcd.running() || registry.running() || answers(etcd.clientPort) || answers(registry.port);
        }

        boolean closed() {
            return !etcd.running() && !registry.running() && !answers(etcd.clientPort) && !answers(registry.port)
                    && !Files.exists(UpdateWindowRecord.file(target));
        }

        @Override
        public void close() {
            etcd.close();
            registry.close();
        }
    }

    static boolean answers(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits for a service the test itself started (not the code under test): setup, not an assertion on time. */
    static void awaitAnswer(int port) {
        for (int i = 0; i < 600 && !answers(port); i++) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        assertThat(answers(port)).as("a service on port " + port + " started by the test").isTrue();
    }

    final List<String> lines = new CopyOnWriteArrayList<>();

    DeployMojo mojo(OpenWindow w, Object... fields) {
        DeployMojo mojo = new DeployMojo();
        mojo.setLog(new RecordingMavenLog(lines));
        MojoFields.setAll(mojo, "buildDirectory", w.target.toFile(), "cluster", w.cluster,
                "identity", sshd.clientKey.toFile(), "knownHosts", sshd.knownHosts.toFile(),
                "fleetSocket", tmp.resolve("no-fleet.sock").toString(), "etcdPort", w.etcd.clientPort,
                "etcdStart", w.etcd.startCommand(), "etcdStop", w.etcd.stopCommand(),
                "registryStart", w.registry.startCommand(), "registryStop", w.registry.stopCommand(),
                "registry", w.registry.host(), "insecure", true, "windowTimeoutSeconds", 30,
                "timeoutSeconds", 30, "pollMillis", 50, "unit", tmp.resolve("units/demo.service").toFile(),
                "registryPort", 5443, "etcdPlainHttp", true, "appPort", "8080",
                // the secrets the window writes over SSH go under a folder of the test, with its own PKI
                "secretsRoot", tmp.resolve("node-root").toString(), "pkiDirectory", tmp.resolve("pki").toFile(),
                "registryUser", "archcore");
        MojoFields.setAll(mojo, fields);
        return mojo;
    }

    static Path unit(String name, String text) throws IOException {
        Path file = tmp.resolve("units").resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private void assertClosedByTheWindowsCommands(OpenWindow w) {
        assertThat(w.closed()).as("etcd and the registry stopped, the record gone").isTrue();
        assertThat(lines).contains("INFO Update window: stopped registry on " + sshd.sshEndpoint(),
                "INFO Update window: stopped etcd on " + sshd.sshEndpoint());
    }

    /**
     * Issue 16, item 13: the archetype's unit says {@code @appPort@}; a deploy with another archcore.appPort must
     * send fleet a unit with that port (the fleet simulator keeps the unit text it was given).
     */
    @Test
    void theAppPortOfThisDeployReachesTheUnitSentToFleet() throws Exception {
        String image = "10.0.0.1:5443/demo@sha256:" + "c".repeat(64);
        Path template = unit("ported.service", """
                [Service]
                ExecStart=/usr/bin/docker run --rm --name demo -p @appPort@:@appPort@ -e APP_PORT=@appPort@ @image@

                [X-Fleet]
                Global=true
                """);
        try (OpenWindow w = new OpenWindow("port", sshd.endpoint());
             dev.archcore.testing.FleetSimulator fleet = dev.archcore.testing.FleetSimulator.start(
                     tmp.resolve("port-fleet.sock"), 2, 20)) {
            mojo(w, "unit", template.toFile(), "image", image, "fleetSocket", fleet.socket.toString(),
                    "appPort", "9091").execute();
            assertThat(fleet.unitText("ported.service"))
                    .contains("ExecStart=/usr/bin/docker run --rm --name demo -p 9091:9091 -e APP_PORT=9091 " + image)
                    .doesNotContain("@appPort@").doesNotContain("8080");
            assertClosedByTheWindowsCommands(w);
        }
    }

    @Test
    void anAppPortThatIsNoPortIsRefusedAndClosesTheWindow() throws Exception {
        try (OpenWindow w = new OpenWindow("bad-port", sshd.endpoint())) {
            Path good = unit("demo.service", UNIT);
            assertThatThrownBy(() -> mojo(w, "unit", good.toFile(), "image", "10.0.0.1:5443/demo@sha256:"
                    + "b".repeat(64), "appPort", "80a").execute())
                    .isInstanceOf(MojoFailureException.class)
                    .hasMessageContaining("archcore.appPort='80a' is not a TCP port");
            assertClosedByTheWindowsCommands(w);
        }
    }

    @Test
    void skipClosesTheWindowPushOpened() throws Exception {
        try (OpenWindow w = new OpenWindow("skip", sshd.endpoint())) {
            assertThat(w.open()).isTrue();
            mojo(w, "skip", true).execute();
            assertThat(lines).contains("INFO archcore.skip is set: nothing deployed");
            assertClosedByTheWindowsCommands(w);
        }
    }

    @Test
    void aMissingUnitFileClosesTheWindow() throws Exception {
        try (OpenWindow w = new OpenWindow("no-unit", sshd.endpoint())) {
            Path missing = tmp.resolve("units/missing.service");
            assertThatThrownBy(() -> mojo(w, "unit", missing.toFile()).execute())
                    .isInstanceOf(MojoFailureException.class)
                    .hasMessageContaining("the unit file " + missing + " does not exist");
            assertClosedByTheWindowsCommands(w);
        }
    }

    @Test
    void aBadUnitTemplateClosesTheWindow() throws Exception {
        try (OpenWindow w = new OpenWindow("bad-template", sshd.endpoint())) {
            Path local = unit("local.service", UNIT.replace("[X-Fleet]\nGlobal=true\n", ""));
            assertThatThrownBy(() -> mojo(w, "unit", local.toFile(),
                    "image", "10.0.0.1:5443/demo@sha256:" + "b".repeat(64)).execute())
                    .isInstanceOf(MojoFailureException.class)
                    .hasMessageContaining("is not a global fleet unit");
            assertClosedByTheWindowsCommands(w);
        }
    }

    @Test
    void anImageLookupFailureClosesTheWindow() throws Exception {
        try (OpenWindow w = new OpenWindow("no-image", sshd.endpoint())) {
            Path good = unit("demo.service", UNIT);
            // nothing pushed: no target/archcore/push.digest
            assertThatThrownBy(() -> mojo(w, "unit", good.toFile()).execute())
                    .isInstanceOf(MojoFailureException.class)
                    .hasMessageContaining("nothing pushed yet");
            assertClosedByTheWindowsCommands(w);
        }
    }

    @Test
    void offlineClosesTheWindowThisBuildOpened() throws Exception {
        try (OpenWindow w = new OpenWindow("offline", sshd.endpoint())) {
            DefaultMavenExecutionRequest request = new DefaultMavenExecutionRequest();
            request.setOffline(true);
            @SuppressWarnings("deprecation")
            MavenSession session = new MavenSession(null, null, request, new DefaultMavenExecutionResult());
            Path good = unit("demo.service", UNIT);
            assertThatThrownBy(() -> mojo(w, "unit", good.toFile(), "session", session).execute())
                    .isInstanceOf(MojoFailureException.class)
                    .hasMessageContaining("Maven is offline");
            assertClosedByTheWindowsCommands(w);
        }
    }

    @Test
    void aBuildThatEndsBetweenPushAndDeployHasTheWindowClosedWhenTheJvmExits() throws Exception {
        try (OpenWindow w = new OpenWindow("guard", sshd.endpoint())) {
            java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
            UpdateWindowGuard guard = new UpdateWindowGuard(UpdateWindowRecord.file(w.target), 0, sshd.sshEndpoint(),
                    sshd.options(), mojo(w).windowToClose(), new java.io.PrintStream(printed, true));
            // what the shutdown hook archcore:push registers runs: no archcore:deploy consumed the record
            guard.run();
            assertThat(w.closed()).as("etcd and the registry stopped, the record gone").isTrue();
            assertThat(printed.toString()).contains("the build ended before archcore:deploy closed the update window",
                    "[INFO] Update window: stopped registry", "[INFO] Update window: stopped etcd").doesNotContain("[ERROR]");
            // after a deploy (it deletes the record) the guard has nothing to do
            printed.reset();
            guard.run();
            assertThat(printed.toString()).isEmpty();
        }
    }

    @Test
    void whenTheMasterCannotBeReachedToCloseTheMessageSaysWhatRunsAndHowToStopIt() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String cluster = sshd.user + "@127.0.0.1:" + closed;
        try (OpenWindow w = new OpenWindow("unreachable", cluster)) {
            Path missing = tmp.resolve("units/missing.service");
            assertThatThrownBy(() -> mojo(w, "unit", missing.toFile()).execute())
                    .isInstanceOf(MojoFailureException.class)
                    .hasMessageContaining("the unit file " + missing + " does not exist")
                    .hasMessageContaining("cannot reach the master")
                    .hasMessageContaining("registry and etcd still run on " + cluster + ": stop them with ssh -p " + closed
                            + " " + sshd.user + "@127.0.0.1 '" + w.registry.stopCommand() + "; " + w.etcd.stopCommand() + "'");
            // what the message says is true: both still run
            assertThat(w.etcd.running()).isTrue();
            assertThat(w.registry.running()).isTrue();
            // ...and the command it gives stops them
            Tools.run(tmp, "sh", "-c", w.registry.stopCommand() + "; " + w.etcd.stopCommand()).ok("the command given");
            assertThat(w.etcd.running() || w.registry.running()).isFalse();
        }
    }
}
