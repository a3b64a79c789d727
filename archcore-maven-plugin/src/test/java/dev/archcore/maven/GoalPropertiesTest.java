package dev.archcore.maven;

import dev.archcore.testing.MojoFields;
import dev.archcore.testing.TestPackages;
import org.apache.maven.execution.DefaultMavenExecutionRequest;
import org.apache.maven.execution.DefaultMavenExecutionResult;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.model.Model;
import org.apache.maven.monitor.logging.DefaultLog;
import org.apache.maven.plugin.Mojo;
import org.apache.maven.project.MavenProject;
import org.codehaus.plexus.logging.AbstractLogger;
import org.codehaus.plexus.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The goals' properties as the plugin descriptor (what Maven binds {@code -D} to) has them: a skip property per
 * goal beside {@code archcore.skip}, and the image properties under {@code archcore.image.*} with the old names
 * still working and warning.
 */
class GoalPropertiesTest {
    @TempDir
    Path tmp;

    /** The descriptor's {@code <mojo>} of a goal. */
    private static Element mojo(String goal) throws Exception {
        try (InputStream in = GoalPropertiesTest.class.getResourceAsStream("/META-INF/maven/plugin.xml")) {
            assertThat(in).as("the plugin descriptor (built in process-classes)").isNotNull();
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
            NodeList mojos = d.getElementsByTagName("mojo");
            for (int i = 0; i < mojos.getLength(); i++) {
                Element m = (Element) mojos.item(i);
                if (goal.equals(m.getElementsByTagName("goal").item(0).getTextContent())) {
                    return m;
                }
            }
        }
        throw new AssertionError("no goal " + goal + " in the plugin descriptor");
    }

