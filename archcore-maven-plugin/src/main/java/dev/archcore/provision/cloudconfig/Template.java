package dev.archcore.provision.cloudconfig;

import dev.archcore.provision.ProvisionException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cloud-config template with the seed's placeholders: {@code $NAME} or {@code ${NAME}} where NAME is upper
 * case ({@code $SSH_PORT}); {@code $$} is a literal {@code $}. Lower-case ones ({@code $public_ipv4},
 * {@code $private_ipv4}) are the provider's and stay as they are. In comment lines (first non-blank
 * character {@code #}) only known one-line placeholders are filled in; nothing there is an error. The comment block right after the first line (the template's own documentation)
 * is left out of the rendered file.
 * <p>
 * A value of several lines (SSH keys, a PEM certificate) must stand alone on its line: after the indentation
 * of a block scalar each value line gets the same indentation; after {@code "- "} each becomes its own list
 * item, double-quoted, so a key comment with {@code ": "} or {@code "#"} stays one string.
 * <p>
 * A part of the template between the comment lines {@code # archcore:begin NAME} and {@code # archcore:end NAME}
 * (anything may follow the name on those lines) can be left out: {@link #without} drops it, as the node files drop
 * the {@code fleet} part while fleet's release is not pinned. The marker lines themselves are never rendered, and
 * every other line keeps its template line number in messages. Parts do not nest.
 */
public final class Template {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$(\\$|\\{([A-Z][A-Z0-9_]*)}|([A-Z][A-Z0-9_]*))");
    private static final Pattern ALONE = Pattern.compile("^(\\s*)(- )?\\$(?:\\{([A-Z][A-Z0-9_]*)}|([A-Z][A-Z0-9_]*))\\s*$");

    /** A placeholder's value: lines, and whether they are list items (quoted) or plain text. */
    public record Value(List<String> lines, boolean items) {
        public static Value of(String text) {
            return new Value(List.of(text.split("\n", -1)), false);
        }

        public static Value block(String text) {
            String t = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            return new Value(List.of(t.split("\n", -1)), false);
        }

        public static Value items(List<String> items) {
            return new Value(List.copyOf(items), true);
        }

        boolean multiLine() {
            return items || lines.size() != 1;
        }
    }

    private static final Pattern MARKER = Pattern.compile("^\\s*#\\s*archcore:(begin|end)\\s+([a-z][a-z0-9-]*)(\\s.*)?$");

    private final String source;
    private final List<String> lines;
    /** The header's last line (0-based, exclusive): the comment block after the first line. */
    private final int header;
    /** For each line, the part it is in (null: none); a marker line is in its part. */
    private final String[] partOf;
    private final boolean[] marker;
    /** The first misuse of the markers, thrown when rendering; null if none. */
    private final String markerProblem;
    private final Set<String> dropped;

    public Template(String source, String text) {
        this(source, List.of(text.split("\n", -1)), Set.of());
    }

    private Template(String source, List<String> lines, Set<String> dropped) {
        this.source = source;
        this.lines = lines;
        this.dropped = Set.copyOf(dropped);
        int h = 1;
        while (h < lines.size() && lines.get(h).startsWith("#")) {
            h++;
        }
        this.header = h;
        this.partOf = new String[lines.size()];
        this.marker = new boolean[lines.size()];
        String problem = null;
        String open = null;
        int openedAt = 0;
        for (int i = header; i < lines.size(); i++) {
            Matcher m = MARKER.matcher(lines.get(i));
            if (m.matches()) {
                marker[i] = true;
                String name = m.group(2);
                if (m.group(1).equals("begin")) {
                    if (open != null && problem == null) {
                        problem = source + " line " + (i + 1) + ": 'archcore:begin " + name + "' inside the part '"
                                + open + "' begun on line " + openedAt + ": parts do not nest; end '" + open + "' first.";
                    }
                    open = name;
                    openedAt = i + 1;
                } else {
                    if (!name.equals(open) && problem == null) {
                        problem = source + " line " + (i + 1) + ": 'archcore:end " + name + "' without an "
                                + "'archcore:begin " + name + "' before it" + (open == null ? "" : " (the open part is '"
                                + open + "', begun on line " + openedAt + ")") + ": fix the marker's name or remove it.";
                    }
                    partOf[i] = name;
                    open = null;
                    continue;
                }
            }
            partOf[i] = open;
        }
        if (open != null && problem == null) {
            problem = source + " line " + openedAt + ": 'archcore:begin " + open + "' has no 'archcore:end " + open
                    + "' after it: add one where the part ends.";
        }
        this.markerProblem = problem;
    }

    /** The same template with the part {@code name} (between its archcore:begin and archcore:end lines) left out. */
    public Template without(String name) {
        Set<String> d = new HashSet<>(dropped);
        d.add(name);
        return new Template(source, lines, d);
    }

    /** Whether the template has a part named {@code name}. */
    public boolean hasPart(String name) {
        for (int i = 0; i < lines.size(); i++) {
            if (marker[i] && name.equals(partOf[i])) {
                return true;
            }
        }
        return false;
    }

    /** Whether line {@code i} (0-based) is rendered at all: not a marker, not in a dropped part. */
    private boolean kept(int i) {
        return !marker[i] && (partOf[i] == null || !dropped.contains(partOf[i]));
    }

    public String source() {
        return source;
    }

    /** The 1-based line where {@code name} is first used (outside the parts left out), or 0. */
    public int lineOf(String name) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).stripLeading().startsWith("#") || !kept(i)) {
                continue;
            }
            Matcher m = PLACEHOLDER.matcher(lines.get(i));
            while (m.find()) {
                if (name.equals(m.group(2)) || name.equals(m.group(3))) {
                    return i + 1;
                }
            }
        }
        return 0;
    }

    /** The rendered text, and for each of its lines (0-based) the template line (1-based) it came from. */
    public record Rendered(String text, int[] origin) {
        /** "line N" of the template for rendered line {@code line}, as users read it. */
        public int templateLine(int line) {
            return line >= 1 && line <= origin.length ? origin[line - 1] : line;
        }
    }

    public String render(Map<String, Value> values) throws ProvisionException {
        return renderWithLines(values).text();
    }

    public Rendered renderWithLines(Map<String, Value> values) throws ProvisionException {
        if (markerProblem != null) {
            throw new ProvisionException(markerProblem);
        }
        StringBuilder out = new StringBuilder();
        List<Integer> origin = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            // the header's comment block (after "#cloud-config") documents the template, not the node: left out
            if (i >= 1 && i < header || !kept(i)) {
                continue;
            }
            String line = lines.get(i);
            String where = source + " line " + (i + 1);
            if (line.stripLeading().startsWith("#")) {
                // a comment gets the one-line values it names and keeps anything else as written
                origin.add(i + 1);
                Matcher m = PLACEHOLDER.matcher(line);
                StringBuilder comment = new StringBuilder();
                while (m.find()) {
                    String name = m.group(2) != null ? m.group(2) : m.group(3);
                    Value v = name == null ? null : values.get(name);
                    m.appendReplacement(comment, Matcher.quoteReplacement(v != null && !v.multiLine() ? v.lines().get(0) : m.group()));
                }
                m.appendTail(comment);
                out.append(comment);
                if (i < lines.size() - 1) {
                    out.append('\n');
                }
                continue;
            }
            Matcher alone = ALONE.matcher(line);
            if (alone.matches()) {
                String name = alone.group(3) != null ? alone.group(3) : alone.group(4);
                Value v = lookup(values, name, where);
                if (v.multiLine()) {
                    String indent = alone.group(1);
                    boolean item = alone.group(2) != null;
                    if (v.items() && !item) {
                        throw new ProvisionException(where + ": $" + name + " is a list: write it as a list item "
                                + "('- $" + name + "') on its own line.");
                    }
                    for (int k = 0; k < v.lines().size(); k++) {
                        origin.add(i + 1);
                        String value = v.lines().get(k);
                        if (item) {
                            out.append(indent).append("- ").append(v.items() ? quote(value) : value);
                        } else {
                            out.append(value.isEmpty() ? "" : indent + value);
                        }
                        if (k < v.lines().size() - 1) {
                            out.append('\n');
                        }
                    }
                    if (i < lines.size() - 1) {
                        out.append('\n');
                    }
                    continue;
                }
            }
            origin.add(i + 1);
            Matcher m = PLACEHOLDER.matcher(line);
            StringBuilder rendered = new StringBuilder();
            while (m.find()) {
                String replacement;
                if ("$".equals(m.group(1))) {
                    replacement = "$";
                } else {
                    String name = m.group(2) != null ? m.group(2) : m.group(3);
                    Value v = lookup(values, name, where);
                    if (v.multiLine()) {
                        throw new ProvisionException(where + ": $" + name + " holds several lines: put it alone on its "
                                + "line, indented inside a block scalar ('content: |') or as a list item ('- $" + name + "').");
                    }
                    replacement = v.lines().get(0);
                }
                m.appendReplacement(rendered, Matcher.quoteReplacement(replacement));
            }
            m.appendTail(rendered);
            out.append(rendered);
            if (i < lines.size() - 1) {
                out.append('\n');
            }
        }
        return new Rendered(out.toString(), origin.stream().mapToInt(Integer::intValue).toArray());
    }

    private Value lookup(Map<String, Value> values, String name, String where) throws ProvisionException {
        Value v = values.get(name);
        if (v == null) {
            throw new ProvisionException(where + ": unknown placeholder $" + name + ". Known: "
                    + String.join(", ", new TreeSet<>(values.keySet()).stream().map(k -> "$" + k).toList())
                    + " (lower-case ones such as $public_ipv4 are left for the provider). Fix the name, add a value "
                    + "with the plugin's <values>, or write $$ for a literal $.");
        }
        return v;
    }

    /** A YAML double-quoted scalar (JSON escaping is valid YAML). */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** Lines of the template, for callers that point at one. */
    List<String> lines() {
        return new ArrayList<>(lines);
    }
}
