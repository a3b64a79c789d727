package dev.archcore.cluster;

import dev.archcore.util.Log;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Redeploys a global fleet unit, as {@code fleetctl destroy && fleetctl start} did, but checked: the previous unit
 * is kept, the new one must run (active/running, with its own hash) within the timeout on every machine fleet lists
 * whose metadata match the unit's {@code MachineMetadata} (those fleet's agents run it on), else the previous unit
 * is restored and the deploy fails naming the machines and their states. A machine may go on reporting the old
 * unit's state for a while after the destroy; it counts as not running the new one yet.
 * <p>
 * What fleet 1.0 itself does not say, checked against real fleet (docs/cluster.md): a unit destroyed and created
 * again with the same hash before an agent notices is, to that agent, the unit it already has, so it neither
 * restarts a failed instance nor stops reporting it; a unit whose dependency is missing stays loaded/inactive/dead
 * for ever; a crash-looping {@code Restart=always} unit is active/running between its restarts.
 */
public final class Deployer {
    /** Above this many machines, per-machine progress goes to debug and info gets one line per change of counts. */
    private static final int LOG_EACH_MACHINE = 50;
    /**
     * How long a machine must go on reporting active/running (at two polls at least) before it counts: fleet relays
     * systemd's state sampled once a second, and an app that dies in its first seconds shows activating/auto-restart
     * within this.
     */
    static final Duration SETTLE = Duration.ofSeconds(5);
    /**
     * How long the new unit may stay loaded/inactive/dead on a machine: fleet's agent starts a unit in the reconcile
     * that loads it and reconciles every 5 s, so longer means systemd refused to start it (a missing dependency).
     */
    static final Duration DEAD_GRACE = Duration.ofSeconds(10);
    /**
     * How long after a destroy every fleet agent has reconciled at least once (every 5 s, agent/reconcile.go
     * reconcileInterval; twice that for a loaded machine): a state that is gone proves nothing before, since the
     * first agent to unload a unit deletes every machine's state of it (registry/unit_state.go RemoveUnitState).
     */
    static final Duration AGENTS_RECONCILED = Duration.ofSeconds(10);

    private Deployer() {
    }

    /**
     * Deploys, and closes the update window on every path: the services handed over in {@link
     * DeployRequest#windowOpen()} and those this call starts, also when the unit is refused before connecting. Where
     * closing is impossible (the master cannot be reached), the exception says what still runs and how to stop it.
     */
    public static DeployResult deploy(DeployRequest req) {
        Log log = req.log();
        List<String> open = new ArrayList<>(req.windowOpen());
        // everything that can be checked here is checked before touching the cluster
        UnitFile unit;
        try {
            unit = UnitFile.render(req.unitTemplate(), req.image(), req.values(), req.unitSource());
            checkUnitName(req.unitName(), req.unitSource());
        } catch (ClusterException e) {
            String left = UpdateWindow.closeOrExplain(req.endpoint(), req.ssh(), req.window(), open, log);
            throw left == null ? e : new ClusterException(e.getMessage() + ". " + left, e);
        }
        ClusterConnection cluster;
        try {
            cluster = ClusterConnection.open(req.endpoint(), req.ssh(), req.fleetSocket(), log);
        } catch (ClusterException e) {
            if (!open.isEmpty()) {
                throw new ClusterException(e.getMessage() + ". The update window archcore:push opened could not be "
                        + "closed: " + UpdateWindow.leftRunning(req.endpoint(), req.window(), open), e);
            }
            throw e;
        }
        try (cluster) {
            try {
                List<UpdateWindow.Service> toOpen = req.window().stream().filter(s -> !open.contains(s.name())).toList();
                open.addAll(UpdateWindow.open(cluster.ssh(), toOpen, req.windowTimeout(), req.poll(), log));
                return run(cluster.fleet(), unit, req);
            } finally {
                UpdateWindow.close(cluster.ssh(), req.window(), open, log);
            }
        }
    }

