package dev.archcore.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A unit's {@code [X-Fleet]} options read as fleet 1.0 reads them (unit/unit.go, job/job.go): a value in quotes is
 * several values ({@code MachineMetadata="role=web" "region=eu"}), {@code %n %N %p %i} stand for parts of the unit's
 * name, {@code Global=} is true/yes/1/on/t with the last line winning, and a global unit runs on every machine whose
 * metadata has, for each key the unit names, one of the values it allows (agent/reconcile.go, machine.HasMetadata).
 */
public final class FleetRequirements {
    private static final Set<String> TRUTHY = Set.of("true", "yes", "1", "on", "t");

    private final Map<String, List<String>> values;

    private FleetRequirements(Map<String, List<String>> values) {
        this.values = values;
    }

    public static FleetRequirements of(String unitName, List<UnitOption> options) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (UnitOption o : options) {
            if (o.section().equals("X-Fleet")) {
                for (String v : multivalue(o.value())) {
                    values.computeIfAbsent(o.name(), k -> new ArrayList<>()).add(specifiers(v, unitName));
                }
            }
        }
        return new FleetRequirements(values);
    }

    public boolean global() {
        List<String> g = values.getOrDefault("Global", List.of());
        return !g.isEmpty() && TRUTHY.contains(g.get(g.size() - 1).toLowerCase(Locale.ROOT));
    }

    /** Metadata key → the values it may have; pairs that are not {@code key=value} with both set are ignored, as by fleet. */
    public Map<String, Set<String>> metadata() {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String key : List.of("X-ConditionMachineMetadata", "MachineMetadata")) {
            for (String pair : values.getOrDefault(key, List.of())) {
                String[] kv = pair.split("=", -1);
                if (kv.length == 2 && !kv[0].isEmpty() && !kv[1].isEmpty()) {
                    out.computeIfAbsent(kv[0], k -> new LinkedHashSet<>()).add(kv[1]);
                }
            }
        }
        return out;
    }

    /** Whether fleet's agent on this machine runs the (global) unit, as far as metadata decide. */
    public boolean runsOn(Machine machine) {
        for (Map.Entry<String, Set<String>> e : metadata().entrySet()) {
            String local = machine.metadata().get(e.getKey());
            if (local == null || !e.getValue().contains(local)) {
                return false;
            }
        }
        return true;
    }

    public List<Machine> machinesFor(List<Machine> machines) {
        return machines.stream().filter(this::runsOn).toList();
    }

    /** {@code role=web|db,region=eu}, or empty without metadata requirements. */
    public String describeMetadata() {
        return metadata().entrySet().stream().map(e -> e.getKey() + "=" + String.join("|", e.getValue()))
                .collect(Collectors.joining(","));
    }

    /** unit/unit.go parseMultivalueLine. */
    static List<String> multivalue(String line) {
        if (!line.startsWith("\"") || !line.endsWith("\"")) {
            return List.of(line);
        }
        List<String> out = new ArrayList<>();
        StringBuilder v = new StringBuilder();
        boolean quoted = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ' ' && !quoted) {
                out.add(v.toString());
                v.setLength(0);
            } else {
                v.append(c);
            }
        }
        out.add(v.toString());
        return out;
    }

    /** job/job.go unitPrintf. */
    private static String specifiers(String s, String unitName) {
        int dot = unitName.lastIndexOf('.');
        if (dot < 0) {
            return s;
        }
        String name = unitName.substring(0, dot);
        int at = name.indexOf('@');
        String prefix = at < 0 ? name : name.substring(0, at);
        String instance = at < 0 ? "" : name.substring(at + 1);
        return s.replace("%n", unitName).replace("%N", name).replace("%p", prefix).replace("%i", instance);
    }
}
