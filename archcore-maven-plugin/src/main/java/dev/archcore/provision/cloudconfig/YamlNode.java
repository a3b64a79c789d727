package dev.archcore.provision.cloudconfig;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

import java.util.ArrayList;
import java.util.List;

/**
 * A YAML document as the cloud-config tools see it: maps, lists and typed scalars, each with its 1-based line
 * (snakeyaml-engine's node API keeps the marks). Keys are normalized from {@code -} to {@code _} as
 * coreos-cloudinit does; {@link #renamed} remembers that, for its info message.
 */
public final class YamlNode {
    public enum Kind { MAP, LIST, STRING, INT, FLOAT, BOOL, NULL }

    private static final YamlNode MISSING = new YamlNode(null, Kind.NULL, 0, null, List.of());

    public final String name;
    public final Kind kind;
    public final int line;
    public final String value;
    public final List<YamlNode> children;
    boolean renamed;
    /** A literal or folded block scalar: its text starts on the line after {@link #line}. */
    boolean block;

    private YamlNode(String name, Kind kind, int line, String value, List<YamlNode> children) {
        this.name = name;
        this.kind = kind;
        this.line = line;
        this.value = value;
        this.children = children;
    }

    /** A YAML syntax error with its line. */
    public static final class SyntaxError extends Exception {
        public final int line;

        SyntaxError(int line, String message) {
            super(message);
            this.line = line;
        }
    }

    public static YamlNode parse(String text) throws SyntaxError {
        LoadSettings settings = LoadSettings.builder().setSchema(new CoreSchema()).setAllowDuplicateKeys(false).build();
        try {
            Node root = new Compose(settings).composeString(text).orElse(null);
            if (root == null) {
                return new YamlNode(null, Kind.MAP, 1, null, List.of());
            }
            return convert(null, root);
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().or(e::getContextMark).map(m -> m.getLine() + 1).orElse(1);
            String problem = e.getProblem() == null ? e.getMessage() : e.getProblem();
            return throwSyntax(line, (e.getContext() == null ? "" : e.getContext() + ": ") + problem);
        } catch (YamlEngineException e) {
            return throwSyntax(1, e.getMessage());
        } catch (IllegalArgumentException e) {
            // snakeyaml-engine refuses some node tags (e.g. "!l%a", a bad %-escape) outside its own exceptions
            return throwSyntax(1, "invalid tag or node: " + e.getMessage());
        }
    }

    private static YamlNode throwSyntax(int line, String message) throws SyntaxError {
        throw new SyntaxError(line, message.replaceAll("\\s+", " ").strip());
    }

    private static YamlNode convert(String name, Node node) {
        int line = node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
        if (node instanceof MappingNode map) {
            List<YamlNode> children = new ArrayList<>();
            for (NodeTuple t : map.getValue()) {
                String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(t.getKeyNode());
                String normalized = key.replace('-', '_');
                YamlNode child = convert(normalized, t.getValueNode());
                YamlNode keyed = new YamlNode(normalized, child.kind,
                        t.getKeyNode().getStartMark().map(m -> m.getLine() + 1).orElse(child.line), child.value, child.children);
                keyed.renamed = !normalized.equals(key);
                keyed.block = child.block;
                children.add(keyed);
            }
            return new YamlNode(name, Kind.MAP, line, null, List.copyOf(children));
        }
        if (node instanceof SequenceNode seq) {
            List<YamlNode> children = new ArrayList<>();
            for (Node item : seq.getValue()) {
                children.add(convert(name, item));
            }
            return new YamlNode(name, Kind.LIST, line, null, List.copyOf(children));
        }
        ScalarNode scalar = (ScalarNode) node;
        Tag tag = scalar.getTag();
        Kind kind = Tag.INT.equals(tag) ? Kind.INT : Tag.FLOAT.equals(tag) ? Kind.FLOAT : Tag.BOOL.equals(tag) ? Kind.BOOL
                : Tag.NULL.equals(tag) ? Kind.NULL : Kind.STRING;
        YamlNode n = new YamlNode(name, kind, line, scalar.getValue(), List.of());
        n.block = scalar.getScalarStyle() == ScalarStyle.LITERAL || scalar.getScalarStyle() == ScalarStyle.FOLDED;
        return n;
    }

    /** The 1-based document line of line {@code k} (0-based) of this scalar's text. */
    public int textLine(int k) {
        return line + k + (block ? 1 : 0);
    }

    /** The child with this key, or a missing node ({@link #exists()} false). */
    public YamlNode get(String key) {
        if (kind == Kind.MAP) {
            for (YamlNode c : children) {
                if (key.equals(c.name)) {
                    return c;
                }
            }
        }
        return MISSING;
    }

    public boolean exists() {
        return this != MISSING;
    }

    /** The scalar's text, or {@code fallback} when missing or not a scalar. */
    public String text(String fallback) {
        return exists() && value != null && kind != Kind.NULL ? value : fallback;
    }

    public boolean isTrue() {
        return kind == Kind.BOOL && value != null && value.equalsIgnoreCase("true");
    }

    public List<YamlNode> items() {
        return kind == Kind.LIST ? children : List.of();
    }
}
