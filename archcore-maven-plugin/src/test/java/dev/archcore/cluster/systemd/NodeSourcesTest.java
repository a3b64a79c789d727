package dev.archcore.cluster.systemd;

import dev.archcore.cluster.ClusterException;
import dev.archcore.cluster.Machine;
import dev.archcore.cluster.SshEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeSourcesTest {
    @TempDir
    Path tmp;

    @Test
    void aListFillsInTheUserAndPortItLeavesOut() {
        List<NodeSources.Entry> nodes = NodeSources.parse("203.0.113.11, root@203.0.113.12:22 [2001:db8::3]:2200\n node4", "core", 2222);

        assertThat(nodes).extracting(NodeSources.Entry::endpoint).containsExactly(
                new SshEndpoint("core", "203.0.113.11", 2222), new SshEndpoint("root", "203.0.113.12", 22),
                new SshEndpoint("core", "2001:db8::3", 2200), new SshEndpoint("core", "node4", 2222));
    }

    @Test
    void aNodeListedTwiceIsRefused() {
        assertThatThrownBy(() -> NodeSources.parse("a:2222,core@a", "core", 2222)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("names the node a:2222 twice ('a:2222' and 'core@a')");
    }

    @Test
    void aBadEntryIsNamed() {
        assertThatThrownBy(() -> NodeSources.parse("good,bad host@@x", "core", 22)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("'host@@x' is not [user@]host[:port]");
    }

    @Test
    void provisionsNodesJsonGivesEachDropletsPublicAddress() throws IOException {
        // the schema docs/provision.md gives
        Path file = tmp.resolve("nodes.json");
        Files.writeString(file, """
                {"tag": "archcore-demo", "nodes": [
                  {"name": "demo-master", "role": "master", "id": 1, "status": "active", "public_ipv4": "203.0.113.10",
                   "private_ipv4": "10.0.0.2", "region": "fra1", "size": "s-1vcpu-2gb"},
                  {"name": "demo-worker-1", "role": "worker", "id": 2, "status": "active", "public_ipv4": "203.0.113.11",
                   "private_ipv4": "10.0.0.3", "region": "fra1", "size": "s-1vcpu-2gb"}]}
                """);

        assertThat(NodeSources.fromProvision(file, "core", 2222)).containsExactly(
                new NodeSources.Entry("demo-master", new SshEndpoint("core", "203.0.113.10", 2222)),
                new NodeSources.Entry("demo-worker-1", new SshEndpoint("core", "203.0.113.11", 2222)));
    }

    @Test
    void aDropletWithoutItsAddressYetIsNamed() throws IOException {
        Path file = tmp.resolve("nodes.json");
        Files.writeString(file, "{\"nodes\": [{\"name\": \"demo-worker-2\", \"status\": \"new\"}]}");
        assertThatThrownBy(() -> NodeSources.fromProvision(file, "core", 2222)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("'demo-worker-2' in " + file + " has no public_ipv4 yet");
    }

    @Test
    void fleetsMachinesAreReachedAtTheirPrimaryIp() {
        assertThat(NodeSources.fromFleet(List.of(new Machine("0123456789abcdef", "10.0.0.2", Map.of("role", "registry"))),
                "core", 2222)).containsExactly(new NodeSources.Entry("01234567", new SshEndpoint("core", "10.0.0.2", 2222)));
    }
}