    private static DeployResult run(FleetClient fleet, UnitFile unit, DeployRequest req) {
        Log log = req.log();
        String name = req.unitName();
        String hash = unit.hash();
        List<Machine> all = fleet.machines();
        FleetRequirements requirements = FleetRequirements.of(name, unit.options());
        List<Machine> machines = requirements.machinesFor(all);
        Optional<FleetUnit> previous = fleet.unit(name);
        Map<String, UnitState> states = byMachine(fleet.states(null, name));

        String which = machines.size() == all.size() ? "" : " of " + all.size();
        String why = machines.size() == all.size() ? "" : " (those with " + requirements.describeMetadata()
                + ", as the unit's MachineMetadata asks)";
        log.info("Deploy " + name + " " + shortHash(hash) + " to " + machines.size() + which + " machine(s)" + why
                + " through " + req.endpoint() + ", image " + req.image());
        log.info("  previous unit: " + previous.map(p -> shortHash(p.hash()) + " (" + p.desiredState() + ")").orElse("none"));
        if (req.dryRun()) {
            log.info("Dry run: nothing changes. The plan: destroy " + name + (previous.isPresent() ? " "
                    + shortHash(previous.get().hash()) : " (not there)") + ", then create and launch " + shortHash(hash)
                    + " on these machines:");
            for (Machine m : machines) {
                UnitState s = states.get(m.id());
                log.info("  " + m + " " + metadata(m) + " now: " + (s == null ? "no " + name : shortHash(s.hash()) + " "
                        + s.describe()));
            }
            log.info("The new unit:\n" + unit.serialize());
            return new DeployResult(name, hash, machines, false, fleet.requests());
        }
        if (all.isEmpty()) {
            throw new ClusterException("fleet on " + req.endpoint() + " lists no machines, so there is nothing to run "
                    + name + " on: check that fleet runs on the machines (systemctl status fleet) and reaches etcd");
        }
        if (machines.isEmpty()) {
            throw new ClusterException(req.unitSource() + " asks for machines with metadata "
                    + requirements.describeMetadata() + " ([X-Fleet] MachineMetadata), but none of the " + all.size()
                    + " machines fleet lists has it (" + all.stream().limit(10).map(m -> m + " " + metadata(m))
                    .collect(Collectors.joining("; ")) + "), so fleet would run " + name + " nowhere: fix "
                    + "MachineMetadata, or the machines' metadata (fleet's metadata= setting)");
        }
        if (previous.isPresent() && previous.get().hash().equals(hash) && "launched".equals(previous.get().desiredState())
                && machines.stream().allMatch(m -> runs(states.get(m.id()), hash))) {
            log.info(name + " " + shortHash(hash) + " already runs on all " + machines.size() + " machines: nothing to do");
            return new DeployResult(name, hash, machines, false, fleet.requests());
        }

        if (previous.isPresent()) {
            fleet.destroy(name);
            log.info("Destroyed " + name + " " + shortHash(previous.get().hash()));
        }
        // only a unit of this very hash can leave a state that reads as the new unit's (usually there is none)
        boolean sameHashReported = states.values().stream().anyMatch(s -> hash.equals(s.hash()));
        Convergence outcome = sameHashReported ? awaitGone(fleet, name, hash, req, log) : new Convergence(true, List.of(), "");
        if (outcome.ok()) {
            fleet.create(name, unit.options(), "launched");
            log.info("Created and launched " + name + " " + shortHash(hash));
            outcome = await(fleet, name, hash, requirements, req, log);
        }
        if (outcome.ok()) {
            log.info(name + " " + shortHash(hash) + " runs on all " + outcome.machines().size() + " machines");
            return new DeployResult(name, hash, outcome.machines(), true, fleet.requests());
        }

        // restore what ran before, and report both
        String restored;
        fleet.destroy(name);
        if (previous.isPresent()) {
            FleetUnit p = previous.get();
            log.warn("Rolling back: restoring " + name + " " + shortHash(p.hash()));
            Convergence back = fleet.states(null, name).stream().anyMatch(s -> p.hash().equals(s.hash()))
                    ? awaitGone(fleet, name, p.hash(), req, log) : new Convergence(true, List.of(), "");
            if (back.ok()) {
                fleet.create(name, p.options(), p.desiredState() == null ? "launched" : p.desiredState());
                back = "launched".equals(p.desiredState()) || p.desiredState() == null
                        ? await(fleet, name, p.hash(), FleetRequirements.of(name, p.options()), req, log)
                        : new Convergence(true, List.of(), "");
            }
            restored = back.ok() ? "The previous unit " + shortHash(p.hash()) + " was restored and runs on every machine again."
                    : "The previous unit " + shortHash(p.hash()) + " was restored, but it does not run everywhere either: "
                    + back.problem() + ".";
        } else {
            restored = "There was no previous unit: " + name + " was destroyed again.";
        }
        throw new ClusterException("archcore:deploy: " + name + " " + shortHash(hash) + " (image " + req.image()
                + ") did not run on every machine: " + outcome.problem() + ". " + restored
                + " Look at the unit's log on those machines (journalctl -u " + name + ").");
    }

