package dev.archcore.image;

import dev.archcore.testing.SystemdNodes;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ground a systemd deploy target stands on, with real tools: the image our engine builds from the archetype's
 * app (its server.c compiled statically), its OCI layout sent to three real systemd machines over SSH, unpacked by
 * umoci into a bundle, and started by a unit with {@code RootDirectory=<bundle>/rootfs} and
 * {@code Environment=APP_PORT=...}: systemd reports it {@code active} and the app answers HTTP on the node (curl
 * there, through SSH), with no Docker and no registry on the nodes. A node killed afterwards is reported gone while
 * the app keeps running on the others.
 */
class AppImageOnSystemdNodesTest {
    static final String TAG = "1.0";
    static final int PORT = 18080;
    static final String BUNDLE = "/var/lib/app/demo-app";

    @TempDir
    static Path tmp;
    static Path layout;
    static SystemdNodes nodes;

    @BeforeAll
    static void buildAndBoot() {
        Tools.require("umoci", "gcc");
        TestClosure closure = TestClosure.make(tmp);
        layout = tmp.resolve("out/oci");
        ImageConfig config = new ImageConfig(List.of("/usr/bin/app-server"), List.of(), Map.of("APP_PORT", "8080"),
                "app", "/var/lib/app", List.of("8080"), Map.of(), "1.0", "abc123", "https://example.invalid/demo");
        ImageBuilder.build(new ImageRequest(closure.packages(), TestClosure.NO_EXTRACT, config, 1_800_000_000L,
                "archcore/demo-app", TAG, layout, null, null, null, tmp.resolve("cache"), Layering.DEFAULT, 6, Log.NONE));
        nodes = SystemdNodes.boot(tmp.resolve("nodes"), 3);
    }

    @AfterAll
    static void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void theAppImageRunsUnderEachNodesSystemdAndAnswersHttp() throws IOException {
        String unit = String.join("\n", "[Unit]", "Description=demo-app from its image", "[Service]",
                "RootDirectory=" + BUNDLE + "/rootfs", "Environment=APP_PORT=" + PORT, "ExecStart=/usr/bin/app-server",
                "[Install]", "WantedBy=multi-user.target", "");
        for (SystemdNodes.Node node : nodes.nodes()) {
            // the layers travel over SSH; umoci (not on the node) unpacks them into the node's disk from the host
            nodes.send(node, layout, "/var/lib/archcore/images/demo-app").ok("send the OCI layout to " + node);
            Path sent = node.root.resolve("var/lib/archcore/images/demo-app");
            Tools.run(tmp, "umoci", "unpack", "--image", sent + ":" + TAG, node.root.resolve(BUNDLE.substring(1)).toString())
                    .ok("umoci unpack on " + node);
            nodes.exec(node, "cat > /etc/systemd/system/demo-app.service <<'EOF'\n" + unit + "EOF\n"
                    + "systemctl daemon-reload && systemctl start demo-app.service").ok("start demo-app on " + node);
        }
        for (SystemdNodes.Node node : nodes.nodes()) {
            awaitActive(node);
            String show = nodes.exec(node, "systemctl show -p ActiveState,SubState,MainPID demo-app.service").ok("show").text();
            assertThat(show).contains("ActiveState=active", "SubState=running");
            String pid = show.lines().filter(l -> l.startsWith("MainPID=")).findFirst().orElseThrow().substring(8);
            // it runs inside the image's root, not the node's (systemd pivots into it: its root reads "/", so
            // compare what it sees with the bundle's files as umoci wrote them)
            String seen = nodes.exec(node, "cat /proc/" + pid + "/root/etc/os-release").ok("the app's os-release").text();
            assertThat(seen).isEqualTo(Files.readString(node.root.resolve(BUNDLE.substring(1) + "/rootfs/etc/os-release")))
                    .isNotEqualTo(nodes.exec(node, "cat /etc/os-release").ok("the node's os-release").text());
            // the body the archetype's server.c writes: APP_NAME " " APP_VERSION (TestClosure's config.h)
            assertThat(nodes.exec(node, "curl -sf http://127.0.0.1:" + PORT + "/").ok("curl on " + node).text())
                    .isEqualTo("demo-app 1.0\n");
        }

        // a node that dies is seen as gone; the app on the others does not notice
        SystemdNodes.Node dead = nodes.node(3);
        nodes.kill(dead);
        assertThat(dead.alive()).isFalse();
        assertThat(nodes.exec(dead, "systemctl is-active demo-app.service").exitCode()).isEqualTo(255);
        for (SystemdNodes.Node node : List.of(nodes.node(1), nodes.node(2))) {
            assertThat(nodes.exec(node, "systemctl is-active demo-app.service").text().strip()).isEqualTo("active");
        }
    }

    /** Until systemd says active or failed (a bound, not a timed assertion: the state is what is checked). */
    private static void awaitActive(SystemdNodes.Node node) {
        String state = "";
        for (int i = 0; i < 300; i++) {
            state = nodes.exec(node, "systemctl is-active demo-app.service").text().strip();
            if (state.equals("active") || state.equals("failed")) {
                break;
            }
            sleep();
        }
        assertThat(state).as(node + ": demo-app.service\n" + nodes.exec(node,
                "systemctl status --no-pager demo-app.service; journalctl --no-pager -u demo-app.service").text())
                .isEqualTo("active");
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
