package dev.archcore.cluster;

import dev.archcore.testing.FleetSimulator;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.SshServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import static dev.archcore.cluster.DeployerTest.NEW_IMAGE;
import static dev.archcore.cluster.DeployerTest.TEMPLATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a run of the Deployer against real fleet v1.0.0 found (docs/cluster.md, "Checked against real fleet"), each
 * reproduced with the simulator, which models it from fleet's code: a redeploy of an unchanged unit and a quick
 * retry must restart a failed instance, a crash-looping unit is no success, and a unit systemd never starts (a
 * missing dependency) fails after a grace period instead of the whole timeout.
 */
class DeployerRealFleetFindingsTest {
    /** In the new unit's text only: the marker the simulator's machines are told to misbehave on. */
    static final String NEW = "b".repeat(64);

    @TempDir
    static Path dir;
    static SshServer sshd;

    @BeforeAll
    static void start() throws Exception {
        sshd = SshServer.start(dir.resolve("sshd"));
    }

    @AfterAll
    static void stop() {
        sshd.close();
    }

    private static DeployRequest request(FleetSimulator sim, Duration timeout, RecordingLog log) {
        return new DeployRequest(sshd.sshEndpoint(), sshd.options(), sim.socket.toString(), "demo.service", TEMPLATE,
                "units/demo.service", NEW_IMAGE, List.of(), List.of(), Duration.ofSeconds(60), timeout,
                Duration.ofMillis(50), false, log);
    }

    /** Waits for a condition of the simulator's own making (not a timing assertion: it only waits). */
    private static void until(BooleanSupplier condition) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            Thread.sleep(20);
        }
    }

    @Test
    void redeployingAnUnchangedUnitRestartsTheInstanceThatFailed() throws InterruptedException {
        // agents reconcile every 40 steps (2 s): the Deployer's destroy and create fall between two of them
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("same.sock"), 3, 50)) {
            sim.setReconcileSteps(40);
            DeployResult first = Deployer.deploy(request(sim, Duration.ofSeconds(60), new RecordingLog()));
            String hash = first.hash();
            String killed = sim.machineIds().get(1);
            // its agent sees the registry 1 s late: another agent unloads the destroyed unit first and its
            // RemoveUnitState deletes this machine's state too, although this agent has not seen the destroy yet
            sim.setLag(killed, 20);
            sim.crash(killed, "demo.service");
            until(() -> sim.states("demo.service").get(killed).equals(hash + " loaded/failed/failed"));

            RecordingLog log = new RecordingLog();
            DeployResult again = Deployer.deploy(request(sim, Duration.ofSeconds(60), log));
            assertThat(again.changed()).isTrue();
            assertThat(sim.states("demo.service")).hasSize(3)
                    .allSatisfy((m, s) -> assertThat(s).isEqualTo(hash + " loaded/active/running"));
            assertThat(log.lines("INFO")).anyMatch(l -> l.contains("Waiting until fleet's agents have unloaded"));
        }
    }

    @Test
    void aRetryRightAfterAFailedFirstDeployRunsOnceTheCauseIsGone() {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("retry.sock"), 3, 50)) {
            sim.setReconcileSteps(40);
            String bad = sim.machineIds().get(2);
            sim.setLag(bad, 20);
            sim.failUnitsContaining(bad, NEW);
            assertThatThrownBy(() -> Deployer.deploy(request(sim, Duration.ofSeconds(60), new RecordingLog())))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("1 of 3 machines failed (" + sim.describe(bad) + ": loaded/failed/failed)")
                    .hasMessageContaining("There was no previous unit");
            // the cause is removed at once, and the deploy tried again
            sim.failUnitsContaining(bad, null);
            DeployResult retry = Deployer.deploy(request(sim, Duration.ofSeconds(60), new RecordingLog()));
            assertThat(sim.states("demo.service")).hasSize(3)
                    .allSatisfy((m, s) -> assertThat(s).isEqualTo(retry.hash() + " loaded/active/running"));
        }
    }

    @Test
    void statesThatVanishWhenASlowAgentUnloadsTheOldUnitOnlyCostTime() {
        // fleet's RemoveUnitState deletes every machine's state of the unit when one agent unloads it, until each
        // agent republishes (here every 100 steps, 5 s)
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("vanish.sock"), 3, 50)) {
            sim.setRepublishSteps(100);
            sim.preload("demo.service", UnitFile.render(TEMPLATE, DeployerTest.OLD_IMAGE, "old").options());
            String slow = sim.machineIds().get(2);
            sim.setLag(slow, 20);
            RecordingLog log = new RecordingLog();
            DeployResult result = Deployer.deploy(request(sim, Duration.ofSeconds(60), log));

            assertThat(sim.states("demo.service")).hasSize(3)
                    .allSatisfy((m, s) -> assertThat(s).isEqualTo(result.hash() + " loaded/active/running"));
            String fast = sim.describe(sim.machineIds().get(0));
            List<String> seen = log.lines("INFO").stream().filter(l -> l.contains("  " + fast + ": "))
                    .map(l -> l.substring(l.indexOf(fast) + fast.length() + 2)).toList();
            int running = seen.indexOf("loaded/active/running");
            assertThat(running).isNotNegative();
            assertThat(seen.subList(running, seen.size())).contains("no state reported");
        }
    }

    @Test
    void aCrashLoopingUnitIsAFailureAndRolledBack() {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("loop.sock"), 3, 100)) {
            String looping = sim.machineIds().get(0);
            sim.crashLoopUnitsContaining(looping, NEW);
            assertThatThrownBy(() -> Deployer.deploy(request(sim, Duration.ofSeconds(60), new RecordingLog())))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("1 of 3 machines failed (" + sim.describe(looping)
                            + ": loaded/activating/auto-restart (its process exited and systemd restarts it")
                    .hasMessageContaining("There was no previous unit: demo.service was destroyed again");
            assertThat(sim.unitHash("demo.service")).isNull();
        }
    }

    @Test
    void aUnitSystemdNeverStartsFailsAfterAGracePeriodNamingTheMachine() {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("dead.sock"), 3, 30)) {
            String noDocker = sim.machineIds().get(2);
            sim.missingDependencyForUnitsContaining(noDocker, NEW);
            // the timeout is far longer than the grace period the message names
            assertThatThrownBy(() -> Deployer.deploy(request(sim, Duration.ofSeconds(60), new RecordingLog())))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("1 of 3 machines failed (" + sim.describe(noDocker) + ": loaded/inactive/dead for "
                            + Deployer.DEAD_GRACE.toSeconds() + " s (systemd did not start it: a unit it requires is "
                            + "probably missing or failed there, e.g. docker.service)")
                    .hasMessageNotContaining("timeoutSeconds");
        }
    }
}
