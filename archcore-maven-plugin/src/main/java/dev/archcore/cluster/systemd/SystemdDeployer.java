package dev.archcore.cluster.systemd;

import dev.archcore.cluster.ClusterException;
import dev.archcore.util.Log;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The systemd target: the app's image and unit on every node over SSH, no fleet, etcd, Docker or registry. Each node
 * is reached over its own SSH connection, many at a time (a bounded pool); the image goes to the nodes that lack it
 * before any unit changes; then, batch after batch, the unit is written, systemd reloaded and the unit restarted,
 * until each node's unit is active/running and the app answers on its port. When a node fails or time is up, every
 * node changed so far gets its previous unit back (its image is still there) and the deploy fails naming the node
 * and its journal.
 */
public final class SystemdDeployer {
    /** Above this many nodes, per-node progress goes to debug and info gets counts. */
    private static final int LOG_EACH_NODE = 50;
    private static final int JOURNAL_LINES = 15;

    private SystemdDeployer() {
    }

    /** What a node had before the deploy. */
    private record Before(String unit, boolean hasImage, Map<String, String> props) {
    }

    public static SystemdDeployResult deploy(SystemdDeployRequest req) {
        Log log = req.log();
        String unitText = SystemdUnit.render(req.app(), req.image(), req.appPort());
        String unit = SystemdUnit.unitName(req.app());
        if (new java.util.HashSet<>(req.nodes()).size() != req.nodes().size()) {
            throw new ClusterException("the node list names a node twice: " + req.nodes());
        }
        if (req.nodes().isEmpty()) {
            throw new ClusterException("no nodes to deploy " + unit + " to: list them in archcore.deploy.nodes "
                    + "(user@host:port,...), or run archcore:provision first (target/archcore/nodes.json)");
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(req.parallel(), req.nodes().size()), r -> {
            Thread t = new Thread(r, "archcore-node");
            t.setDaemon(true);
            return t;
        });
        List<NodeShell> shells = new ArrayList<>();
        try {
            Map<Node, Outcome<NodeShell>> connected = each(pool, req.nodes(), n -> NodeShell.connect(n, req.timeout(), log));
            connected.values().stream().filter(o -> o.value != null).forEach(o -> shells.add(o.value));
            failIfAny(connected, "could not be reached over SSH", "Nothing was changed.");
            log.info("Connected to " + shells.size() + " node(s) over SSH");
            return run(pool, shells, unitText, req);
        } finally {
            shells.forEach(NodeShell::close);
            pool.shutdownNow();
        }
    }

