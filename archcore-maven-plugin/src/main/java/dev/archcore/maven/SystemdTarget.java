package dev.archcore.maven;

import dev.archcore.cluster.ClusterConnection;
import dev.archcore.cluster.ClusterException;
import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.UpdateWindow;
import dev.archcore.cluster.systemd.Node;
import dev.archcore.cluster.systemd.NodeSources;
import org.apache.maven.plugin.MojoFailureException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What archcore:deploy and archcore:machines share for {@code archcore.deploy.target=systemd}: the nodes. */
final class SystemdTarget {
    static final String FLEET = "fleet";
    static final String SYSTEMD = "systemd";

    private SystemdTarget() {
    }

    /** {@code fleet} or {@code systemd}; anything else is refused naming both. */
    static String target(String value) throws MojoFailureException {
        String t = value == null || value.isBlank() ? FLEET : value.strip();
        if (!t.equals(FLEET) && !t.equals(SYSTEMD)) {
            throw new MojoFailureException("archcore.deploy.target='" + value + "' is not a deploy target: use fleet "
                    + "(a global fleet unit through the master, the default) or systemd (the image and a unit on each "
                    + "node over SSH)");
        }
        return t;
    }

    /**
     * The nodes, from archcore.deploy.nodes, else {@code target/archcore/nodes.json}, else fleet's machines
     * through archcore.cluster; each with the SSH options its {@code host:port} gets (settings.xml server, key,
     * known_hosts).
     */
    static List<Node> nodes(AbstractClusterMojo mojo) throws MojoFailureException {
        String user = mojo.deployUser != null && !mojo.deployUser.isBlank() ? mojo.deployUser.strip()
                : mojo.clusterConfigured() && mojo.cluster.contains("@") ? SshEndpoint.parse(mojo.cluster).user() : "core";
        Path provisioned = mojo.buildDirectory.toPath().resolve("archcore/nodes.json");
        List<NodeSources.Entry> entries;
        try {
            if (mojo.deployNodes != null && !mojo.deployNodes.isBlank()) {
                entries = NodeSources.parse(mojo.deployNodes, user, mojo.sshPort);
            } else if (Files.isRegularFile(provisioned)) {
                mojo.getLog().info("Nodes from " + provisioned + " (archcore:provision), at their public IPv4");
                entries = NodeSources.fromProvision(provisioned, user, mojo.sshPort);
            } else if (mojo.clusterConfigured()) {
                entries = fromFleet(mojo, user);
            } else {
                throw new MojoFailureException("archcore.deploy.target=systemd needs the nodes: list them in "
                        + "archcore.deploy.nodes (user@host:port, separated by commas), run archcore:provision "
                        + "(it writes " + provisioned + "), or set archcore.cluster to read fleet's machine list");
            }
            List<Node> nodes = new ArrayList<>();
            for (NodeSources.Entry e : entries) {
                nodes.add(new Node(e.name(), e.endpoint(), mojo.sshOptions(e.endpoint())));
            }
            return nodes;
        } catch (ClusterException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
    }

    /** fleet's machines, asked through the master as archcore:machines asks (etcd started for it if needed). */
    private static List<NodeSources.Entry> fromFleet(AbstractClusterMojo mojo, String user) throws MojoFailureException {
        SshEndpoint endpoint = mojo.endpoint();
        MavenLog log = new MavenLog(mojo.getLog());
        List<UpdateWindow.Service> window = mojo.window(null, false, null);
        try (ClusterConnection c = ClusterConnection.open(endpoint, mojo.sshOptions(endpoint), mojo.fleetSocket, log)) {
            List<String> opened = new ArrayList<>();
            try {
                opened.addAll(UpdateWindow.open(c.ssh(), window, mojo.windowTimeout(), Duration.ofSeconds(1), log));
                List<NodeSources.Entry> entries = NodeSources.fromFleet(c.fleet().machines(), user, mojo.sshPort);
                mojo.getLog().info("Nodes from fleet's machine list on " + endpoint + ": " + entries.size());
                return entries;
            } finally {
                UpdateWindow.close(c.ssh(), window, opened, log);
            }
        }
    }
}
