package dev.archcore.maven;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archetype's required-property patterns, read from its archetype-metadata.xml and applied as
 * maven-archetype applies them ({@code Pattern.matches}, the whole value).
 */
class ArchetypeMetadataTest {
    static final Path METADATA = Path.of("../archcore-archetype/src/main/resources/META-INF/maven/archetype-metadata.xml");

    static Pattern validation(String property) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        NodeList props = f.newDocumentBuilder().parse(METADATA.toFile()).getElementsByTagNameNS("*", "requiredProperty");
        for (int i = 0; i < props.getLength(); i++) {
            Element p = (Element) props.item(i);
            if (p.getAttribute("key").equals(property)) {
                return Pattern.compile(p.getElementsByTagNameNS("*", "validationRegex").item(0).getTextContent().strip());
            }
        }
        throw new AssertionError(METADATA + " has no requiredProperty " + property);
    }

    @Test
    void appPortIsATcpPortFrom1To65535() throws Exception {
        Pattern port = validation("appPort");
        assertThat(IntStream.rangeClosed(1, 65535).filter(n -> !port.matcher(String.valueOf(n)).matches()).boxed().toList())
                .as("ports the pattern refuses").isEmpty();
        for (String bad : List.of("0", "65536", "65599", "70000", "99999", "100000", "08080", "-1", "", "80a", " 80", "1e3")) {
            assertThat(port.matcher(bad).matches()).as(bad).isFalse();
        }
    }
}
