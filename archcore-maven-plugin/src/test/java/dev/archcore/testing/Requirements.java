package dev.archcore.testing;

import dev.archcore.cluster.UnitOption;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A unit's {@code [X-Fleet]} requirements as fleet 1.0.0 reads them (unit/unit.go mapOptions and
 * parseMultivalueLine, job/job.go), for {@link FleetSimulator}: values in quotes are split into several
 * ({@code MachineMetadata="a=1" "b=2"}), {@code %n %N %p %i} are replaced by the unit's name parts.
 */
record Requirements(Map<String, List<String>> values) {
    static Requirements of(String unitName, List<UnitOption> options) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (UnitOption o : options) {
            if (o.section().equals("X-Fleet")) {
                for (String v : multivalue(o.value())) {
                    values.computeIfAbsent(o.name(), k -> new ArrayList<>()).add(printf(v, unitName));
                }
            }
        }
        return new Requirements(values);
    }

    private List<String> get(String key) {
        return values.getOrDefault(key, List.of());
    }

    /** {@code Global=}: the last value wins; true, yes, 1, on or t in any case. */
    boolean global() {
        List<String> g = get("Global");
        if (g.isEmpty()) {
            return false;
        }
        String last = g.get(g.size() - 1).toLowerCase(Locale.ROOT);
        return Set.of("true", "yes", "1", "on", "t").contains(last);
    }

    List<String> conflicts() {
        List<String> out = new ArrayList<>();
        for (String key : List.of("X-Conflicts", "Conflicts")) {
            for (String v : get(key)) {
                out.addAll(fields(v));
            }
        }
        return out;
    }

    List<String> replaces() {
        return get("Replaces");
    }

    List<String> peers() {
        List<String> out = new ArrayList<>(get("X-ConditionMachineOf"));
        out.addAll(get("MachineOf"));
        return out;
    }

    /** The required machine, or null; a present but empty value still counts (and matches no machine). */
    String machineId() {
        for (String key : List.of("MachineID", "X-ConditionMachineID", "X-ConditionMachineBootID")) {
            if (!get(key).isEmpty()) {
                return get(key).get(0);
            }
        }
        return null;
    }

    /** {@code RequiredTargetMetadata}: key → allowed values, from {@code key=value} pairs with both sides non-empty. */
    Map<String, Set<String>> metadata() {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String key : List.of("X-ConditionMachineMetadata", "MachineMetadata")) {
            for (String pair : get(key)) {
                String[] s = pair.split("=", -1);
                if (s.length == 2 && !s[0].isEmpty() && !s[1].isEmpty()) {
                    out.computeIfAbsent(s[0], k -> new LinkedHashSet<>()).add(s[1]);
                }
            }
        }
        return out;
    }

    /** machine.HasMetadata: the machine has every required key, each with one of its allowed values. */
    boolean metadataMatches(Map<String, String> machine) {
        for (Map.Entry<String, Set<String>> e : metadata().entrySet()) {
            String local = machine.get(e.getKey());
            if (local == null || !e.getValue().contains(local)) {
                return false;
            }
        }
        return true;
    }

    /** parseMultivalueLine: a value that starts and ends with a quote is quoted words separated by spaces. */
    static List<String> multivalue(String line) {
        if (!line.startsWith("\"") || !line.endsWith("\"")) {
            return List.of(line);
        }
        List<String> out = new ArrayList<>();
        StringBuilder v = new StringBuilder();
        boolean within = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                within = !within;
                continue;
            }
            if (c == ' ' && !within) {
                out.add(v.toString());
                v.setLength(0);
                continue;
            }
            v.append(c);
        }
        out.add(v.toString());
        return out;
    }

    /** strings.Fields. */
    private static List<String> fields(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        for (int c : s.codePoints().toArray()) {
            if (GoSystemdUnit.isSpace(c)) {
                if (w.length() > 0) {
                    out.add(w.toString());
                    w.setLength(0);
                }
            } else {
                w.appendCodePoint(c);
            }
        }
        if (w.length() > 0) {
            out.add(w.toString());
        }
        return out;
    }

    /** unitPrintf with unit.NewUnitNameInfo: nothing to replace for a name without a dot. */
    private static String printf(String s, String unitName) {
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
