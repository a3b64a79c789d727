package dev.archcore.cluster;

import dev.archcore.testing.FleetSimulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fleet simulator against what fleet 1.0.0's code does (api/units.go, api/machines.go, client/registry.go,
 * registry/job.go, job/job.go, agent/reconcile.go): each expectation here is read from that code, cited where it is
 * not obvious.
 */
class FleetSemanticsTest {
    @TempDir
    Path dir;

    private static final List<UnitOption> HELLO = List.of(
            new UnitOption("Service", "ExecStart", "/bin/sleep 1d"),
            new UnitOption("X-Fleet", "Global", "true"));

    private static List<UnitOption> with(List<UnitOption> base, String section, String name, String value) {
        List<UnitOption> out = new ArrayList<>(base);
        out.add(new UnitOption(section, name, value));
        return out;
    }

    private static StreamHttpClient raw(Path socket) {
        return new StreamHttpClient(() -> {
            SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            return StreamConnection.of(Channels.newInputStream(ch), Channels.newOutputStream(ch), ch);
        }, "fleet");
    }

    private static HttpResponse put(StreamHttpClient http, String name, String json) throws Exception {
        return http.send("PUT", "/fleet/v1/units/" + name, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static final String HELLO_JSON = "[{\"section\":\"Service\",\"name\":\"ExecStart\",\"value\":\"/bin/sleep 1d\"},"
            + "{\"section\":\"X-Fleet\",\"name\":\"Global\",\"value\":\"true\"}]";
    private static final String OTHER_JSON = "[{\"section\":\"Service\",\"name\":\"ExecStart\",\"value\":\"/bin/sleep 2d\"},"
            + "{\"section\":\"X-Fleet\",\"name\":\"Global\",\"value\":\"true\"}]";

    @Test
    void putOfAnExistingUnitWithOtherOptionsReplacesItAndOtherwiseOnlySetsTheState() throws Exception {
        Path socket = dir.resolve("put.sock");
        try (FleetSimulator sim = FleetSimulator.start(socket, 2, 20); StreamHttpClient http = raw(socket)) {
            assertThat(put(http, "a.service", "{\"desiredState\":\"launched\",\"options\":" + HELLO_JSON + "}").status()).isEqualTo(201);
            String first = sim.unitHash("a.service");
            // same options, a new desired state: SetUnitTargetState, 204
            assertThat(put(http, "a.service", "{\"desiredState\":\"loaded\",\"options\":" + HELLO_JSON + "}").status()).isEqualTo(204);
            assertThat(http.send("GET", "/fleet/v1/units/a.service", null, null).text()).contains("\"desiredState\":\"loaded\"");
            // no options: a state change needs a desiredState (409)
            HttpResponse r = put(http, "a.service", "{}");
            assertThat(r.status()).isEqualTo(409);
            assertThat(FleetClient.errorMessage(r)).isEqualTo("must provide DesiredState to update existing unit");
            // other options: CreateUnit with PrevIgnore replaces the unit (201), no desiredState meaning inactive
            assertThat(put(http, "a.service", "{\"options\":" + OTHER_JSON + "}").status()).isEqualTo(201);
            assertThat(sim.unitHash("a.service")).isNotEqualTo(first);
            assertThat(sim.unitText("a.service")).contains("/bin/sleep 2d");
            assertThat(http.send("GET", "/fleet/v1/units/a.service", null, null).text()).contains("\"desiredState\":\"inactive\"");
            // a replacement is not validated (ValidateOptions runs only for a unit that does not exist)
            String refused = "[{\"section\":\"X-Fleet\",\"name\":\"Global\",\"value\":\"true\"},"
                    + "{\"section\":\"X-Fleet\",\"name\":\"Replaces\",\"value\":\"b.service\"}]";
            assertThat(put(http, "new.service", "{\"desiredState\":\"launched\",\"options\":" + refused + "}").status()).isEqualTo(400);
            assertThat(put(http, "a.service", "{\"desiredState\":\"launched\",\"options\":" + refused + "}").status()).isEqualTo(201);
            // an unknown desiredState: a 500 on create (ParseJobState fails in CreateUnit) ...
            r = put(http, "b.service", "{\"desiredState\":\"running\",\"options\":" + HELLO_JSON + "}");
            assertThat(r.status()).isEqualTo(500);
            assertThat(http.send("GET", "/fleet/v1/units/b.service", null, null).status()).isEqualTo(404);
            // ... stored unchecked by a state change, after which fleet cannot read the unit back
            assertThat(put(http, "a.service", "{\"desiredState\":\"running\"}").status()).isEqualTo(204);
            assertThat(http.send("GET", "/fleet/v1/units/a.service", null, null).status()).isEqualTo(500);
            assertThat(http.send("GET", "/fleet/v1/units", null, null).text()).isEqualTo("{}");
        }
    }

    @Test
    void optionRulesAreFleets() throws Exception {
        Path socket = dir.resolve("rules.sock");
        List<UnitOption> plain = List.of(new UnitOption("Service", "ExecStart", "/bin/true"));
        Map<List<UnitOption>, String> refused = new java.util.LinkedHashMap<>();
        refused.put(with(HELLO, "X-Fleet", "Replaces", "old.service"), "Global cannot be used with Replaces");
        refused.put(with(HELLO, "X-Fleet", "MachineOf", "db.service"), "Global cannot be used with Peers");
        refused.put(with(with(plain, "X-Fleet", "MachineID", "abc"), "X-Fleet", "Replaces", "old.service"),
                "MachineID cannot be used with Replaces");
        refused.put(with(with(plain, "X-Fleet", "X-ConditionMachineID", "abc"), "X-Fleet", "Global", "yes"),
                "MachineID cannot be used with Global");
        refused.put(with(with(plain, "X-Fleet", "Conflicts", "web*"), "X-Fleet", "Replaces", "old.service"),
                "Conflicts cannot be used with Replaces");
        refused.put(with(with(plain, "X-Fleet", "MachineOf", "db-1.service"), "X-Fleet", "X-Conflicts", "other.service db-*"),
                "unresolvable requirements: peer \"db-1.service\" matches conflict \"db-*\"");
        refused.put(with(with(plain, "X-Fleet", "X-ConditionMachineOf", "db-1.service"), "X-Fleet", "Replaces", "db-[0-9].service"),
                "unresolvable requirements: peer \"db-1.service\" matches replace \"db-[0-9].service\"");
        try (FleetSimulator sim = FleetSimulator.start(socket, 2, 20); FleetClient fleet = FleetHashTest.client(socket)) {
            int n = 0;
            for (Map.Entry<List<UnitOption>, String> e : refused.entrySet()) {
                String name = "r" + n++ + ".service";
                assertThatThrownBy(() -> fleet.create(name, e.getKey(), "launched")).as(e.getValue())
                        .isInstanceOf(FleetException.class).hasMessageEndingWith("HTTP 400 " + e.getValue());
            }
            // accepted: Global with Conflicts, a peer no glob matches, Global=false with MachineID (the last Global counts)
            fleet.create("g.service", with(HELLO, "X-Fleet", "Conflicts", "other*"), "launched");
            fleet.create("p.service", with(with(plain, "X-Fleet", "MachineOf", "db-1.service"), "X-Fleet", "Conflicts", "db-2*"), "launched");
            fleet.create("m.service", with(with(with(plain, "X-Fleet", "Global", "true"), "X-Fleet", "Global", "no"),
                    "X-Fleet", "MachineID", sim.machineIds().get(0)), "launched");
        }
    }

    @Test
    void namesAndTemplatesAreFleets() throws Exception {
        Path socket = dir.resolve("names.sock");
        try (FleetSimulator sim = FleetSimulator.start(socket, 2, 20); FleetClient fleet = FleetHashTest.client(socket);
             StreamHttpClient http = raw(socket)) {
            String longest = "a".repeat(256 - ".service".length()) + ".service";
            fleet.create(longest, HELLO, "launched");
            assertThatThrownBy(() -> fleet.create("a" + longest, HELLO, "launched")).isInstanceOf(FleetException.class)
                    .hasMessageEndingWith("HTTP 400 unit name exceeds maximum length (256)");
            assertThatThrownBy(() -> fleet.create("web@.mount", HELLO, "launched")).isInstanceOf(FleetException.class)
                    .hasMessageEndingWith("HTTP 400 invalid unit type for template: \"mount\"");
            // a template is stored (also launched: create does not check), but a state change may not activate it
            fleet.create("web@.service", HELLO, "inactive");
            assertThatThrownBy(() -> fleet.setDesiredState("web@.service", "launched")).isInstanceOf(FleetException.class)
                    .hasMessageEndingWith("HTTP 400 cannot activate template \"web@.service\"");
            fleet.create("web@1.service", HELLO, "launched");
            fleet.setDesiredState("web@1.service", "loaded");
            HttpResponse r = put(http, "x.service", "{\"name\":\"y.service\"}");
            assertThat(FleetClient.errorMessage(r)).isEqualTo("name in URL \"x.service\" differs from unit name in request body \"y.service\"");
        }
    }

    @Test
    void machinesAnswerGetAndPatchOnly() throws Exception {
        Path socket = dir.resolve("machines.sock");
        try (FleetSimulator sim = FleetSimulator.start(socket, 2, 20); StreamHttpClient http = raw(socket);
             FleetClient fleet = FleetHashTest.client(socket)) {
            for (String method : List.of("POST", "PUT", "DELETE")) {
                HttpResponse r = http.send(method, "/fleet/v1/machines", "application/json", new byte[0]);
                assertThat(r.status()).as(method).isEqualTo(405);
                assertThat(FleetClient.errorMessage(r)).isEqualTo("only GET and PATCH supported against this resource");
            }
            String id = sim.machineIds().get(1);
            HttpResponse r = http.send("PATCH", "/fleet/v1/machines", "application/json",
                    ("[{\"op\":\"add\",\"path\":\"/" + id + "/metadata/role\",\"value\":{\"value\":\"web\"}}]").getBytes(StandardCharsets.UTF_8));
            assertThat(r.status()).isEqualTo(204);
            assertThat(fleet.machines()).filteredOn(m -> m.id().equals(id)).singleElement()
                    .satisfies(m -> assertThat(m.metadata()).isEqualTo(Map.of("role", "web")));
            r = http.send("PATCH", "/fleet/v1/machines", "application/json",
                    "[{\"op\":\"move\",\"path\":\"/x/metadata/role\"}]".getBytes(StandardCharsets.UTF_8));
            assertThat(FleetClient.errorMessage(r)).isEqualTo("invalid op: expect add, remove, or replace");
        }
    }

    @Test
    void aGlobalUnitRunsOnlyWhereTheMetadataMatchAndGlobalIsReadAsFleetReadsIt() throws Exception {
        Path socket = dir.resolve("metadata.sock");
        List<Map<String, String>> machines = List.of(Map.of("role", "web"), Map.of("role", "db"),
                Map.of("role", "web", "region", "eu"), Map.of());
        try (FleetSimulator sim = FleetSimulator.start(socket, machines, 20); FleetClient fleet = FleetHashTest.client(socket)) {
            // the machines in the order they joined (their ids do not sort that way)
            List<String> ids = machines.stream().map(md -> fleet.machines().stream().filter(m -> m.metadata().equals(md))
                    .findFirst().orElseThrow().id()).toList();
            fleet.create("web.service", with(HELLO, "X-Fleet", "MachineMetadata", "role=web"), "launched");
            fleet.create("eu.service", with(HELLO, "X-Fleet", "MachineMetadata", "\"role=db\" \"role=web\" \"region=eu\""), "launched");
            // yes is true, and the last Global= line wins
            fleet.create("yes.service", List.of(new UnitOption("X-Fleet", "Global", "false"), new UnitOption("X-Fleet", "Global", "YES")), "launched");
            fleet.create("one.service", List.of(new UnitOption("X-Fleet", "Global", "true"), new UnitOption("X-Fleet", "Global", "0")), "launched");
            awaitStates(sim, "web.service", 2);
            awaitStates(sim, "eu.service", 1);
            awaitStates(sim, "yes.service", 4);
            awaitStates(sim, "one.service", 1);
            assertThat(sim.states("web.service")).containsOnlyKeys(ids.get(0), ids.get(2));
            assertThat(sim.states("eu.service")).containsOnlyKeys(ids.get(2));
            assertThat(fleet.unit("one.service").orElseThrow().machineID()).isIn(sim.machineIds());
            assertThat(fleet.unit("web.service").orElseThrow().machineID()).isNull();
        }
    }

    @Test
    void agentsReportTheDestroyedUnitsStateUntilTheyNoticeTheChange() throws Exception {
        Path socket = dir.resolve("lag.sock");
        try (FleetSimulator sim = FleetSimulator.start(socket, 3, 20); FleetClient fleet = FleetHashTest.client(socket)) {
            sim.preload("a.service", HELLO);
            String old = sim.unitHash("a.service");
            String slow = sim.machineIds().get(1);
            sim.setLag(slow, 100_000);
            fleet.destroy("a.service");
            fleet.create("a.service", with(HELLO, "Service", "Environment", "X=1"), "launched");
            assertThat(sim.unitHash("a.service")).isNotEqualTo(old);
            awaitStates(sim, "a.service", 3);
            assertThat(fleet.states(slow, "a.service")).singleElement()
                    .satisfies(s -> assertThat(s.hash() + " " + s.describe()).isEqualTo(old + " loaded/active/running"));
        }
    }

    /** Waits until {@code count} machines report the unit active (bounded: the simulator moves on by itself). */
    private static void awaitStates(FleetSimulator sim, String unit, int count) throws InterruptedException {
        for (int i = 0; i < 3000 && sim.states(unit).values().stream().filter(s -> s.endsWith("active/running")).count() < count; i++) {
            Thread.sleep(10);
        }
        assertThat(sim.states(unit).values()).as(unit).filteredOn(s -> s.endsWith("active/running")).hasSize(count);
    }
}