    private static SystemdDeployResult run(ExecutorService pool, List<NodeShell> shells, String unitText,
                                           SystemdDeployRequest req) {
        Log log = req.log();
        String app = req.app();
        String unit = SystemdUnit.unitName(app);
        AppImage image = req.image();
        Map<NodeShell, Outcome<Before>> read = each(pool, shells, s -> new Before(s.readUnit(app), s.hasImage(app, image), s.show(app)));
        failIfAny(read, "could not be read", "Nothing was changed.");
        Map<NodeShell, Before> before = new LinkedHashMap<>();
        read.forEach((s, o) -> before.put(s, o.value));

        List<NodeShell> todo = shells.stream().filter(s -> !(unitText.equals(before.get(s).unit())
                && running(before.get(s).props()))).toList();
        List<NodeShell> send = shells.stream().filter(s -> !before.get(s).hasImage()).toList();
        List<Node> nodes = shells.stream().map(NodeShell::node).toList();
        log.info("Deploy " + unit + " (image " + image.manifestDigest() + ", " + image.layers().size() + " layer(s), "
                + mib(image.totalSize()) + ") to " + shells.size() + " node(s) over SSH"
                + (req.batch() > 0 && req.batch() < todo.size() ? ", " + req.batch() + " at a time" : ""));

        if (req.dryRun()) {
            log.info("Dry run: nothing changes. The plan: send the image to " + send.size() + " node(s), write "
                    + SystemdUnit.path(app) + ", systemctl daemon-reload, enable and restart " + unit + " on "
                    + todo.size() + " node(s)" + (req.batch() > 0 && req.batch() < todo.size() ? " in batches of "
                    + req.batch() : "") + ":");
            for (NodeShell s : shells) {
                Before b = before.get(s);
                log.info("  " + s.node() + " now: " + describe(b.props()) + ", unit "
                        + (b.unit() == null ? "none" : unitText.equals(b.unit()) ? "the same" : "another (image "
                        + SystemdUnit.imageDir(b.unit()) + ")") + ", image " + (b.hasImage() ? "there" : "to send")
                        + (todo.contains(s) ? "" : ": unchanged"));
            }
            log.info("The new unit:\n" + unitText);
            return new SystemdDeployResult(unit, image.manifestDigest(), nodes, List.of(), List.of());
        }
        if (todo.isEmpty()) {
            log.info(unit + " of image " + image.manifestDigest() + " already runs on all " + shells.size()
                    + " nodes: nothing to do");
            return new SystemdDeployResult(unit, image.manifestDigest(), nodes, List.of(), List.of());
        }

        // the image first, everywhere: until a unit changes, a failure here leaves every node as it was
        List<NodeShell> toSend = send.stream().filter(todo::contains).toList();
        if (!toSend.isEmpty()) {
            log.info("Sending the image to " + toSend.size() + " node(s) (" + mib(image.totalSize()) + " each; "
                    + (todo.size() - toSend.size()) + " have it)");
            failIfAny(each(pool, toSend, s -> {
                s.receiveImage(app, image, log);
                return Boolean.TRUE;
            }), "did not receive the image", "No unit was changed.");
        }

        int size = req.batch() > 0 ? req.batch() : todo.size();
        List<NodeShell> changed = new ArrayList<>();
        for (int from = 0; from < todo.size(); from += size) {
            List<NodeShell> batch = todo.subList(from, Math.min(todo.size(), from + size));
            if (size < todo.size()) {
                log.info("Batch " + (from / size + 1) + " of " + ((todo.size() + size - 1) / size) + ": "
                        + batch.stream().map(s -> s.node().toString()).collect(Collectors.joining(", ")));
            }
            Map<NodeShell, Outcome<Boolean>> installed = each(pool, batch, s -> {
                s.install(app, unitText);
                return Boolean.TRUE;
            });
            // a node where writing failed half-way may have the new unit: it is restored too
            changed.addAll(batch);
            String problem = problems(installed, "could not switch");
            Convergence outcome = problem != null ? new Convergence(List.of(), problem)
                    : await(pool, batch, req, "new " + unit, s -> req.appPort());
            if (outcome.failed() != null) {
                // the journal before the rollback restarts the unit: it shows why the new one failed
                String journals = outcome.journalOf().stream().limit(3).map(s -> "The journal of " + unit + " on "
                        + s.node() + ":\n" + s.journal(app, JOURNAL_LINES)).collect(Collectors.joining("\n"));
                String restored = rollback(pool, changed, before, req);
                throw new ClusterException("archcore:deploy: " + unit + " (image " + image.manifestDigest()
                        + ") did not run on every node: " + outcome.failed() + ". " + restored
                        + (journals.isEmpty() ? "" : "\n" + journals));
            }
            log.info(unit + ": " + changed.size() + "/" + todo.size() + " node(s) switched and answering");
        }

        // keep the image now running and the one before it (for a rollback by hand); remove older ones
        each(pool, todo, s -> {
            List<String> keep = new ArrayList<>(List.of(image.dirName()));
            String previous = SystemdUnit.imageDir(before.get(s).unit());
            if (previous != null) {
                keep.add(previous);
            }
            List<String> removed = s.prune(app, keep);
            if (!removed.isEmpty()) {
                log.debug("  " + s.node() + ": removed old image(s) " + removed);
            }
            return Boolean.TRUE;
        }).forEach((s, o) -> {
            if (o.error != null) {
                log.warn("could not remove old images on " + s.node() + ": " + o.error.getMessage());
            }
        });
        log.info(unit + " of image " + image.manifestDigest() + " runs on all " + shells.size() + " node(s) ("
                + todo.size() + " switched)");
        return new SystemdDeployResult(unit, image.manifestDigest(), nodes,
                todo.stream().map(NodeShell::node).toList(), toSend.stream().map(NodeShell::node).toList());
    }

