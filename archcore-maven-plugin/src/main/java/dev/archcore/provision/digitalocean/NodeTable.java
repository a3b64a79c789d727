package dev.archcore.provision.digitalocean;

import java.util.ArrayList;
import java.util.List;

/** The nodes as an aligned text table: name, id, public IPv4, status (and whether this run created it). */
final class NodeTable {
    private NodeTable() {
    }

    static List<String> lines(List<NodeState> nodes, boolean withOutcome) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"NAME", "ID", "PUBLIC IPV4", "STATUS", withOutcome ? "" : null});
        for (NodeState n : nodes) {
            rows.add(new String[]{n.name(), String.valueOf(n.id()), n.publicIpv4() == null ? "-" : n.publicIpv4(),
                    n.status(), withOutcome ? (n.created() ? "created" : "existed") : null});
        }
        int[] width = new int[4];
        for (String[] r : rows) {
            for (int i = 0; i < 4; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] r : rows) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                s.append(String.format("%-" + width[i] + "s", r[i])).append("  ");
            }
            if (r[4] != null) {
                s.append(r[4]);
            }
            lines.add(s.toString().stripTrailing());
        }
        return lines;
    }
}
