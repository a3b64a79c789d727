package dev.archcore.cluster;

import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.testing.EtcdServer;
import dev.archcore.testing.FleetSimulator;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.SshServer;
import dev.archcore.util.Log;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The deploy engine end to end below Maven: a real sshd as the master, the real etcd started and stopped by the
 * update window's commands over SSH (TLS with client-certificate authentication from a cluster PKI, as on the
 * archetype's master: the window's health check goes over TLS through the tunnel with archcore's certificate),
 * and the fleet simulator on a Unix socket behind sshd.
 */
class DeployerTest {
    static final String OLD_IMAGE = "10.0.0.1:5443/demo@sha256:" + "a".repeat(64);
    static final String NEW_IMAGE = "10.0.0.1:5443/demo@sha256:" + "b".repeat(64);
    static final String TEMPLATE = """
            # the app on every machine
            [Unit]
            Description=demo
            After=docker.service

            [Service]
            ExecStartPre=-/usr/bin/docker pull @image@
            ExecStart=/usr/bin/docker run --rm --name demo @image@

            [X-Fleet]
            Global=true
            """;

    @TempDir
    static Path dir;
    static SshServer sshd;
    static Path pki;
    static EtcdTls archcore;

    @BeforeAll
    static void start() throws Exception {
        sshd = SshServer.start(dir.resolve("sshd"));
        pki = dir.resolve("pki");
        ClusterPki.ensure(new ClusterPki.Request(pki, "demo", List.of("192.0.2.10"), "archcore", null, Log.NONE));
        archcore = EtcdTls.load(pki.resolve("ca.crt"), ClusterPki.archcoreEtcdCertificate(pki), ClusterPki.archcoreEtcdKey(pki));
    }

    static EtcdServer etcd(String name) {
        return new EtcdServer(dir.resolve(name), pki);
    }

    @AfterAll
    static void stop() {
        sshd.close();
    }

    private static DeployRequest request(FleetSimulator sim, EtcdServer etcd, String template, Duration timeout, boolean dryRun, Log log) {
        List<UpdateWindow.Service> window = etcd == null ? List.of()
                : List.of(new UpdateWindow.Service("etcd", etcd.startCommand(), etcd.stopCommand(), UpdateWindow.etcd(etcd.clientPort, archcore)));
        return new DeployRequest(sshd.sshEndpoint(), sshd.options(), sim.socket.toString(), "demo.service", template,
                "units/demo.service", NEW_IMAGE, window, List.of(), Duration.ofSeconds(60), timeout, Duration.ofMillis(50),
                dryRun, log);
    }

    private static List<UnitOption> oldUnit() {
        return UnitFile.render(TEMPLATE, OLD_IMAGE, "old").options();
    }