    private record Convergence(boolean ok, List<Machine> machines, String problem) {
    }

    /**
     * After the destroy, before creating a unit with {@code hash}: waits until no machine reports a state with that
     * hash any more. fleet's agent compares only the job state and hash it holds itself (agent/reconcile.go
     * calculateTasksForUnit): a destroy and create of the same hash faster than its reconcile leave a failed instance
     * failed, and its state would read as the new unit's. Once every agent has reconciled (unloaded the unit) and no
     * state of it is left, the create starts a fresh instance. Nothing to wait for when the hash is new, the usual
     * case.
     */
    private static Convergence awaitGone(FleetClient fleet, String name, String hash, DeployRequest req, Log log) {
        long start = System.nanoTime();
        long until = start + AGENTS_RECONCILED.toNanos() + req.timeout().toNanos();
        log.info("Waiting until fleet's agents have unloaded " + name + " " + shortHash(hash) + " (at least "
                + AGENTS_RECONCILED.toSeconds() + " s) before creating it again: an agent that does not see it gone "
                + "would not restart it");
        while (true) {
            List<UnitState> left = fleet.states(null, name).stream().filter(s -> hash.equals(s.hash())).toList();
            if (left.isEmpty() && System.nanoTime() - start >= AGENTS_RECONCILED.toNanos()) {
                return new Convergence(true, List.of(), "");
            }
            if (System.nanoTime() > until) {
                return new Convergence(false, List.of(), "after " + req.timeout().toSeconds() + " s (archcore.deploy."
                        + "timeoutSeconds) " + left.size() + " machine(s) still report the destroyed " + name + " "
                        + shortHash(hash) + " (" + left.stream().limit(10).map(s -> s.machineID() + ": "
                        + s.describe()).collect(Collectors.joining("; ")) + "), so it was not created again");
            }
            UpdateWindow.sleep(req.poll());
        }
    }