    /** The parameter bound to {@code ${property}}, or null. */
    private static String parameterOf(Element mojo, String property) {
        Element configuration = (Element) mojo.getElementsByTagName("configuration").item(0);
        NodeList children = configuration.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element e && e.getTextContent().equals("${" + property + "}")) {
                return e.getTagName();
            }
        }
        return null;
    }

    private static DefaultLog recording(List<String> lines) {
        return new DefaultLog(new AbstractLogger(Logger.LEVEL_DEBUG, "test") {
            public void debug(String m, Throwable t) { }
            public void info(String m, Throwable t) { lines.add("INFO " + m); }
            public void warn(String m, Throwable t) { lines.add("WARN " + m); }
            public void error(String m, Throwable t) { lines.add("ERROR " + m); }
            public void fatalError(String m, Throwable t) { lines.add("FATAL " + m); }
            public Logger getChildLogger(String name) { return this; }
        });
    }

    /**
     * {@code -Darchcore.<goal>.skip} alone (nothing else configured: a goal that ran would fail at once) skips
     * that goal, says so, and writes nothing.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pkg", "image", "push", "deploy", "iso", "provision", "load", "repo", "machines"})
    void eachGoalHasItsOwnSkipProperty(String goal) throws Exception {
        Element mojo = mojo(goal);
        assertThat(parameterOf(mojo, "archcore.skip")).as(goal + ": archcore.skip").isEqualTo("skip");
        String parameter = parameterOf(mojo, "archcore." + goal + ".skip");
        assertThat(parameter).as(goal + ": a parameter bound to archcore." + goal + ".skip").isNotNull();

        String implementation = mojo.getElementsByTagName("implementation").item(0).getTextContent();
        Mojo instance = (Mojo) Class.forName(implementation).getDeclaredConstructor().newInstance();
        Path target = Files.createDirectories(tmp.resolve("target"));
        if (hasField(instance.getClass(), "buildDirectory")) {
            MojoFields.set(instance, "buildDirectory", target.toFile());
        }
        MojoFields.set(instance, parameter, true);
        List<String> lines = new CopyOnWriteArrayList<>();
        instance.setLog(recording(lines));
        instance.execute();
        assertThat(lines).anyMatch(l -> l.startsWith("INFO archcore." + goal + ".skip is set"));
        try (Stream<Path> written = Files.list(target)) {
            assertThat(written).as(goal + " wrote nothing").isEmpty();
        }
    }

    private static boolean hasField(Class<?> c, String name) {
        for (; c != null; c = c.getSuperclass()) {
            if (Stream.of(c.getDeclaredFields()).anyMatch(f -> f.getName().equals(name))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void imagePropertiesFollowTheGoalScheme() throws Exception {
        Element image = mojo("image");
        assertThat(parameterOf(image, "archcore.image.name")).isEqualTo("imageName");
        assertThat(parameterOf(image, "archcore.image.tag")).isEqualTo("imageTag");
        assertThat(parameterOf(image, "archcore.image.user")).isEqualTo("user");
        assertThat(parameterOf(image, "archcore.image.workingDirectory")).isEqualTo("workingDirectory");
        assertThat(parameterOf(image, "archcore.image.packages")).isEqualTo("packages");
    }

    /** -Darchcore.imageTag (the old name) still tags the image, with a warning naming the new one. */
    @Test
    void anOldImagePropertyStillWorksAndWarns() throws Exception {
        List<String> lines = build(props("archcore.imageTag", "old-name-tag"), new Properties());
        assertThat(tags()).containsExactly("old-name-tag");
        assertThat(lines).contains("WARN archcore.imageTag is deprecated and will be removed: use archcore.image.tag "
                + "(same value) instead.");
    }

    /** In the pom's properties too; and the new name, where set, wins without a warning. */
    @Test
    void theNewNameWinsOverTheOld() throws Exception {
        Properties pom = props("archcore.imageTag", "old-name-tag");
        pom.setProperty("archcore.image.tag", "new-name-tag");
        List<String> lines = build(new Properties(), pom, "imageTag", "new-name-tag");
        assertThat(tags()).containsExactly("new-name-tag");
        assertThat(lines).noneMatch(l -> l.startsWith("WARN") && l.contains("deprecated"));
    }

    private static Properties props(String name, String value) {
        Properties p = new Properties();
        p.setProperty(name, value);
        return p;
    }

    /** archcore:image of a package without dependencies (no repository read), with these properties. */
    private List<String> build(Properties user, Properties pom, Object... fields) throws Exception {
        Path basedir = Files.createDirectories(tmp.resolve("project"));
        Files.writeString(basedir.resolve("pacman.conf"), "[options]\nArchitecture = x86_64\nSigLevel = Never\n");
        Path app = TestPackages.write(TestPackages.Spec.of("hello", "1.0-1"),
                Files.createDirectories(tmp.resolve("pkgdir")), tmp, 1_790_000_000L);
        Model model = new Model();
        model.setGroupId("com.example");
        model.setArtifactId("hello");
        model.setVersion("1.0");
        model.setProperties(pom);
        MavenProject project = new MavenProject(model);
        project.setFile(basedir.resolve("pom.xml").toFile());
        DefaultMavenExecutionRequest request = new DefaultMavenExecutionRequest();
        request.setUserProperties(user);
        @SuppressWarnings("deprecation")
        MavenSession session = new MavenSession(null, null, request, new DefaultMavenExecutionResult());
        ImageMojo mojo = new ImageMojo();
        MojoFields.setAll(mojo, "project", project, "session", session, "pacmanConf", basedir.resolve("pacman.conf").toFile(),
                "cacheDirectory", tmp.resolve("cache").toFile(), "lockFile", basedir.resolve("packages.lock.json").toFile(),
                "buildDirectory", basedir.resolve("target").toFile(), "outputTimestamp", "2026-09-21T00:00:00Z",
                "layerCompressionLevel", 6, "recipe", "app", "packageFile", app.toFile());
        MojoFields.setAll(mojo, fields);
        List<String> lines = new CopyOnWriteArrayList<>();
        mojo.setLog(recording(lines));
        mojo.execute();
        return lines;
    }

    /** The OCI layout's tags (index.json's ref.name annotations), read as JSON. */
    private List<String> tags() throws Exception {
        File index = tmp.resolve("project/target/archcore/image/index.json").toFile();
        List<String> tags = new java.util.ArrayList<>();
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(index).path("manifests").forEach(m ->
                tags.add(m.path("annotations").path("org.opencontainers.image.ref.name").asText()));
        return tags;
    }
}
