package dev.archcore.maven;

import dev.archcore.archcore_maven_plugin.HelpMojo;
import dev.archcore.testing.MojoFields;
import dev.archcore.testing.RecordingMavenLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, item 7: the docs and the plugin descriptor (what Maven binds {@code -D} and pom properties to, and what
 * the goal reference site, {@code ./mvnw -pl archcore-maven-plugin site}, is made from) cannot drift apart.
 * Every {@code archcore.*} property the README, docs/ and the archetype's project mention is one a goal reads,
 * and each per-goal parameter table names every parameter of its goal that has a property, with that property;
 * {@code archcore:help -Ddetail} shows them all.
 */
class DocumentedPropertiesTest {
    /** Names in the docs that are not goal parameters, and why. */
    private static final Map<String, String> NOT_PARAMETERS = Map.of(
            // the names before the archcore.image.* scheme: RenamedProperties reads them and warns (GoalPropertiesTest)
            "archcore.imageName", "deprecated", "archcore.imageTag", "deprecated",
            "archcore.imageUser", "deprecated", "archcore.workingDirectory", "deprecated",
            // the generated pom's plugin version
            "archcore.version", "the generated pom's plugin version");

    /**
     * {@code archcore.name.name}, after {@code -D} or after no word character, dot, dash or slash (so not
     * {@code dev.archcore.image}, {@code etcd-archcore.crt}, {@code ~/.archcore/}); braces are expanded
     * ({@code archcore.window.{etcd,registry}Start}).
     */
    private static final Pattern PROPERTY = Pattern.compile("(?:(?<=-D)|(?<![\\w.\\-/]))archcore(?:\\w|\\.|\\{[\\w.,]*})+");

    private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().getParent();

    /** Goal to its parameters, each to its property (null when it has none). */
    private static Map<String, Map<String, String>> descriptor() throws Exception {
        Map<String, Map<String, String>> goals = new TreeMap<>();
        try (InputStream in = DocumentedPropertiesTest.class.getResourceAsStream("/META-INF/maven/plugin.xml")) {
            assertThat(in).as("target/classes/META-INF/maven/plugin.xml (maven-plugin-plugin's descriptor)").isNotNull();
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
            NodeList mojos = d.getElementsByTagName("mojo");
            for (int i = 0; i < mojos.getLength(); i++) {
                Element mojo = (Element) mojos.item(i);
                Map<String, String> parameters = new TreeMap<>();
                NodeList ps = mojo.getElementsByTagName("parameter");
                for (int p = 0; p < ps.getLength(); p++) {
                    Element parameter = (Element) ps.item(p);
                    if (text(parameter, "editable").equals("true")) {
                        parameters.put(text(parameter, "name"), null);
                    }
                }
                NodeList configuration = mojo.getElementsByTagName("configuration");
                if (configuration.getLength() > 0) {
                    for (Node c = configuration.item(0).getFirstChild(); c != null; c = c.getNextSibling()) {
                        Matcher m = Pattern.compile("\\$\\{(archcore\\.[^}]+)}").matcher(c.getTextContent());
                        if (c instanceof Element e && parameters.containsKey(e.getTagName()) && m.matches()) {
                            parameters.put(e.getTagName(), m.group(1));
                        }
                    }
                }
                goals.put(text(mojo, "goal"), parameters);
            }
        }
        return goals;
    }

    private static String text(Element parent, String tag) {
        return parent.getElementsByTagName(tag).item(0).getTextContent().strip();
    }

    private static Set<String> properties(Map<String, Map<String, String>> descriptor) {
        Set<String> all = new TreeSet<>();
        descriptor.values().forEach(parameters -> parameters.values().stream().filter(p -> p != null).forEach(all::add));
        return all;
    }

    /** The files whose property names users copy. */
    private static List<Path> documents() throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(f -> f.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        Path archetype = ROOT.resolve("archcore-archetype/src/main/resources/archetype-resources");
        files.add(archetype.resolve("README.md"));
        files.add(archetype.resolve("pom.xml"));
        for (Path f : files) {
            assertThat(f).as("a documentation file").isRegularFile();
        }
        return files;
    }

