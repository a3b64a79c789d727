package dev.archcore.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster's machines and, per machine, one unit's state: {@code fleetctl list-machines} and
 * {@code list-units} together, as a table.
 */
public final class MachinesReport {
    private MachinesReport() {
    }

    public record Row(Machine machine, UnitState state) {
    }

    public static List<Row> rows(FleetClient fleet, String unitName) {
        List<Machine> machines = new ArrayList<>(fleet.machines());
        machines.sort(Comparator.comparing(Machine::id));
        Map<String, UnitState> states = new HashMap<>();
        if (unitName != null) {
            for (UnitState s : fleet.states(null, unitName)) {
                states.put(s.machineID(), s);
            }
        }
        return machines.stream().map(m -> new Row(m, states.get(m.id()))).toList();
    }

    /** Lines of a table: MACHINE IP METADATA UNIT HASH LOAD ACTIVE SUB. */
    public static List<String> table(List<Row> rows, String unitName) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[]{"MACHINE", "IP", "METADATA", "UNIT", "HASH", "LOAD", "ACTIVE", "SUB"});
        for (Row r : rows) {
            UnitState s = r.state();
            cells.add(new String[]{r.machine().shortId() + "...", r.machine().primaryIP() == null ? "-" : r.machine().primaryIP(),
                    Deployer.metadata(r.machine()), unitName == null ? "-" : unitName,
                    s == null ? "-" : Deployer.shortHash(s.hash()), s == null ? "-" : s.systemdLoadState(),
                    s == null ? "-" : s.systemdActiveState(), s == null ? "-" : s.systemdSubState()});
        }
        int[] width = new int[8];
        for (String[] row : cells) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], String.valueOf(row[i]).length());
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
        return lines;
    }
}
