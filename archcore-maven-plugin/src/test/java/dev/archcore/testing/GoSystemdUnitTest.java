package dev.archcore.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.cluster.UnitOption;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The simulator's go-systemd port against the independent Python one ({@code cluster/fleet-hash/}): the same
 * options from each unit text, the same serialization, hash and line-length errors.
 */
class GoSystemdUnitTest {
    private static JsonNode read(String file) throws IOException {
        try (InputStream in = GoSystemdUnitTest.class.getResourceAsStream("/dev/archcore/cluster/fleet-hash/" + file)) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static List<UnitOption> options(JsonNode array) {
        List<UnitOption> out = new ArrayList<>();
        array.forEach(o -> out.add(new UnitOption(o.get("section").asText(), o.get("name").asText(), o.get("value").asText())));
        return out;
    }

    @Test
    void agreesWithTheReferenceScript() throws Exception {
        Map<String, JsonNode> expected = new HashMap<>();
        read("hashes.json").forEach(e -> expected.put(e.get("id").asText(), e));
        for (JsonNode c : read("units.json")) {
            JsonNode e = expected.get(c.get("id").asText());
            List<UnitOption> opts = c.has("text") ? GoSystemdUnit.deserialize(c.get("text").asText()) : options(c.get("options"));
            if (e.has("error")) {
                assertThatThrownBy(() -> GoSystemdUnit.deserialize(GoSystemdUnit.serialize(opts))).as(c.get("id").asText())
                        .hasMessage(e.get("error").asText());
                continue;
            }
            assertThat(opts).as(c.get("id").asText()).isEqualTo(options(e.get("options")));
            assertThat(GoSystemdUnit.serialize(opts)).isEqualTo(e.get("serialized").asText());
            // what fleet's API checks of a new unit reads back to the same text (sections grouped)
            assertThat(GoSystemdUnit.serialize(GoSystemdUnit.deserialize(GoSystemdUnit.serialize(opts))))
                    .as("round trip " + c.get("id").asText()).isEqualTo(e.get("serialized").asText());
            assertThat(GoSystemdUnit.hash(opts)).isEqualTo(e.get("hash").asText());
        }
    }
}
