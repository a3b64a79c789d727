package dev.archcore.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A systemd unit file as fleet sees it: the list of options (repeated keys stay repeated, in order), and the
 * hash fleet reports in every machine's unit state (SHA-1 of go-systemd's serialization of the options).
 */
public final class UnitFile {
    /** X-Fleet options that fleet accepts together with {@code Global=true}. */
    private static final Set<String> GLOBAL_COMPATIBLE = Set.of("Global", "MachineMetadata", "X-ConditionMachineMetadata");

    private final List<UnitOption> options;

    public UnitFile(List<UnitOption> options) {
        this.options = List.copyOf(options);
    }

    public List<UnitOption> options() {
        return options;
    }

    /**
     * Parses unit file text as go-systemd's {@code unit.Deserialize} does for fleetctl, so that a unit gets the hash
     * fleetctl would give it: {@code #} and {@code ;} comments, {@code [Section]} headers, {@code Key=Value} with both
     * sides trimmed; a line ending in a backslash continues the value, which keeps the backslash, the newline and
     * the next line as written (systemd joins them when it reads the unit), up to a blank line.
     * Text go-systemd would skip or misread (options before any section, a line without {@code =}) is refused.
     *
     * @param source the file's name, for errors
     */
    public static UnitFile parse(String text, String source) {
        List<UnitOption> options = new ArrayList<>();
        String section = null;
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String raw = lines[i];
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#") || line.startsWith(";")) {
                // a comment ending in a backslash (before at most one space) goes on, as in go-systemd
                while ((raw.endsWith(" ") ? raw.substring(0, raw.length() - 1) : raw).endsWith("\\") && i + 1 < lines.length) {
                    raw = lines[++i];
                }
                continue;
            }
            if (line.startsWith("[")) {
                if (!line.endsWith("]") || line.length() < 3) {
                    throw new ClusterException(source + " line " + lineNo + ": '" + line
                            + "' is not a section header; write [Unit], [Service] or [X-Fleet]");
                }
                section = line.substring(1, line.length() - 1);
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new ClusterException(source + " line " + lineNo + ": '" + line
                        + "' is not Key=Value; fix the line or comment it out with #");
            }
            if (section == null) {
                throw new ClusterException(source + " line " + lineNo + ": '" + line
                        + "' comes before any [Section]; put it under [Unit], [Service] or [X-Fleet]");
            }
            StringBuilder value = new StringBuilder(line.substring(eq + 1));
            while (raw.endsWith("\\") && i + 1 < lines.length) {
                raw = lines[++i];
                value.append('\n');
                if (raw.isBlank()) {
                    break;
                }
                value.append(raw);
            }
            String v = value.toString();
            options.add(new UnitOption(section, line.substring(0, eq).strip(), v.endsWith("\n") ? v.strip() + "\n" : v.strip()));
        }
        return new UnitFile(options);
    }

    /**
     * The unit text with {@code @image@} replaced by the pinned image, parsed and checked to be a global unit.
     */
    public static UnitFile render(String template, String image, String source) {
        return render(template, image, Map.of(), source);
    }

    /**
     * As {@link #render(String, String, String)}, and each {@code @name@} of {@code values} (e.g. {@code @appPort@})
     * replaced by its value: what the build knows at deploy time, so a later change of the pom reaches the unit.
     */
    public static UnitFile render(String template, String image, Map<String, String> values, String source) {
        for (Map.Entry<String, String> v : values.entrySet()) {
            template = template.replace("@" + v.getKey() + "@", v.getValue());
        }
        if (!template.contains("@image@")) {
            throw new ClusterException(source + " has no @image@ placeholder: write @image@ where the image goes "
                    + "(e.g. ExecStart=/usr/bin/docker run --rm @image@), and archcore:deploy fills in the image it "
                    + "pushed, pinned by digest");
        }
        UnitFile unit = parse(template.replace("@image@", image), source);
        unit.requireGlobal(source);
        return unit;
    }

    /**
     * The unit must run on every machine: {@code [X-Fleet] Global=} true (or yes, 1, on, t: the last such line
     * counts, as for fleet), and no X-Fleet option but MachineMetadata, so that archcore knows where fleet runs it.
     */
    public void requireGlobal(String source) {
        List<UnitOption> xfleet = options.stream().filter(o -> o.section().equals("X-Fleet")).toList();
        if (!FleetRequirements.of("", options).global()) {
            throw new ClusterException(source + " is not a global fleet unit: add\n\n[X-Fleet]\nGlobal=true\n\n"
                    + "so that fleet runs it on every machine of the cluster (archcore:deploy checks each machine)"
                    + (xfleet.stream().anyMatch(o -> o.name().equals("Global")) ? "; the last Global= line counts" : ""));
        }
        for (UnitOption o : xfleet) {
            if (!GLOBAL_COMPATIBLE.contains(o.name())) {
                throw new ClusterException(source + ": [X-Fleet] " + o.name() + "=" + o.value()
                        + " cannot be combined with Global=true here: fleet refuses MachineID, MachineOf and Replaces "
                        + "with it, and with Conflicts it would skip machines archcore then waits for; remove it, or "
                        + "use MachineMetadata= to choose machines");
            }
        }
    }

    /** go-systemd's {@code unit.Serialize}: sections in first-seen order, their options in order. */
    public String serialize() {
        Map<String, List<UnitOption>> bySection = new LinkedHashMap<>();
        for (UnitOption o : options) {
            bySection.computeIfAbsent(o.section(), s -> new ArrayList<>()).add(o);
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (Map.Entry<String, List<UnitOption>> e : bySection.entrySet()) {
            out.append('[').append(e.getKey()).append("]\n");
            for (UnitOption o : e.getValue()) {
                out.append(o.name()).append('=').append(o.value()).append('\n');
            }
            if (++i < bySection.size()) {
                out.append('\n');
            }
        }
        return out.toString();
    }

    /** fleet's unit hash: hex SHA-1 of {@link #serialize()}. */
    public String hash() {
        return hash(options);
    }

    public static String hash(List<UnitOption> options) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1")
                    .digest(new UnitFile(options).serialize().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