    /** Puts the previous unit back on every node in {@code changed} (or removes the unit where there was none). */
    private static String rollback(ExecutorService pool, List<NodeShell> changed, Map<NodeShell, Before> before,
                                   SystemdDeployRequest req) {
        Log log = req.log();
        String app = req.app();
        log.warn("Rolling back " + changed.size() + " node(s) to their previous " + SystemdUnit.unitName(app));
        Map<NodeShell, Outcome<Boolean>> undone = each(pool, changed, s -> {
            String previous = before.get(s).unit();
            if (previous == null) {
                s.remove(app);
            } else {
                s.install(app, previous);
            }
            return Boolean.TRUE;
        });
        String problem = problems(undone, "could not be rolled back");
        // those that ran it before must run it again
        List<NodeShell> wereRunning = changed.stream().filter(s -> undone.get(s).error == null
                && before.get(s).unit() != null && running(before.get(s).props())).toList();
        Convergence back = wereRunning.isEmpty() ? new Convergence(List.of(), null)
                : await(pool, wereRunning, req, "previous " + SystemdUnit.unitName(app),
                s -> SystemdUnit.appPort(before.get(s).unit()));
        long removed = changed.stream().filter(s -> before.get(s).unit() == null).count();
        if (problem == null && back.failed() == null) {
            return "The previous unit was restored on the " + changed.size() + " node(s) the deploy had changed"
                    + (wereRunning.isEmpty() ? "" : " and runs on " + wereRunning.size() + " again")
                    + (removed == 0 ? "" : " (" + removed + " had none: the unit was removed there)") + ".";
        }
        return "Rolling back the " + changed.size() + " node(s) the deploy had changed did not succeed everywhere: "
                + (problem == null ? "" : problem + "; ") + (back.failed() == null ? "" : "the previous unit " + back.failed())
                + ". Look at those nodes (systemctl status " + SystemdUnit.unitName(app) + ").";
    }

    /**
     * @param failed    why the batch did not converge, or null when every node runs it and answers
     * @param journalOf the nodes whose journal explains it
     */
    private record Convergence(List<NodeShell> journalOf, String failed) {
    }

