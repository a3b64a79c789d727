package dev.archcore.cluster;

import dev.archcore.testing.FleetSimulator;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.SshServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fleet client against the fleet simulator's Unix socket, reached through a real sshd (direct-streamlocal). */
class FleetClientTest {
    @TempDir
    static Path dir;
    static SshServer sshd;

    @BeforeAll
    static void start() {
        sshd = SshServer.start(dir.resolve("sshd"));
    }

    @AfterAll
    static void stop() {
        sshd.close();
    }

    private static ClusterConnection connect(Path socket) {
        return ClusterConnection.open(sshd.sshEndpoint(), sshd.options(), socket.toString(), new RecordingLog());
    }

    private static final List<UnitOption> UNIT = UnitFile.parse("""
            [Unit]
            Description=hello
            [Service]
            ExecStart=/bin/true
            ExecStart=/bin/echo again
            [X-Fleet]
            Global=true
            """, "test").options();

    @Test
    void unitsLifecycleAndFleetsStatusCodes() throws Exception {
        Path socket = dir.resolve("lifecycle.sock");
        try (FleetSimulator sim = FleetSimulator.start(socket, 3, 20); ClusterConnection c = connect(socket)) {
            FleetClient fleet = c.fleet();
            assertThat(fleet.unit("hello.service")).isEmpty();
            assertThat(fleet.destroy("hello.service")).isFalse();
            fleet.create("hello.service", UNIT, "launched");
            FleetUnit unit = fleet.unit("hello.service").orElseThrow();
            assertThat(unit.options()).isEqualTo(UNIT);
            assertThat(unit.desiredState()).isEqualTo("launched");
            assertThat(unit.hash()).isEqualTo(sim.unitHash("hello.service"));
            assertThat(fleet.units()).extracting(FleetUnit::name).containsExactly("hello.service");

            // creating again is a state change for fleet, which needs desiredState; without options: 409
            assertThatThrownBy(() -> fleet.create("other.service", List.of(), "launched"))
                    .isInstanceOf(FleetException.class).hasMessageContaining("HTTP 409 unit does not exist and options field empty");
            assertThatThrownBy(() -> fleet.create("bad name.service", UNIT, "launched"))
                    .isInstanceOf(FleetException.class).hasMessageContaining("HTTP 400 invalid character ' ' in unit name");
            List<UnitOption> replacing = new java.util.ArrayList<>(UNIT);
            replacing.add(new UnitOption("X-Fleet", "Replaces", "x*"));
            assertThatThrownBy(() -> fleet.create("c.service", replacing, "launched"))
                    .isInstanceOf(FleetException.class).hasMessageContaining("HTTP 400 Global cannot be used with Replaces");

            fleet.setDesiredState("hello.service", "loaded");
            assertThat(fleet.unit("hello.service").orElseThrow().desiredState()).isEqualTo("loaded");
            assertThat(fleet.destroy("hello.service")).isTrue();
            assertThat(fleet.unit("hello.service")).isEmpty();
            assertThatThrownBy(() -> fleet.setDesiredState("hello.service", "launched"))
                    .isInstanceOf(FleetException.class).hasMessageContaining("options field empty");
        }
    }

