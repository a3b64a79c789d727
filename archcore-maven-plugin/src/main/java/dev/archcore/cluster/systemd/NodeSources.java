package dev.archcore.cluster.systemd;

import dev.archcore.cluster.ClusterException;
import dev.archcore.cluster.Machine;
import dev.archcore.cluster.SshEndpoint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the systemd target's nodes come from: a list in the profile ({@code archcore.deploy.nodes}), the
 * {@code nodes.json} archcore:provision wrote (each droplet's public IPv4), or fleet's machine list (each machine's
 * primary IP). Each is a name and an SSH endpoint; a node named twice is refused (two deploys would race on it).
 */
public final class NodeSources {
    private NodeSources() {
    }

    /** A node before its SSH options are known. */
    public record Entry(String name, SshEndpoint endpoint) {
    }

    /** {@code [user@]host[:port]} separated by commas or whitespace; {@code user} and {@code port} fill what is left out. */
    public static List<Entry> parse(String list, String user, int port) {
        List<Entry> entries = new ArrayList<>();
        for (String item : list.split("[,\\s]+")) {
            if (item.isBlank()) {
                continue;
            }
            SshEndpoint e;
            try {
                e = SshEndpoint.parse(item);
            } catch (ClusterException ex) {
                throw new ClusterException("archcore.deploy.nodes: '" + item + "' is not [user@]host[:port] (e.g. "
                        + "core@203.0.113.11:2222); the list is separated by commas");
            }
            boolean hasUser = item.contains("@");
            boolean hasPort = item.matches(".*(]|^[^:\\[]*):\\d+$");
            entries.add(new Entry(item, new SshEndpoint(hasUser ? e.user() : user, e.host(), hasPort ? e.port() : port)));
        }
        return unique(entries, "archcore.deploy.nodes");
    }

    /**
     * The nodes of archcore:provision's {@code nodes.json} ({@code {"nodes": [{"name", "public_ipv4", ...}]}}), each
     * reached at its public IPv4.
     */
    public static List<Entry> fromProvision(Path nodesJson, String user, int port) {
        List<Entry> entries = new ArrayList<>();
        for (dev.archcore.cluster.NodeList.Node n : dev.archcore.cluster.NodeList.read(nodesJson).nodes()) {
            String name = n.name() == null ? "" : n.name();
            if (n.publicIpv4() == null) {
                throw new ClusterException("the node '" + name + "' in " + nodesJson + " has no public_ipv4 yet: run "
                        + "archcore:provision again once it is active, or list the nodes in archcore.deploy.nodes");
            }
            entries.add(new Entry(name.isEmpty() ? n.publicIpv4() : name, new SshEndpoint(user, n.publicIpv4(), port)));
        }
        if (entries.isEmpty()) {
            throw new ClusterException(nodesJson + " lists no nodes: run archcore:provision, or list the nodes in "
                    + "archcore.deploy.nodes");
        }
        return unique(entries, nodesJson.toString());
    }

    /** fleet's machines, each reached at its primary IP. */
    public static List<Entry> fromFleet(List<Machine> machines, String user, int port) {
        List<Entry> entries = new ArrayList<>();
        for (Machine m : machines) {
            if (m.primaryIP() == null || m.primaryIP().isBlank()) {
                throw new ClusterException("fleet's machine " + m.id() + " reports no primary IP, so it cannot be "
                        + "reached over SSH: list the nodes in archcore.deploy.nodes instead");
            }
            entries.add(new Entry(m.shortId(), new SshEndpoint(user, m.primaryIP(), port)));
        }
        return unique(entries, "fleet's machine list");
    }

    private static List<Entry> unique(List<Entry> entries, String source) {
        Map<String, Entry> seen = new LinkedHashMap<>();
        for (Entry e : entries) {
            String key = e.endpoint().host().toLowerCase(java.util.Locale.ROOT) + ":" + e.endpoint().port();
            Entry before = seen.putIfAbsent(key, e);
            if (before != null) {
                throw new ClusterException(source + " names the node " + e.endpoint().hostPort() + " twice ('"
                        + before.name() + "' and '" + e.name() + "'): list each node once");
            }
        }
        return List.copyOf(entries);
    }
}