    /**
     * Polls machines and unit states (each a paged list) until every machine that should run the unit (by its
     * metadata requirements) runs {@code hash}, one fails, or time is up.
     */
    private static Convergence await(FleetClient fleet, String name, String hash, FleetRequirements requirements,
                                     DeployRequest req, Log log) {
        long until = System.nanoTime() + req.timeout().toNanos();
        Duration settle = SETTLE.compareTo(req.poll().multipliedBy(2)) > 0 ? SETTLE : req.poll().multipliedBy(2);
        Duration deadGrace = DEAD_GRACE.compareTo(req.poll().multipliedBy(3)) > 0 ? DEAD_GRACE : req.poll().multipliedBy(3);
        Map<String, String> shown = new HashMap<>();
        // since when each machine has reported the new unit running, or loaded/inactive/dead, at every poll
        Map<String, Long> runningSince = new HashMap<>();
        Map<String, Long> deadSince = new HashMap<>();
        int lastDone = -1;
        while (true) {
            List<Machine> machines = requirements.machinesFor(fleet.machines());
            Map<String, UnitState> states = byMachine(fleet.states(null, name));
            long at = System.nanoTime();
            boolean each = machines.size() <= LOG_EACH_MACHINE;
            int done = 0;
            Map<Machine, String> failed = new LinkedHashMap<>();
            Map<Machine, String> pending = new LinkedHashMap<>();
            for (Machine m : machines) {
                UnitState s = states.get(m.id());
                String now = s == null ? "no state reported" : !hash.equals(s.hash())
                        ? "still " + shortHash(s.hash()) + " " + s.describe() : s.describe();
                if (!now.equals(shown.put(m.id(), now))) {
                    if (each) {
                        log.info("  " + m + ": " + now);
                    } else {
                        log.debug("  " + m + ": " + now);
                    }
                }
                boolean ours = s != null && hash.equals(s.hash());
                if (runs(s, hash)) {
                    deadSince.remove(m.id());
                    long since = runningSince.computeIfAbsent(m.id(), k -> at);
                    if (since < at && at - since >= settle.toNanos()) {
                        done++;
                    } else {
                        pending.put(m, now + ", for less than " + settle.toSeconds() + " s yet");
                    }
                    continue;
                }
                runningSince.remove(m.id());
                if (ours && s.failed()) {
                    failed.put(m, now);
                } else if (ours && "auto-restart".equals(s.systemdSubState())) {
                    // Restart=always: not failed, but its process exited and systemd starts it again
                    failed.put(m, now + " (its process exited and systemd restarts it: look at its log)");
                } else if (ours && "inactive".equals(s.systemdActiveState()) && "dead".equals(s.systemdSubState())
                        && at - deadSince.computeIfAbsent(m.id(), k -> at) >= deadGrace.toNanos()) {
                    failed.put(m, now + " for " + deadGrace.toSeconds() + " s (systemd did not start it: a unit it "
                            + "requires is probably missing or failed there, e.g. docker.service)");
                } else {
                    if (!ours || !"dead".equals(s.systemdSubState())) {
                        deadSince.remove(m.id());
                    }
                    pending.put(m, now);
                }
            }
            shown.keySet().retainAll(machines.stream().map(Machine::id).collect(Collectors.toSet()));
            if (done != lastDone) {
                log.info(name + " " + shortHash(hash) + ": " + done + "/" + machines.size() + " machines running");
                lastDone = done;
            }
            if (!failed.isEmpty()) {
                return new Convergence(false, machines, failed.size() + " of " + machines.size() + " machines failed ("
                        + list(failed) + ")" + (pending.isEmpty() ? "" : ", " + pending.size() + " not running yet ("
                        + list(pending) + ")"));
            }
            if (!machines.isEmpty() && done == machines.size()) {
                return new Convergence(true, machines, "");
            }
            if (System.nanoTime() > until) {
                return new Convergence(false, machines, "after " + req.timeout().toSeconds() + " s (archcore.deploy."
                        + "timeoutSeconds) " + pending.size() + " of " + machines.size() + " machines do not run it ("
                        + list(pending) + ")");
            }
            UpdateWindow.sleep(req.poll());
        }
    }

    private static boolean runs(UnitState s, String hash) {
        return s != null && hash.equals(s.hash()) && s.running();
    }

    private static Map<String, UnitState> byMachine(List<UnitState> states) {
        Map<String, UnitState> map = new HashMap<>();
        for (UnitState s : states) {
            map.put(s.machineID(), s);
        }
        return map;
    }

    /** Up to 10 machines with their states, then how many more. */
    private static String list(Map<Machine, String> machines) {
        String shown = machines.entrySet().stream().limit(10).map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("; "));
        return machines.size() > 10 ? shown + "; and " + (machines.size() - 10) + " more" : shown;
    }

    static String metadata(Machine m) {
        return m.metadata().isEmpty() ? "-" : m.metadata().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }

    static String shortHash(String hash) {
        return hash == null ? "-" : hash.length() > 7 ? hash.substring(0, 7) : hash;
    }

    /** fleet's (systemd's) unit name rules, checked before anything is sent. */
    static void checkUnitName(String name, String source) {
        if (name == null || !name.matches("[A-Za-z0-9:_.\\\\@-]+\\.(service|socket|timer|path|target|mount|automount)")
                || name.startsWith("@") || name.length() > 256
                || name.contains("@") && !name.matches(".*\\.(service|socket|timer|path|target)")) {
            throw new ClusterException("'" + name + "' (from " + source + ") is not a unit name fleet accepts: up to "
                    + "256 letters, digits and :-_.\\@, ending in .service (or another unit type)");
        }
        if (name.indexOf('@') == name.lastIndexOf('.') - 1) {
            // fleet stores a template but never starts it (api/units.go: "cannot activate template")
            throw new ClusterException("'" + name + "' (from " + source + ") is a template, which fleet never starts: "
                    + "name an instance of it, e.g. " + name.replace("@.", "@1."));
        }
    }
}
