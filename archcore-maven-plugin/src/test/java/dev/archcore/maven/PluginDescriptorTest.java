package dev.archcore.maven;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.InputStream;

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
}
