package dev.archcore.maven;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, item 3: the descriptor maven-plugin-plugin generates (process-classes, before the tests) named the
 * Maven API compiled against (3.9.x) as the minimum, which Debian's and Ubuntu's mvn 3.8.7 is not. It must name
 * the oldest Maven the plugin runs on.
 */
class PluginDescriptorTest {
    /** Debian 12's and Ubuntu 24.04's packaged Maven. */
    static final String DEBIAN_MAVEN = "3.8.7";

    @Test
    void theDescriptorRequiresTheMavenDebianShips() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/maven/plugin.xml")) {
            assertThat(in).as("target/classes/META-INF/maven/plugin.xml (maven-plugin-plugin's descriptor)").isNotNull();
            Document descriptor = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
            assertThat(descriptor.getDocumentElement().getElementsByTagName("requiredMavenVersion").item(0)
                    .getTextContent().strip()).isEqualTo(DEBIAN_MAVEN);
        }
    }

    /**
     * Issue 17: Maven resolves the dependencies the descriptor lists and builds them into the plugin's class realm
     * before every goal; docker-java (with Guava and JNA, 11 jars) is archcore:load's alone, which resolves it when it
     * loads (LoadMojoTest), so the descriptor must not list it.
     */
    @Test
    void theRealmCarriesNoDockerJava() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/maven/plugin.xml")) {
            Document descriptor = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
            NodeList dependencies = descriptor.getDocumentElement().getElementsByTagName("dependency");
            List<String> listed = new ArrayList<>();
            for (int i = 0; i < dependencies.getLength(); i++) {
                Element d = (Element) dependencies.item(i);
                listed.add(d.getElementsByTagName("groupId").item(0).getTextContent().strip() + ":"
                        + d.getElementsByTagName("artifactId").item(0).getTextContent().strip());
            }
            assertThat(listed).as("the plugin's runtime dependencies").contains("org.apache.commons:commons-compress")
                    .noneMatch(ga -> ga.startsWith("com.github.docker-java:"))
                    .doesNotContain("com.google.guava:guava", "net.java.dev.jna:jna");
        }
    }
}
