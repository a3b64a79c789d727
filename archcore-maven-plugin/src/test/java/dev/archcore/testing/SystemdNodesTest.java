package dev.archcore.testing;

import dev.archcore.cluster.SshTunnel;
import dev.archcore.util.Log;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ground the systemd deploy target stands on: three real machines with systemd as PID 1, each its own host on
 * its own address, reached over SSH by OpenSSH's client and by the project's own SSH client with the
 * helper's key and known_hosts; a killed machine is seen as gone while the others keep running.
 */
class SystemdNodesTest {
    @TempDir
    static Path tmp;
    static SystemdNodes nodes;

    @BeforeAll
    static void boot() {
        long start = System.nanoTime();
        nodes = SystemdNodes.boot(tmp.resolve("nodes"), 3);
        System.out.printf("3 nodes booted in %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    @AfterAll
    static void stop() {
        if (nodes != null) {
            long start = System.nanoTime();
            nodes.close();
            System.out.printf("3 nodes stopped and removed in %.1f s%n", (System.nanoTime() - start) / 1e9);
            for (SystemdNodes.Node node : nodes.nodes()) {
                assertThat(node.root).doesNotExist();
            }
        }
    }

    @Test
    void everyNodeRunsSystemdAsInitAndIsItsOwnMachine() {
        Set<String> machineIds = new HashSet<>();
        for (SystemdNodes.Node node : nodes.nodes()) {
            // not degraded: machines sharing a cgroup failed units at boot (219/CGROUP), each has its own now
            assertThat(node.bootState()).isEqualTo("running");
            assertThat(node.failedUnits()).isEmpty();
            assertThat(nodes.exec(node, "cat /proc/1/comm").ok("comm").text().strip()).isEqualTo("systemd");
            assertThat(nodes.exec(node, "hostname").ok("hostname").text().strip()).isEqualTo(node.name);
            machineIds.add(nodes.exec(node, "cat /etc/machine-id").ok("machine-id").text().strip());
            // its own network: sshd is on port 22 of the node's own address, the only address besides loopback
            assertThat(nodes.exec(node, "cat /proc/net/fib_trie").ok("fib_trie").text()).contains(node.address)
                    .doesNotContain(nodes.node(node == nodes.node(1) ? 2 : 1).address);
        }
        assertThat(machineIds).hasSize(3);
    }

    @Test
    void theSamePortServesOnEveryNode() throws Exception {
        // what a deploy does: one unit, one port, on all nodes; each answers with its own name (systemd's own
        // socket activation serves it: minbase has no HTTP server)
        for (SystemdNodes.Node node : nodes.nodes()) {
            Files.writeString(node.root.resolve("etc/systemd/system/hello.socket"),
                    "[Socket]\nListenStream=18080\nAccept=yes\n");
            Files.writeString(node.root.resolve("etc/systemd/system/hello@.service"),
                    "[Service]\nStandardInput=socket\nExecStart=/usr/local/bin/hello\n");
            // reads the request to its end (closing with unread data would reset the connection), answers the hostname
            Path hello = node.root.resolve("usr/local/bin/hello");
            Files.writeString(hello, "#!/bin/sh\nwhile IFS= read -r line; do\n"
                    + "  [ -z \"$(printf '%s' \"$line\" | tr -d '\\r')\" ] && break\ndone\n"
                    + "printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n%s\\n' \"$(hostname)\"\n");
            hello.toFile().setExecutable(true);
            nodes.exec(node, "systemctl daemon-reload && systemctl start hello.socket").ok("start hello.socket");
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        for (SystemdNodes.Node node : nodes.nodes()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + node.address + ":18080/"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.body().strip()).isEqualTo(node.name);
            assertThat(nodes.exec(node, "curl -sf http://127.0.0.1:18080/").ok("curl on the node").text().strip())
                    .isEqualTo(node.name);
        }
    }

    @Test
    void theProjectsSshClientLogsInWithTheHelpersKeyAndKnownHosts() {
        for (SystemdNodes.Node node : nodes.nodes()) {
            try (SshTunnel ssh = SshTunnel.connect(node.sshEndpoint(), nodes.options(), Log.NONE)) {
                SshTunnel.ExecResult r = ssh.exec("systemctl show -p ActiveState --value sshd.service", Duration.ofSeconds(20));
                assertThat(r.exitCode()).isZero();
                assertThat(r.output().strip()).isEqualTo("active");
            }
        }
        assertThat(nodes.knownHosts).content().hasLineCount(3);
        assertThat(nodes.endpoints()).containsExactly(nodes.node(1).endpoint(), nodes.node(2).endpoint(),
                nodes.node(3).endpoint()).allMatch(e -> e.startsWith("root@10.231.") && e.endsWith(":22"));
    }

    @Test
    void aSlotLeftByAJvmThatDiedIsCleanedWhenTakenAgain() throws Exception {
        SystemdNodes left = SystemdNodes.boot(tmp.resolve("left"), 2);
        // as if its JVM had been killed: the owner files name a process that is gone, nothing was closed
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        for (SystemdNodes.Node node : left.nodes()) {
            Files.writeString(SystemdNodes.SLOTS.resolve(node.slot + ".owner"), gone.pid() + "\n" + node.home + "\n");
        }
        left.abandon();
        try (SystemdNodes again = SystemdNodes.boot(tmp.resolve("again"), 2)) {
            for (SystemdNodes.Node node : left.nodes()) {
                // taken again (by this JVM or another one booting nodes now): the old machine is killed, its disk gone
                node.nspawn.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(node.init.isAlive()).isFalse();
                assertThat(node.home).doesNotExist();
            }
            for (SystemdNodes.Node node : again.nodes()) {
                assertThat(again.exec(node, "systemctl is-system-running").text().strip()).isEqualTo("running");
            }
        }
    }

    @Test
    void aKilledNodeIsGoneAndTheOthersRun() throws Exception {
        // nodes of its own: the class's three stay whole for the other tests, whatever the order
        try (SystemdNodes more = SystemdNodes.boot(tmp.resolve("more"), 2)) {
            SystemdNodes.Node victim = more.node(2);
            assertThat(victim.alive()).isTrue();
            more.kill(victim);
            assertThat(victim.alive()).isFalse();
            Tools.Output out = more.exec(victim, "true");
            assertThat(out.exitCode()).isEqualTo(255); // ssh: the machine does not answer
            assertThat(more.exec(more.node(1), "systemctl is-system-running").text().strip()).isEqualTo("running");
            assertThat(Files.exists(victim.root)).isTrue(); // its disk stays until close, as a dead droplet's would
        }
    }
}
