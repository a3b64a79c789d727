package dev.archcore.cluster.systemd;

import dev.archcore.util.Log;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code archcore:machines} for the systemd target: each node's unit as {@code systemctl show} reports it, asked
 * over SSH, many nodes at a time, as one table. A node that cannot be asked is a row saying why.
 */
public final class SystemdMachines {
    private SystemdMachines() {
    }

    /** @param props {@code systemctl show}'s properties; empty with {@code problem} */
    public record Row(Node node, Map<String, String> props, String image, String problem) {
    }

    public static List<Row> rows(List<Node> nodes, String app, int parallel, java.time.Duration timeout, Log log) {
        SystemdUnit.checkAppName(app);
        if (nodes.isEmpty()) {
            return List.of();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(parallel, nodes.size())), r -> {
            Thread t = new Thread(r, "archcore-node");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Row> rows = new ArrayList<>();
            SystemdDeployer.each(pool, nodes, n -> {
                try (NodeShell s = NodeShell.connect(n, timeout, log)) {
                    String image = SystemdUnit.imageDir(s.readUnit(app));
                    return new Row(n, s.show(app), image, null);
                }
            }).forEach((n, o) -> rows.add(o.value() != null ? o.value() : new Row(n, Map.of(), null, o.error().getMessage())));
            return rows;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Lines of a table: NODE ADDRESS UNIT IMAGE LOAD ACTIVE SUB SINCE. */
    public static List<String> table(List<Row> rows, String app) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[]{"NODE", "ADDRESS", "UNIT", "IMAGE", "LOAD", "ACTIVE", "SUB", "SINCE"});
        List<String> problems = new ArrayList<>();
        for (Row r : rows) {
            if (r.problem() != null) {
                cells.add(new String[]{r.node().name(), r.node().endpoint().toString(), SystemdUnit.unitName(app), "-",
                        "?", "?", "?", "-"});
                problems.add(r.node() + ": " + r.problem());
                continue;
            }
            String since = r.props().getOrDefault("ActiveEnterTimestamp", "");
            cells.add(new String[]{r.node().name(), r.node().endpoint().toString(), SystemdUnit.unitName(app),
                    r.image() == null ? "-" : r.image().substring("sha256-".length(), "sha256-".length() + 12),
                    r.props().getOrDefault("LoadState", "-"), r.props().getOrDefault("ActiveState", "-"),
                    r.props().getOrDefault("SubState", "-"), since.isEmpty() ? "-" : since});
        }
        int[] width = new int[8];
        for (String[] row : cells) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(String.format("%-" + (width[i] + 2) + "s", row[i]));
            }
            lines.add(line.toString().stripTrailing());
        }
        problems.forEach(p -> lines.add("could not ask " + p));
        return lines;
    }
}
