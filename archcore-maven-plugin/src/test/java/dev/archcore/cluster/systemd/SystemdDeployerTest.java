package dev.archcore.cluster.systemd;

import dev.archcore.cluster.ClusterException;
import dev.archcore.testing.AppImages;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.SystemdNodes;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The systemd target against three real systemd machines (Debian 12 booted by systemd-nspawn, sshd on each, see
 * {@link SystemdNodes}) and the archetype's app image: the unit the target writes really starts under each node's
 * systemd, in the image's own root, and the app answers HTTP. The tests build on each other (one cluster): a dry
 * run, the first deploy, the same image again, a new version in batches, a damaged transfer, a failure on one node
 * rolled back on all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdDeployerTest {
    static final int PORT = 8080;

    @TempDir
    static Path tmp;
    static SystemdNodes nodes;
    static AppImages.Built v1;
    static AppImages.Built v2;

    @BeforeAll
    static void boot() {
        v1 = AppImages.build(tmp.resolve("app"), "demo", "1.0", PORT);
        v2 = AppImages.build(tmp.resolve("app"), "demo", "2.0", PORT);
        nodes = SystemdNodes.boot(tmp.resolve("nodes"), 3);
    }

    @AfterAll
    static void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    static List<Node> targets() {
        return nodes.nodes().stream().map(n -> new Node(n.name, n.sshEndpoint(), nodes.options())).toList();
    }

    static SystemdDeployRequest request(AppImages.Built image, int port, int batch, boolean dryRun, RecordingLog log) {
        return new SystemdDeployRequest("demo", targets(), AppImage.read(image.layout(), image.manifestDigest()), port,
                batch, 8, Duration.ofSeconds(60), Duration.ofMillis(300), dryRun, log);
    }

    static String on(SystemdNodes.Node node, String command) {
        return nodes.exec(node, command).text();
    }

    static String hex(AppImages.Built image) {
        return image.manifestDigest().substring("sha256:".length());
    }

    @Test
    @Order(1)
    void aDryRunPrintsThePlanAndChangesNothing() {
        RecordingLog log = new RecordingLog();
        SystemdDeployResult result = SystemdDeployer.deploy(request(v1, PORT, 0, true, log));

        assertThat(result.changed()).isEmpty();
        assertThat(log.toString()).contains("Dry run: nothing changes", "send the image to 3 node(s)",
                "RootDirectory=/var/lib/archcore/demo/sha256-" + hex(v1) + "/rootfs");
        for (SystemdNodes.Node n : nodes.nodes()) {
            assertThat(log.toString()).contains(n.name + " (root@" + n.address + ":22) now: not-found/inactive/dead, unit none, image to send");
            assertThat(Files.exists(n.root.resolve("etc/systemd/system/demo.service"))).isFalse();
            assertThat(Files.exists(n.root.resolve("var/lib/archcore"))).isFalse();
        }
    }

    @Test
    @Order(2)
    void theFirstDeployRunsTheAppUnderEachNodesSystemdInTheImagesRoot() throws IOException {
        RecordingLog log = new RecordingLog();
        SystemdDeployResult result = SystemdDeployer.deploy(request(v1, PORT, 0, false, log));

        assertThat(result.changed()).hasSize(3);
        assertThat(result.transferred()).hasSize(3);
        String binarySha = sha256(v1.binary());
        for (SystemdNodes.Node n : nodes.nodes()) {
            // asked with OpenSSH's own client, on the node
            assertThat(on(n, "systemctl is-active demo.service").strip()).isEqualTo("active");
            assertThat(on(n, "systemctl is-enabled demo.service").strip()).isEqualTo("enabled");
            assertThat(on(n, "curl -fsS http://127.0.0.1:" + PORT + "/")).isEqualTo("demo 1.0\n");
            String unit = Files.readString(n.root.resolve("etc/systemd/system/demo.service"));
            assertThat(unit).contains("RootDirectory=/var/lib/archcore/demo/sha256-" + hex(v1) + "/rootfs\n",
                    "ExecStart=\"/usr/bin/demo\"\n", "Environment=\"APP_PORT=8080\"\n", "User=0\n");
            // the layers arrived whole: the app's binary in the node's copy is the one gcc built
            Path rootfs = n.root.resolve("var/lib/archcore/demo/sha256-" + hex(v1) + "/rootfs");
            assertThat(sha256(rootfs.resolve("usr/bin/demo"))).isEqualTo(binarySha);
            assertThat(rootfs.resolve("etc/passwd")).exists();
            // it really runs in that root: its process sees the image's files, not the node's
            String pid = on(n, "systemctl show -p MainPID --value demo.service").strip();
            assertThat(on(n, "ls /proc/" + pid + "/root/usr/bin").strip()).isEqualTo("demo");
        }
        assertThat(log.toString()).contains("new demo.service: 3/3 node(s) running and answering");
    }

    @Test
    @Order(3)
    void theSameImageAgainChangesNothing() {
        RecordingLog log = new RecordingLog();
        String pid = on(nodes.node(1), "systemctl show -p MainPID --value demo.service").strip();
        SystemdDeployResult result = SystemdDeployer.deploy(request(v1, PORT, 0, false, log));

        assertThat(result.changed()).isEmpty();
        assertThat(log.toString()).contains("already runs on all 3 nodes: nothing to do");
        assertThat(on(nodes.node(1), "systemctl show -p MainPID --value demo.service").strip()).isEqualTo(pid);
    }

    @Test
    @Order(4)
    void aNewVersionGoesOutInBatchesAndThePreviousImageIsKept() {
        RecordingLog log = new RecordingLog();
        SystemdDeployResult result = SystemdDeployer.deploy(request(v2, PORT, 1, false, log));

        assertThat(result.changed()).hasSize(3);
        assertThat(log.toString()).contains("Batch 1 of 3: node1", "Batch 2 of 3: node2", "Batch 3 of 3: node3",
                "demo.service: 1/3 node(s) switched", "demo.service: 3/3 node(s) switched");
        // batch 2 starts only when batch 1 answers
        assertThat(log.lines().indexOf(log.lines().stream().filter(l -> l.contains("demo.service: 1/3 node(s) switched"))
                .findFirst().orElseThrow())).isLessThan(log.lines().indexOf(log.lines().stream()
                .filter(l -> l.contains("Batch 2 of 3")).findFirst().orElseThrow()));
        for (SystemdNodes.Node n : nodes.nodes()) {
            assertThat(on(n, "curl -fsS http://127.0.0.1:" + PORT + "/")).isEqualTo("demo 2.0\n");
            assertThat(on(n, "ls /var/lib/archcore/demo").lines().toList())
                    .containsExactlyInAnyOrder("sha256-" + hex(v1), "sha256-" + hex(v2));
        }
    }

    @Test
    @Order(5)
    void aLayerDamagedOnTheWayIsRefusedByTheNodeAndNoUnitChanges() throws IOException {
        // v1 with one byte of its app layer changed: what the manifest promises is not what arrives
        Path damaged = tmp.resolve("damaged");
        Tools.run(tmp, "cp", "-a", v1.layout().toString(), damaged.toString()).ok("cp");
        AppImage image = AppImage.read(damaged, v1.manifestDigest());
        AppImage.Layer layer = image.layers().get(0);
        byte[] bytes = Files.readAllBytes(layer.file());
        bytes[bytes.length - 20] ^= 1;
        Files.write(layer.file(), bytes);
        // another manifest digest would be needed for a new directory: remove v1's copy on node3 so it is sent
        on(nodes.node(3), "rm -rf /var/lib/archcore/demo/sha256-" + hex(v1));
        String before = on(nodes.node(3), "cat /etc/systemd/system/demo.service");

        assertThatThrownBy(() -> SystemdDeployer.deploy(new SystemdDeployRequest("demo", targets(), image, PORT, 0, 8,
                Duration.ofSeconds(60), Duration.ofMillis(300), false, new RecordingLog())))
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("node3 (root@" + nodes.node(3).address + ":22) received the layer " + layer.digest() + " damaged")
                .hasMessageContaining("No unit was changed");
        assertThat(on(nodes.node(3), "cat /etc/systemd/system/demo.service")).isEqualTo(before);
        assertThat(on(nodes.node(3), "ls -A /var/lib/archcore/demo").lines().toList())
                .containsExactly(".incoming-sha256-" + hex(v1), "sha256-" + hex(v2));
        assertThat(on(nodes.node(3), "curl -fsS http://127.0.0.1:" + PORT + "/")).isEqualTo("demo 2.0\n");
    }

    @Test
    @Order(6)
    void aUnitThatFailsOnOneNodeIsRolledBackOnAll() throws IOException {
        // node2: another program holds the new port, so the app cannot bind it there and exits
        Files.copy(v1.binary(), nodes.node(2).root.resolve("usr/local/bin/squatter"));
        on(nodes.node(2), "systemd-run --unit=squatter --setenv=APP_PORT=9090 /usr/local/bin/squatter");
        await(() -> nodes.exec(nodes.node(2), "curl -fsS http://127.0.0.1:9090/").exitCode() == 0);
        RecordingLog log = new RecordingLog();

        assertThatThrownBy(() -> SystemdDeployer.deploy(request(v1, 9090, 0, false, log)))
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("did not run on every node: 1 of 3 node(s) failed (node2 (root@"
                        + nodes.node(2).address + ":22): ")
                .hasMessageContaining("The previous unit was restored on the 3 node(s) the deploy had changed and runs on 3 again")
                .hasMessageContaining("The journal of demo.service on node2")
                .hasMessageContaining("bind: Address already in use");
        for (SystemdNodes.Node n : nodes.nodes()) {
            assertThat(on(n, "systemctl is-active demo.service").strip()).isEqualTo("active");
            assertThat(on(n, "curl -fsS http://127.0.0.1:" + PORT + "/")).isEqualTo("demo 2.0\n");
            assertThat(Files.readString(n.root.resolve("etc/systemd/system/demo.service")))
                    .contains("RootDirectory=/var/lib/archcore/demo/sha256-" + hex(v2) + "/rootfs\n",
                            "Environment=\"APP_PORT=8080\"\n");
        }
        assertThat(log.toString()).contains("Rolling back 3 node(s)");
        on(nodes.node(2), "systemctl stop squatter");
    }

    @Test
    @Order(7)
    void aFirstDeployThatFailsLeavesNoUnitBehind() {
        // another app, new to every node, whose port another program holds on node3
        Tools.run(tmp, "cp", v1.binary().toString(), nodes.node(3).root.resolve("usr/local/bin/squatter").toString()).ok("cp");
        on(nodes.node(3), "systemd-run --unit=squatter2 --setenv=APP_PORT=9091 /usr/local/bin/squatter");
        await(() -> nodes.exec(nodes.node(3), "curl -fsS http://127.0.0.1:9091/").exitCode() == 0);
        SystemdDeployRequest other = new SystemdDeployRequest("other", targets(), AppImage.read(v1.layout(),
                v1.manifestDigest()), 9091, 0, 8, Duration.ofSeconds(60), Duration.ofMillis(300), false, new RecordingLog());

        assertThatThrownBy(() -> SystemdDeployer.deploy(other)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("1 of 3 node(s) failed (node3 (root@" + nodes.node(3).address + ":22)")
                .hasMessageContaining("(3 had none: the unit was removed there)");
        for (SystemdNodes.Node n : nodes.nodes()) {
            assertThat(on(n, "test -e /etc/systemd/system/other.service || echo gone").strip()).isEqualTo("gone");
            assertThat(on(n, "systemctl is-active other.service").strip()).isEqualTo("inactive");
            assertThat(on(n, "curl -fsS http://127.0.0.1:" + PORT + "/")).isEqualTo("demo 2.0\n");
        }
        on(nodes.node(3), "systemctl stop squatter2");
    }

    @Test
    @Order(8)
    void ninetyNineNodeEntriesAreReachedInParallel() {
        // 33 entries per real node: only a dry run may see one machine more than once
        List<Node> many = new ArrayList<>();
        IntStream.range(0, 33).forEach(i -> targets().forEach(n -> many.add(new Node(n.name() + "-" + i, n.endpoint(), n.ssh()))));
        AppImage image = AppImage.read(v2.layout(), v2.manifestDigest());
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        RecordingLog recorded = new RecordingLog();
        dev.archcore.util.Log log = new dev.archcore.util.Log() {
            @Override
            public void info(String message) {
                recorded.info(message);
            }

            @Override
            public void warn(String message) {
                recorded.warn(message);
            }

            @Override
            public void debug(String message) {
                if (message.startsWith("SSH: connected")) {
                    threads.add(Thread.currentThread().getName() + "@" + System.identityHashCode(Thread.currentThread()));
                }
            }
        };
        long start = System.nanoTime();
        SystemdDeployer.deploy(new SystemdDeployRequest("demo", many, image, PORT, 0, 8, Duration.ofSeconds(60),
                Duration.ofMillis(300), true, log));
        double parallel = (System.nanoTime() - start) / 1e9;
        assertThat(threads).hasSize(99);
        assertThat(threads.stream().distinct().count()).isEqualTo(8);
        assertThat(recorded.toString()).contains("Connected to 99 node(s) over SSH");
        System.out.printf("dry run to 99 node entries (3 machines), 8 at a time: %.2f s%n", parallel);
    }

    static void await(java.util.function.BooleanSupplier condition) {
        for (int i = 0; i < 100 && !condition.getAsBoolean(); i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
