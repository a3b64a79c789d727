package dev.archcore.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.FleetSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * fleet's unit hash pinned by values computed outside archcore: {@code fleet-hash/fleet_unit_hash.py} reimplements
 * go-systemd's Serialize and Deserialize (as fleet v1.0.0 vendors them) and SHA-1, and its output for
 * {@code units.json} is committed as {@code hashes.json}. archcore's {@link UnitFile} (parse, serialize, hash) and
 * the fleet simulator (which parses and hashes with its own code) must both give those values, and the simulator
 * must refuse what go-systemd's 2048-byte line check refuses.
 */
class FleetHashTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Case(String id, String text, List<UnitOption> options) {
    }

    record Expected(String id, List<UnitOption> options, String serialized, String hash, String error) {
    }

    private static <T> List<T> read(String file, TypeReference<List<T>> type) throws IOException {
        try (InputStream in = FleetHashTest.class.getResourceAsStream("fleet-hash/" + file)) {
            return JSON.readValue(in, type);
        }
    }

    private static Map<String, Expected> expected() throws IOException {
        Map<String, Expected> out = new java.util.LinkedHashMap<>();
        for (Expected e : read("hashes.json", new TypeReference<List<Expected>>() { })) {
            out.put(e.id(), e);
        }
        return out;
    }

    @Test
    void unitFileParsesSerializesAndHashesAsFleet() throws IOException {
        Map<String, Expected> expected = expected();
        List<Case> cases = read("units.json", new TypeReference<List<Case>>() { });
        assertThat(expected.keySet()).containsExactlyElementsOf(cases.stream().map(Case::id).toList());
        for (Case c : cases) {
            Expected e = expected.get(c.id());
            if (e.error() != null) {
                continue;
            }
            List<UnitOption> options = c.text() != null ? UnitFile.parse(c.text(), c.id()).options() : c.options();
            assertThat(options).as(c.id()).isEqualTo(e.options());
            assertThat(new UnitFile(options).serialize()).as(c.id()).isEqualTo(e.serialized());
            assertThat(UnitFile.hash(options)).as(c.id()).isEqualTo(e.hash());
        }
        assertThat(expected.get("archetype-unit").hash()).isEqualTo("0bbcff15e1b7a3f592123757abfe9219a57e65c3");
    }

    @Test
    void theSimulatorHashesAndRefusesAsFleet() throws IOException {
        Path socket = dir.resolve("fleet.sock");
        try (FleetSimulator sim = FleetSimulator.start(socket, 2, 20); FleetClient fleet = client(socket)) {
            for (Expected e : expected().values()) {
                String name = e.id() + ".service";
                if (e.error() != null) {
                    assertThatThrownBy(() -> fleet.create(name, fixture(e.id()), "launched")).as(e.id())
                            .isInstanceOf(FleetException.class).hasMessageEndingWith("HTTP 400 " + e.error());
                } else if (!e.options().isEmpty()) {
                    fleet.create(name, e.options(), "launched");
                    assertThat(sim.unitHash(name)).as(e.id()).isEqualTo(e.hash());
                    assertThat(sim.unitText(name)).as(e.id()).isEqualTo(e.serialized());
                    // what fleet answers for the unit hashes alike in archcore (options with empty values included)
                    assertThat(fleet.unit(name).orElseThrow().hash()).as(e.id()).isEqualTo(e.hash());
                }
            }
        }
    }

    private static List<UnitOption> fixture(String id) throws IOException {
        return read("units.json", new TypeReference<List<Case>>() { }).stream().filter(c -> c.id().equals(id))
                .findFirst().orElseThrow().options();
    }

    /** A fleet client straight on the simulator's Unix socket. */
    static FleetClient client(Path socket) {
        StreamHttpClient http = new StreamHttpClient(() -> {
            SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            return StreamConnection.of(Channels.newInputStream(ch), Channels.newOutputStream(ch), ch);
        }, "fleet");
        return new FleetClient(http, "unix://" + socket);
    }
}