    @Test
    void rawProtocolErrorsComeAsFleetErrorBodies() throws Exception {
        Path socket = dir.resolve("raw.sock");
        try (FleetSimulator sim = FleetSimulator.start(socket, 1, 20); ClusterConnection c = connect(socket);
             StreamHttpClient http = new StreamHttpClient(() -> c.ssh().openUnixSocket(socket.toString()), "domain-sock")) {
            HttpResponse r = http.send("PUT", "/fleet/v1/units/x.service", "text/plain", "{}".getBytes(StandardCharsets.UTF_8));
            assertThat(r.status()).isEqualTo(415);
            assertThat(FleetClient.errorMessage(r)).isEqualTo("only acceptable Content-Type is application/json");
            r = http.send("GET", "/fleet/v1/machines?nextPageToken=MgABAA==", null, null); // limit 50, page 1
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.text()).isEqualTo("{\"error\":{\"code\":400,\"message\":\"token limit must be 100\"}}");
            r = http.send("PUT", "/fleet/v1/units/x.service", "application/json",
                    "{\"name\":\"y.service\"}".getBytes(StandardCharsets.UTF_8));
            assertThat(r.status()).isEqualTo(400);
            assertThat(FleetClient.errorMessage(r)).contains("differs from unit name");
            assertThat(http.send("POST", "/fleet/v1/units", "application/json", new byte[0]).status()).isEqualTo(405);
            // all of it on one kept-alive channel
            assertThat(http.requests()).isEqualTo(4);
        }
    }

    @Test
    void listsFollowPagesIncludingFleetsEmptyLastPage() throws Exception {
        Path socket = dir.resolve("pages.sock");
        try (FleetSimulator sim = FleetSimulator.start(socket, 250, 1); ClusterConnection c = connect(socket)) {
            FleetClient fleet = c.fleet();
            List<Machine> machines = fleet.machines();
            assertThat(machines).hasSize(250).extracting(Machine::id).doesNotHaveDuplicates().containsAll(sim.machineIds());
            assertThat(machines).filteredOn(m -> m.metadata().equals(Map.of("role", "registry"))).hasSize(1);
            assertThat(sim.requestCounts()).containsEntry("GET machines", 3);

            fleet.create("hello.service", UNIT, "launched");
            List<UnitState> states;
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            do {
                states = fleet.states(null, "hello.service");
            } while (states.size() < 250 && System.nanoTime() < until);
            assertThat(states).hasSize(250).allMatch(s -> s.hash().equals(sim.unitHash("hello.service")));
            String one = sim.machineIds().get(7);
            assertThat(fleet.states(one, null)).singleElement().satisfies(s -> assertThat(s.machineID()).isEqualTo(one));
            assertThat(fleet.states(one, "other.service")).isEmpty();

            sim.removeMachine(sim.machineIds().get(0));
            sim.removeMachine(sim.machineIds().get(0));
            sim.removeMachine(sim.machineIds().get(0));
            sim.removeMachine(sim.machineIds().get(0));
            sim.removeMachine(sim.machineIds().get(0));
            sim.removeMachine(sim.machineIds().get(0));
            int before = sim.requestCounts().get("GET machines");
            // exactly 200: fleet still hands out a token after the second full page, which leads to an empty one
            assertThat(fleet.machines()).hasSize(244);
            while (sim.machineIds().size() > 200) {
                sim.removeMachine(sim.machineIds().get(0));
            }
            int mid = sim.requestCounts().get("GET machines");
            assertThat(mid - before).isEqualTo(3);
            assertThat(fleet.machines()).hasSize(200);
            assertThat(sim.requestCounts().get("GET machines") - mid).isEqualTo(3);
        }
    }

    @Test
    void aMissingFleetSocketIsNamed() {
        Path socket = dir.resolve("nothing-here.sock");
        try (ClusterConnection c = connect(socket)) {
            assertThatThrownBy(() -> c.fleet().machines())
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("unix://" + socket)
                    .hasMessageContaining("could not open the Unix socket")
                    .hasMessageContaining("Is fleet running on the master");
        }
    }

    @Test
    void machinesTable() throws Exception {
        Path socket = dir.resolve("table.sock");
        try (FleetSimulator sim = FleetSimulator.start(socket, 3, 1); ClusterConnection c = connect(socket)) {
            sim.preload("hello.service", UNIT);
            List<String> table = MachinesReport.table(MachinesReport.rows(c.fleet(), "hello.service"), "hello.service");
            assertThat(table).hasSize(4);
            assertThat(table.get(0)).startsWith("MACHINE").contains("IP", "METADATA", "HASH", "ACTIVE", "SUB");
            assertThat(table.subList(1, 4)).allMatch(l -> l.contains("hello.service") && l.contains("active") && l.contains("running")
                    && l.contains(sim.unitHash("hello.service").substring(0, 7)));
            assertThat(table).anyMatch(l -> l.contains("role=registry") && l.contains("10.0.0.2"));
        }
    }
}