    /** The property names in a text, with their line numbers. */
    static Map<String, Integer> mentioned(String text) {
        Map<String, Integer> names = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            Matcher m = PROPERTY.matcher(lines[n]);
            while (m.find()) {
                String found = m.group().replaceAll("\\.+$", "");
                String rest = lines[n].substring(m.start() + found.length());
                if (!found.contains(".") || rest.startsWith(".*") || rest.startsWith(".<")) {
                    continue; // archcore.provision.*, archcore.<goal>.<name>: a pattern, not a name
                }
                for (String name : expand(found)) {
                    names.putIfAbsent(name, n + 1);
                }
            }
        }
        return names;
    }

    /** {@code a.{b,c}{D,E}} is {@code a.bD, a.bE, a.cD, a.cE}. */
    static List<String> expand(String name) {
        int open = name.indexOf('{');
        if (open < 0) {
            return List.of(name);
        }
        int close = name.indexOf('}', open);
        if (close < 0) {
            return List.of(name.substring(0, open));
        }
        List<String> all = new ArrayList<>();
        for (String choice : name.substring(open + 1, close).split(",", -1)) {
            all.addAll(expand(name.substring(0, open) + choice + name.substring(close + 1)));
        }
        return all;
    }

    @Test
    void propertyNamesAreFoundInTexts() {
        assertThat(mentioned("`-Darchcore.image.skip` and `archcore.window.{etcd,registry}{Start,Stop}`, not "
                + "dev.archcore.image, etcd-archcore.crt, ~/.archcore/x or archcore.provision.* / archcore.<goal>.skip; "
                + "archcore.registryIp:archcore.registryPort.").keySet())
                .containsExactly("archcore.image.skip", "archcore.window.etcdStart", "archcore.window.etcdStop",
                        "archcore.window.registryStart", "archcore.window.registryStop", "archcore.registryIp",
                        "archcore.registryPort");
    }

    /** A property the docs name that no goal reads would be set by a user and silently do nothing. */
    @Test
    void everyDocumentedPropertyIsOneAGoalReads() throws Exception {
        Set<String> known = properties(descriptor());
        List<String> unknown = new ArrayList<>();
        for (Path file : documents()) {
            mentioned(Files.readString(file)).forEach((name, line) -> {
                if (!known.contains(name) && !NOT_PARAMETERS.containsKey(name)) {
                    unknown.add(ROOT.relativize(file) + ":" + line + ": " + name);
                }
            });
        }
        assertThat(unknown).as("properties in the docs that no goal has (plugin.xml has %s)", known).isEmpty();
    }

    /**
     * The per-goal tables ({@code | `parameter` (`property`) | default | meaning |}): every row names parameters of
     * that goal with their properties, and every parameter of the goal that has a property has a row.
     */
    @ParameterizedTest
    @CsvSource({
            "pkg, README.md, ## `archcore:pkg`",
            "repo, README.md, ## `archcore:repo`",
            "iso, README.md, ## `archcore:iso`",
            "deploy, docs/cluster.md, ## Parameters",
            "provision, docs/provision.md, ### Parameters"})
    void eachParameterTableMatchesItsGoal(String goal, String file, String heading) throws Exception {
        Map<String, String> parameters = descriptor().get(goal);
        assertThat(parameters).as("goal " + goal).isNotNull();
        List<String> rows = table(Files.readString(ROOT.resolve(file)), heading);
        List<String> wrong = new ArrayList<>();
        Set<String> named = new TreeSet<>();
        for (String row : rows) {
            for (Group g : groups(row.split("\\|")[1])) {
                List<String> names = g.names();
                List<String> props = new ArrayList<>();
                String prefix = "";
                for (String p : g.properties()) {
                    p = p.startsWith(".") ? prefix + p : p; // `archcore.provision.dryRun`, `.destroy`
                    prefix = p.contains(".") ? p.substring(0, p.lastIndexOf('.')) : p;
                    props.add(p);
                }
                if (!names.isEmpty() && names.stream().allMatch(n -> n.startsWith("archcore."))) {
                    props = names.stream().flatMap(n -> expand(n).stream()).toList(); // a row of properties only
                    names = List.of();
                }
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get(i);
                    String documented = props.size() == 1 && props.get(0).endsWith(".*")
                            ? props.get(0).replace("*", name) // `sshPort`, `etcdPort` (`archcore.*`)
                            : props.size() == names.size() ? props.get(i) : null;
                    if (!parameters.containsKey(name)) {
                        wrong.add(file + " names the parameter " + name + ", which " + goal + " does not have");
                    } else if (documented != null && !documented.equals(parameters.get(name))) {
                        wrong.add(file + " says " + name + " is " + documented + "; plugin.xml: " + parameters.get(name));
                    }
                    named.add(name);
                }
                if (!props.isEmpty() && !names.isEmpty() && props.size() != names.size() && !props.get(0).endsWith(".*")) {
                    wrong.add(file + ": cannot tell which of " + props + " belongs to which of " + names);
                }
                if (names.isEmpty()) {
                    for (String p : props) {
                        if (!parameters.containsValue(p)) {
                            wrong.add(file + " names " + p + ", which " + goal + " does not read");
                        }
                        parameters.forEach((name, property) -> {
                            if (p.equals(property)) {
                                named.add(name);
                            }
                        });
                    }
                }
            }
        }
        parameters.forEach((name, property) -> {
            if (property != null && !named.contains(name)) {
                wrong.add(file + " has no row for " + goal + "'s " + name + " (" + property + ")");
            }
        });
        assertThat(wrong).as("the %s table in %s against plugin.xml", goal, file).isEmpty();
    }

    /**
     * {@code mvn archcore:help -Ddetail -Dgoal=GOAL} (maven-plugin-plugin's generated HelpMojo, reading
     * plugin-help.xml) still names every parameter of every goal with its user property.
     */
    @Test
    void theHelpGoalListsEveryPropertyOfEachGoal() throws Exception {
        for (Map.Entry<String, Map<String, String>> goal : descriptor().entrySet()) {
            HelpMojo help = new HelpMojo();
            MojoFields.setAll(help, "detail", true, "goal", goal.getKey(), "lineLength", 200, "indentSize", 2);
            List<String> lines = new ArrayList<>();
            help.setLog(new RecordingMavenLog(lines));
            help.execute();
            String text = String.join("\n", lines);
            assertThat(text).contains("archcore:" + goal.getKey());
            // parameters at indent 4 ("name (Default: ...)"), their "User property: x" below at indent 6
            Map<String, String> shown = new TreeMap<>();
            String parameter = null;
            for (String line : text.split("\n")) {
                if (line.startsWith("    ") && !line.startsWith("     ") && !line.isBlank()) {
                    parameter = line.strip().split(" ", 2)[0];
                } else if (parameter != null && line.strip().startsWith("User property: ")) {
                    shown.put(parameter, line.strip().substring("User property: ".length()));
                }
            }
            Map<String, String> expected = new TreeMap<>();
            goal.getValue().forEach((name, property) -> {
                if (property != null) {
                    expected.put(name, property);
                }
            });
            assertThat(shown).as("archcore:help -Ddetail -Dgoal=%s", goal.getKey()).containsAllEntriesOf(expected);
        }
    }

    /** The rows of the first table after the heading line, without its header and separator. */
    private static List<String> table(String text, String heading) {
        List<String> lines = List.of(text.split("\n"));
        int start = 0;
        while (start < lines.size() && !lines.get(start).startsWith(heading)) {
            start++;
        }
        assertThat(start).as("a heading '%s'", heading).isLessThan(lines.size());
        while (start < lines.size() && !lines.get(start).startsWith("|")) {
            start++;
        }
        List<String> rows = new ArrayList<>();
        for (int i = start + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            rows.add(lines.get(i));
        }
        assertThat(rows).as("the table after '%s'", heading).isNotEmpty();
        return rows;
    }

    /** Parameter names, then the properties in parentheses after them. */
    private record Group(List<String> names, List<String> properties) {
    }

    /** {@code `a`, `b` (`archcore.a`, `.b`), `c` (`archcore.*`), `d`}: the groups [a b | archcore.a .b], [c | archcore.*], [d]. */
    private static List<Group> groups(String cell) {
        List<Group> groups = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> props = new ArrayList<>();
        Matcher m = Pattern.compile("`([^`]+)`|\\(|\\)").matcher(cell);
        int depth = 0;
        while (m.find()) {
            if (m.group().equals("(")) {
                depth++;
            } else if (m.group().equals(")")) {
                if (--depth == 0) {
                    groups.add(new Group(List.copyOf(names), List.copyOf(props)));
                    names.clear();
                    props.clear();
                }
            } else {
                (depth > 0 ? props : names).add(m.group(1));
            }
        }
        if (!names.isEmpty()) {
            groups.add(new Group(List.copyOf(names), List.of()));
        }
        return groups;
    }
}