    private static boolean answers(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void replacesTheUnitOnEveryMachineAndClosesTheWindowItOpened() {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("ok.sock"), 5, 30);
             EtcdServer etcd = etcd("etcd-ok")) {
            sim.preload("demo.service", oldUnit());
            String oldHash = sim.unitHash("demo.service");
            RecordingLog log = new RecordingLog();
            // machines join and leave while the deploy waits
            String leaving = sim.machineIds().get(1);
            Log churn = new Log() {
                @Override
                public void info(String message) {
                    log.info(message);
                    if (message.startsWith("Created and launched")) {
                        sim.addMachine(Map.of("role", "late"));
                        sim.removeMachine(leaving);
                    }
                }

                @Override
                public void warn(String message) {
                    log.warn(message);
                }
            };
            assertThat(answers(etcd.clientPort)).isFalse();
            DeployResult result = Deployer.deploy(request(sim, etcd, TEMPLATE, Duration.ofSeconds(60), false, churn));

            String newHash = sim.unitHash("demo.service");
            assertThat(newHash).isNotEqualTo(oldHash).isEqualTo(result.hash());
            assertThat(sim.unitText("demo.service")).contains("docker run --rm --name demo " + NEW_IMAGE)
                    .doesNotContain("@image@");
            assertThat(result.changed()).isTrue();
            assertThat(result.machines()).extracting(Machine::id).containsExactlyInAnyOrderElementsOf(sim.machineIds())
                    .doesNotContain(leaving).hasSize(5);
            assertThat(sim.states("demo.service")).hasSize(5).allSatisfy((m, s) -> assertThat(s).isEqualTo(newHash + " loaded/active/running"));
            // progress per machine, the window opened and closed
            assertThat(log.lines("INFO")).anyMatch(l -> l.contains("Update window: starting etcd"))
                    .anyMatch(l -> l.contains("Update window: stopped etcd"))
                    .anyMatch(l -> l.contains("activating/start-pre"))
                    .anyMatch(l -> l.equals("INFO demo.service " + newHash.substring(0, 7) + ": 5/5 machines running"));
            assertThat(answers(etcd.clientPort)).isFalse();
            assertThat(sim.requestCounts()).containsEntry("DELETE units/NAME", 1).containsEntry("PUT units/NAME", 1);

            // the same deploy again changes nothing
            DeployResult again = Deployer.deploy(request(sim, etcd, TEMPLATE, Duration.ofSeconds(60), false, new RecordingLog()));
            assertThat(again.changed()).isFalse();
            assertThat(sim.requestCounts()).containsEntry("DELETE units/NAME", 1).containsEntry("PUT units/NAME", 1);
        }
    }

    @Test
    void aFailureOnOneMachineRollsBackOnAll() {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("fail.sock"), 4, 30);
             EtcdServer etcd = etcd("etcd-fail")) {
            sim.preload("demo.service", oldUnit());
            String oldHash = sim.unitHash("demo.service");
            String bad = sim.machineIds().get(2);
            sim.failUnitsContaining(bad, "b".repeat(64));
            RecordingLog log = new RecordingLog();
            assertThatThrownBy(() -> Deployer.deploy(request(sim, etcd, TEMPLATE, Duration.ofSeconds(60), false, log)))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("did not run on every machine: 1 of 4 machines failed (" + sim.describe(bad)
                            + ": loaded/failed/failed)")
                    .hasMessageContaining("previous unit " + oldHash.substring(0, 7) + " was restored and runs on every machine again")
                    .hasMessageContaining(NEW_IMAGE);
            assertThat(sim.unitHash("demo.service")).isEqualTo(oldHash);
            assertThat(sim.states("demo.service")).hasSize(4).allSatisfy((m, s) -> assertThat(s).isEqualTo(oldHash + " loaded/active/running"));
            assertThat(log.lines("WARN")).anyMatch(l -> l.contains("Rolling back"));
            assertThat(answers(etcd.clientPort)).isFalse();
        }
    }

    @Test
    void aMachineThatNeverReportsTimesOutAndIsNamed() {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("silent.sock"), 3, 20)) {
            sim.preload("demo.service", oldUnit());
            String oldHash = sim.unitHash("demo.service");
            String silent = sim.machineIds().get(0);
            sim.silence(silent);
            // longer than Deployer.SETTLE, so that the others count as running
            assertThatThrownBy(() -> Deployer.deploy(request(sim, null, TEMPLATE, Duration.ofSeconds(8), false, new RecordingLog())))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("after 8 s (archcore.deploy.timeoutSeconds) 1 of 3 machines do not run it ("
                            + sim.describe(silent) + ": no state reported)")
                    .hasMessageContaining("was restored, but it does not run everywhere either");
            assertThat(sim.unitHash("demo.service")).isEqualTo(oldHash);
        }
    }

    @Test
    void aDryRunChangesNothing() {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("dry.sock"), 3, 1)) {
            sim.preload("demo.service", oldUnit());
            String oldHash = sim.unitHash("demo.service");
            RecordingLog log = new RecordingLog();
            DeployResult r = Deployer.deploy(request(sim, null, TEMPLATE, Duration.ofSeconds(10), true, log));
            assertThat(r.changed()).isFalse();
            assertThat(sim.unitHash("demo.service")).isEqualTo(oldHash);
            assertThat(sim.requestCounts().keySet()).allMatch(k -> k.startsWith("GET "));
            assertThat(log.toString()).contains("Dry run: nothing changes", "destroy demo.service " + oldHash.substring(0, 7),
                    "create and launch " + r.hash().substring(0, 7), "ExecStart=/usr/bin/docker run --rm --name demo " + NEW_IMAGE,
                    sim.describe(sim.machineIds().stream().filter(id -> sim.describe(id).endsWith("(10.0.0.2)")).findFirst().orElseThrow())
                            + " role=registry now: " + oldHash.substring(0, 7) + " loaded/active/running");
        }
    }

    @Test
    void badInputsFailClearlyAndLeaveTheClusterAsItWas() throws IOException {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("bad.sock"), 2, 1);
             EtcdServer etcd = etcd("etcd-bad")) {
            sim.preload("demo.service", oldUnit());
            String oldHash = sim.unitHash("demo.service");
            Map<String, String> states = sim.states("demo.service");

            // no [X-Fleet]: refused before anything is sent
            String local = TEMPLATE.replace("[X-Fleet]\nGlobal=true\n", "");
            assertThatThrownBy(() -> Deployer.deploy(request(sim, etcd, local, Duration.ofSeconds(5), false, new RecordingLog())))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("units/demo.service is not a global fleet unit: add\n\n[X-Fleet]\nGlobal=true");
            assertThatThrownBy(() -> Deployer.deploy(request(sim, etcd, TEMPLATE.replace("@image@", "x"), Duration.ofSeconds(5), false, new RecordingLog())))
                    .hasMessageContaining("has no @image@ placeholder");
            // fleet reads the last Global= line (job.go IsGlobal): this unit would run on one machine
            String lastFalse = TEMPLATE.replace("Global=true\n", "Global=true\nGlobal=false\n");
            assertThatThrownBy(() -> Deployer.deploy(request(sim, etcd, lastFalse, Duration.ofSeconds(5), false, new RecordingLog())))
                    .hasMessageContaining("is not a global fleet unit").hasMessageContaining("the last Global= line counts");
            // a template: fleet stores it but never starts it
            DeployRequest base = request(sim, etcd, TEMPLATE, Duration.ofSeconds(5), false, new RecordingLog());
            DeployRequest template = new DeployRequest(base.endpoint(), base.ssh(), base.fleetSocket(), "demo@.service",
                    base.unitTemplate(), base.unitSource(), base.image(), base.window(), List.of(), base.windowTimeout(),
                    base.timeout(), base.poll(), false, base.log());
            assertThatThrownBy(() -> Deployer.deploy(template)).hasMessageContaining("'demo@.service' (from units/demo.service) "
                    + "is a template, which fleet never starts: name an instance of it, e.g. demo@1.service");
            assertThat(sim.requests()).isZero();

            // an unreachable master
            DeployRequest good = request(sim, etcd, TEMPLATE, Duration.ofSeconds(5), false, new RecordingLog());
            int closed;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                closed = s.getLocalPort();
            }
            DeployRequest unreachable = new DeployRequest(SshEndpoint.parse("core@127.0.0.1:" + closed), good.ssh(), good.fleetSocket(),
                    good.unitName(), good.unitTemplate(), good.unitSource(), good.image(), good.window(), List.of(),
                    good.windowTimeout(), good.timeout(), good.poll(), false, good.log());
            assertThatThrownBy(() -> Deployer.deploy(unreachable)).hasMessageContaining("cannot reach the master core@127.0.0.1:" + closed);

            // fleet's socket is not there: the window it opened is closed again
            DeployRequest noSocket = new DeployRequest(good.endpoint(), good.ssh(), dir.resolve("no-fleet.sock").toString(),
                    good.unitName(), good.unitTemplate(), good.unitSource(), good.image(), good.window(), List.of(),
                    good.windowTimeout(), good.timeout(), good.poll(), false, good.log());
            assertThatThrownBy(() -> Deployer.deploy(noSocket)).hasMessageContaining("no-fleet.sock")
                    .hasMessageContaining("could not open the Unix socket");
            assertThat(answers(etcd.clientPort)).isFalse();

            // a key with a wrong passphrase
            String passphrase = "the-Right-one-7";
            Path key = sshd.newKey("deploy-protected", passphrase);
            sshd.authorize(key);
            DeployRequest wrong = new DeployRequest(good.endpoint(), good.ssh().withIdentity(key, "not-" + passphrase), good.fleetSocket(),
                    good.unitName(), good.unitTemplate(), good.unitSource(), good.image(), good.window(), List.of(),
                    good.windowTimeout(), good.timeout(), good.poll(), false, good.log());
            assertThatThrownBy(() -> Deployer.deploy(wrong)).hasMessageContaining("passphrase given for the SSH key " + key + " is wrong")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(passphrase));

            assertThat(sim.requestCounts().keySet()).allMatch(k -> k.startsWith("GET "));
            assertThat(sim.unitHash("demo.service")).isEqualTo(oldHash);
            assertThat(sim.states("demo.service")).isEqualTo(states);
        }
    }

    @Test
    void aUnitWithMachineMetadataIsAwaitedOnlyOnTheMachinesWhoseMetadataMatch() {
        List<Map<String, String>> metadata = List.of(Map.of("role", "registry"), Map.of("role", "web"), Map.of("role", "db"),
                Map.of("role", "web", "disk", "ssd"));
        // Global=yes is global for fleet (true, yes, 1, on, t)
        String web = TEMPLATE.replace("Global=true\n", "Global=yes\nMachineMetadata=\"role=web\" \"role=api\"\n");
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("md.sock"), metadata, 20)) {
            sim.preload("demo.service", oldUnit());
            RecordingLog log = new RecordingLog();
            DeployResult result = Deployer.deploy(request(sim, null, web, Duration.ofSeconds(20), false, log));

            String hash = sim.unitHash("demo.service");
            assertThat(result.hash()).isEqualTo(hash);
            assertThat(result.machines()).extracting(Machine::metadata)
                    .containsExactlyInAnyOrder(Map.of("role", "web"), Map.of("role", "web", "disk", "ssd"));
            assertThat(sim.states("demo.service")).containsOnlyKeys(result.machines().stream().map(Machine::id).toList())
                    .allSatisfy((m, s) -> assertThat(s).isEqualTo(hash + " loaded/active/running"));
            assertThat(log.lines("INFO")).anyMatch(l -> l.startsWith("INFO Deploy demo.service " + hash.substring(0, 7)
                    + " to 2 of 4 machine(s) (those with role=web|api, as the unit's MachineMetadata asks) through "))
                    .anyMatch(l -> l.equals("INFO demo.service " + hash.substring(0, 7) + ": 2/2 machines running"));

            // metadata no machine has: refused before anything changes
            int puts = sim.requestCounts().getOrDefault("PUT units/NAME", 0);
            String gpu = TEMPLATE.replace("Global=true\n", "Global=true\nMachineMetadata=role=gpu\n");
            assertThatThrownBy(() -> Deployer.deploy(request(sim, null, gpu, Duration.ofSeconds(20), false, new RecordingLog())))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("units/demo.service asks for machines with metadata role=gpu ([X-Fleet] MachineMetadata), "
                            + "but none of the 4 machines fleet lists has it");
            assertThat(sim.requestCounts().getOrDefault("PUT units/NAME", 0)).isEqualTo(puts);
            assertThat(sim.unitHash("demo.service")).isEqualTo(hash);
        }
    }

    @Test
    void aMachineStillReportingTheOldUnitCountsAsNotRunningTheNewOneYet() {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("lag.sock"), 3, 30)) {
            sim.preload("demo.service", oldUnit());
            String oldHash = sim.unitHash("demo.service");
            // this machine's agent notices the destroy and the new unit 100 steps (3 s) late
            String slow = sim.machineIds().get(2);
            sim.setLag(slow, 100);
            RecordingLog log = new RecordingLog();
            DeployResult result = Deployer.deploy(request(sim, null, TEMPLATE, Duration.ofSeconds(60), false, log));

            String newHash = sim.unitHash("demo.service");
            assertThat(result.changed()).isTrue();
            assertThat(sim.states("demo.service")).hasSize(3).allSatisfy((m, s) -> assertThat(s).isEqualTo(newHash + " loaded/active/running"));
            assertThat(log.lines("INFO")).contains("INFO   " + sim.describe(slow) + ": still " + oldHash.substring(0, 7)
                    + " loaded/active/running");
        }
    }

    @Test
    void aThousandMachinesCostRequestsPerPageNotPerMachine() {
        try (FleetSimulator sim = FleetSimulator.start(dir.resolve("scale.sock"), 1000, 25)) {
            sim.preload("demo.service", oldUnit());
            RecordingLog log = new RecordingLog();
            DeployRequest r = request(sim, null, TEMPLATE, Duration.ofSeconds(120), false, log);
            DeployRequest slowerPoll = new DeployRequest(r.endpoint(), r.ssh(), r.fleetSocket(), r.unitName(), r.unitTemplate(),
                    r.unitSource(), r.image(), r.window(), List.of(), r.windowTimeout(), r.timeout(), Duration.ofMillis(200), false, log);
            long start = System.nanoTime();
            DeployResult result = Deployer.deploy(slowerPoll);
            long millis = (System.nanoTime() - start) / 1_000_000;
            Map<String, Integer> counts = sim.requestCounts();
            System.out.println("deploy to 1,000 simulated machines: " + millis + " ms, " + sim.requests() + " requests " + counts);
            assertThat(result.machines()).hasSize(1000);
            assertThat(sim.states("demo.service").values()).hasSize(1000).allMatch(s -> s.startsWith(result.hash() + " loaded/active/running"));
            // each look reads 11 pages of machines and 11 of unit states (10 full pages of 100, and the empty page
            // fleet's token leads to after a full last one); plus GET, DELETE and PUT of the unit
            int machinePages = counts.get("GET machines");
            int statePages = counts.get("GET state");
            assertThat(machinePages % 11).isZero();
            int rounds = machinePages / 11;
            assertThat(statePages).isEqualTo(rounds * 11);
            assertThat(sim.requests()).isEqualTo(rounds * 22 + 3).isEqualTo(result.requests());
            // per-machine progress goes to debug above 50 machines: info stays readable
            assertThat(log.lines("INFO").size()).isLessThan(100);
        }
    }
}
