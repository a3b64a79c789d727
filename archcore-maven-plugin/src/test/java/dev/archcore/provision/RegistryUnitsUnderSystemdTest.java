package dev.archcore.provision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.SystemdNodes;
import dev.archcore.testing.TemplateRegistries;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The registry units' {@code docker run} lines as a real systemd splits them. The tests that run those units
 * ({@link TemplateRegistries}) read the words with their own splitter, and the read-only side's storage setting is
 * one quoted JSON word: a quote systemd took differently would give Docker another command than the tests judged.
 * So each line runs, as written in the rendered master template, under systemd on a real node, with a program in
 * Docker's place that records the words it got.
 */
class RegistryUnitsUnderSystemdTest {
    private static final Pattern DOCKER_RUN = Pattern.compile("(?m)^\\s*ExecStart=/usr/bin/docker (run .*registry:\\S+)\\s*$");

    @TempDir
    Path tmp;
    private SystemdNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void systemdGivesDockerTheWordsTheRegistryTestsRun() throws Exception {
        String template = Files.readString(TestCluster.TEMPLATES.resolve("user_data.registry.yaml"))
                .replace("$REGISTRY_PORT", "5443").replace("$REGISTRY_PUSH_PORT", "5444");
        List<String> lines = new ArrayList<>();
        Matcher m = DOCKER_RUN.matcher(template);
        while (m.find()) {
            lines.add(m.group(1));
        }
        assertThat(lines).as("the registry units' docker run lines").hasSize(2);

        nodes = SystemdNodes.boot(tmp.resolve("nodes"), 1);
        SystemdNodes.Node node = nodes.node(1);
        Path files = Files.createDirectories(tmp.resolve("files"));
        Files.writeString(files.resolve("archcore-argv"), "#!/bin/sh\nprintf '%s\\0' \"$@\" > \"/run/argv-$ARGV_NAME\"\n");
        files.resolve("archcore-argv").toFile().setExecutable(true, false);
        for (int i = 0; i < lines.size(); i++) {
            Files.writeString(files.resolve("argv-" + i + ".service"), "[Service]\nType=oneshot\nEnvironment=ARGV_NAME=" + i
                    + "\nExecStart=/etc/systemd/system/archcore-argv " + lines.get(i) + "\n");
        }
        nodes.send(node, files, "/etc/systemd/system").ok("copying the units to " + node);
        for (int i = 0; i < lines.size(); i++) {
            String text = nodes.exec(node, "systemctl daemon-reload && systemctl start argv-" + i + ".service && echo && base64 -w0 /run/argv-" + i)
                    .ok("argv-" + i + ".service on " + node).text().trim();
            String raw = new String(Base64.getDecoder().decode(text.substring(text.lastIndexOf('\n') + 1)), StandardCharsets.UTF_8);
            List<String> got = Arrays.asList(raw.substring(0, raw.length() - 1).split("\0", -1));
            assertThat(got).as("systemd's words for " + lines.get(i)).isEqualTo(TemplateRegistries.words(lines.get(i)));
        }

        // and the read-only side's storage setting reaches the registry as the JSON it must be
        String readOnlyLine = lines.stream().filter(l -> l.contains("REGISTRY_STORAGE_MAINTENANCE")).findFirst().orElseThrow();
        String word = TemplateRegistries.words(readOnlyLine).stream()
                .filter(w -> w.startsWith("REGISTRY_STORAGE_MAINTENANCE=")).findFirst().orElseThrow();
        JsonNode maintenance = new ObjectMapper().readTree(word.substring(word.indexOf('=') + 1));
        assertThat(maintenance.at("/readonly/enabled").asBoolean()).isTrue();
    }
}