    /**
     * Polls the nodes until each runs the unit and the app answers on its port (when {@code port} gives one: a unit
     * archcore did not write may name none), one fails, or time is up.
     */
    private static Convergence await(ExecutorService pool, List<NodeShell> batch, SystemdDeployRequest req, String what,
                                     Function<NodeShell, Integer> port) {
        Log log = req.log();
        String app = req.app();
        long until = System.nanoTime() + req.timeout().toNanos();
        boolean each = batch.size() <= LOG_EACH_NODE;
        Map<NodeShell, String> shown = new HashMap<>();
        // the main process that answered at the last poll: done only when the same one still runs, so an app that
        // exits at once (its port taken by another process, which answers instead) is not taken for running
        Map<NodeShell, String> answered = new java.util.concurrent.ConcurrentHashMap<>();
        List<NodeShell> pending = new ArrayList<>(batch);
        int lastDone = -1;
        while (true) {
            Map<NodeShell, Outcome<String[]>> polled = each(pool, pending, s -> {
                Map<String, String> props = s.show(app);
                if (failed(props)) {
                    return new String[]{"failed", describe(props)};
                }
                if (running(props)) {
                    Integer p = port.apply(s);
                    String status = p == null ? "" : s.httpStatus(p);
                    if (status == null) {
                        answered.remove(s);
                        return new String[]{"pending", describe(props) + ", nothing answers on port " + p + " yet"};
                    }
                    String pid = props.getOrDefault("MainPID", "");
                    String was = answered.put(s, pid);
                    return new String[]{pid.equals(was) ? "done" : "pending", describe(props)
                            + (p == null ? "" : ", port " + p + " answers " + status)};
                }
                answered.remove(s);
                return new String[]{"pending", describe(props)};
            });
            Map<NodeShell, String> failed = new LinkedHashMap<>();
            Map<NodeShell, String> waiting = new LinkedHashMap<>();
            polled.forEach((s, o) -> {
                String[] r = o.error != null ? new String[]{"failed", o.error.getMessage()} : o.value;
                if (!r[1].equals(shown.put(s, r[1]))) {
                    String line = "  " + s.node() + ": " + r[1];
                    if (each) {
                        log.info(line);
                    } else {
                        log.debug(line);
                    }
                }
                if (r[0].equals("failed")) {
                    failed.put(s, r[1]);
                } else if (r[0].equals("pending")) {
                    waiting.put(s, r[1]);
                }
            });
            pending.retainAll(waiting.keySet());
            int done = batch.size() - pending.size() - failed.size();
            if (done != lastDone) {
                log.info(what + ": " + done + "/" + batch.size() + " node(s) running and answering");
                lastDone = done;
            }
            if (!failed.isEmpty()) {
                return new Convergence(new ArrayList<>(failed.keySet()), failed.size() + " of " + batch.size()
                        + " node(s) failed (" + list(failed) + ")" + (waiting.isEmpty() ? "" : ", " + waiting.size()
                        + " not running yet (" + list(waiting) + ")"));
            }
            if (pending.isEmpty()) {
                return new Convergence(List.of(), null);
            }
            if (System.nanoTime() > until) {
                return new Convergence(new ArrayList<>(waiting.keySet()), "after " + req.timeout().toSeconds()
                        + " s (archcore.deploy.timeoutSeconds) " + waiting.size() + " of " + batch.size()
                        + " node(s) do not run it (" + list(waiting) + ")");
            }
            try {
                Thread.sleep(req.poll().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterException("interrupted", e);
            }
        }
    }

    static boolean running(Map<String, String> props) {
        return "active".equals(props.get("ActiveState")) && "running".equals(props.get("SubState"));
    }

    /**
     * Failed, or restarting: with {@code Restart=always} an app that exits is restarted rather than left failed, so
     * a restart since the deploy's own (NRestarts counts only systemd's) is a failure too.
     */
    static boolean failed(Map<String, String> props) {
        return "failed".equals(props.get("ActiveState")) || "auto-restart".equals(props.get("SubState"))
                || !"0".equals(props.getOrDefault("NRestarts", "0"));
    }

    /** {@code load/active/sub}, plus restarts and the result when they tell something. */
    static String describe(Map<String, String> props) {
        String s = props.getOrDefault("LoadState", "?") + "/" + props.getOrDefault("ActiveState", "?") + "/"
                + props.getOrDefault("SubState", "?");
        String restarts = props.getOrDefault("NRestarts", "0");
        if (!"0".equals(restarts)) {
            s += ", restarted " + restarts + " time(s)";
        }
        String result = props.getOrDefault("Result", "success");
        if (!"success".equals(result) && !result.isEmpty()) {
            s += ", result " + result + (props.getOrDefault("ExecMainStatus", "0").equals("0") ? ""
                    : " (exit status " + props.get("ExecMainStatus") + ")");
        }
        return s;
    }

    private static String list(Map<NodeShell, String> nodes) {
        String shown = nodes.entrySet().stream().limit(10).map(e -> e.getKey().node() + ": " + e.getValue())
                .collect(Collectors.joining("; "));
        return nodes.size() > 10 ? shown + "; and " + (nodes.size() - 10) + " more" : shown;
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** A value or the exception one node's step ended with. */
    record Outcome<T>(T value, RuntimeException error) {
    }

    /** Runs {@code step} for every item on the pool and waits for all; results in the items' order. */
    static <K, T> Map<K, Outcome<T>> each(ExecutorService pool, Collection<K> items, Function<K, T> step) {
        Map<K, Future<T>> futures = new LinkedHashMap<>();
        for (K item : items) {
            futures.put(item, pool.submit(() -> step.apply(item)));
        }
        Map<K, Outcome<T>> results = new LinkedHashMap<>();
        for (Map.Entry<K, Future<T>> f : futures.entrySet()) {
            try {
                results.put(f.getKey(), new Outcome<>(f.getValue().get(), null));
            } catch (ExecutionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r
                        : new ClusterException(String.valueOf(e.getCause()), e.getCause());
                results.put(f.getKey(), new Outcome<>(null, cause));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterException("interrupted", e);
            }
        }
        return results;
    }

    /** "2 node(s) could not ...: a: why; b: why", or null when every step succeeded. */
    private static <K, T> String problems(Map<K, Outcome<T>> results, String what) {
        List<String> failed = new ArrayList<>();
        results.forEach((k, o) -> {
            if (o.error != null) {
                failed.add((k instanceof NodeShell s ? s.node().toString() : k.toString()) + ": " + o.error.getMessage());
            }
        });
        if (failed.isEmpty()) {
            return null;
        }
        return failed.size() + " node(s) " + what + " (" + String.join("; ", failed.subList(0, Math.min(10, failed.size())))
                + (failed.size() > 10 ? "; and " + (failed.size() - 10) + " more" : "") + ")";
    }

    private static <K, T> void failIfAny(Map<K, Outcome<T>> results, String what, String state) {
        String problem = problems(results, what);
        if (problem != null) {
            throw new ClusterException("archcore:deploy: " + problem + ". " + state);
        }
    }
}
