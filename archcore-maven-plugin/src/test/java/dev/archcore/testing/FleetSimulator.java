package dev.archcore.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.archcore.cluster.UnitOption;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fleet's API v1 as fleet 1.0.0 serves it on {@code /var/run/fleet.sock}, here on a Unix socket of the tests'
 * choosing. fleet itself cannot run here; this follows its code (api/units.go, machines.go, state.go, mux.go,
 * client/registry.go, registry/job.go, job/job.go, agent/reconcile.go and state.go, unit/unit.go) and the go-systemd
 * unit package it vendors ({@link GoSystemdUnit}: the simulator parses and hashes units itself, never with
 * archcore's code):
 * <ul>
 * <li>{@code PUT /units/{name}}: 415 without one {@code Content-Type: application/json}; 400 for a body that does
 * not decode, a name differing from the path or one fleet refuses (up to 256 characters, a known type, templates
 * only of path/service/socket/target/timer). A new unit: 409 without options, 400 for options fleet refuses (the
 * 2048-byte line check of go-systemd's Deserialize; MachineID with MachineOf, Conflicts, Global or Replaces; Global
 * with MachineOf or Replaces; Conflicts with Replaces; a MachineOf that a Conflicts or Replaces glob matches), else
 * 201. An existing unit sent with options that hash differently is replaced, unchecked, like a new one (201,
 * {@code CreateUnit} with PrevIgnore); otherwise 409 without desiredState, 400 when it would activate a template,
 * else 204 with the desired state stored as sent. On create an empty desiredState means inactive and an unknown one
 * is a 500; stored through the update path, an unknown one makes the unit unreadable (GET/DELETE 500, left out of
 * lists and by the agents), as in fleet.</li>
 * <li>{@code DELETE}: 404 {@code unit does not exist}, else 204. {@code GET /units/{name}}: 404 or the unit (a global
 * unit has no currentState or machineID).</li>
 * <li>{@code /machines}: GET (with {@code metadata}), PATCH of metadata ops (204), 405 for anything else.</li>
 * <li>Lists page 100 items with fleet's token (base64url of little-endian uint16 limit=100, page), including its
 * quirk: a full last page still carries a token to an empty page. Bad tokens: 400.</li>
 * <li>Errors: {@code {"error":{"code":N,"message":"..."}}}. Bodies up to 2 KiB carry a Content-Length, longer
 * ones are chunked (as Go's net/http does).</li>
 * <li>A global unit ({@code Global=} true/yes/1/on/t, the last one wins) runs on every machine whose metadata match
 * its {@code MachineMetadata} and where no unit it conflicts with was placed first; another unit on one such machine
 * (the first by id; fleet's engine picks the least loaded). Each machine's agent sees the registry
 * {@code lag} steps late (0..3, or {@link #setLag}): after a unit is destroyed or replaced it goes on reporting the
 * old unit's state (old hash) until it notices. A unit it runs is reported loaded/inactive/dead, then
 * loaded/activating/start-pre, then active/running (or failed/failed on a machine told to fail units whose text
 * contains a marker); a template is never run. A silent machine never reports. Machines join and leave. What a run
 * against real fleet showed, from fleet's code: agents act at their reconciles ({@link #setReconcileSteps}) and
 * restart a unit only when its hash or state changed as they saw it ({@link #crash}); states vanish for every
 * machine when one agent unloads a unit, until republished ({@link #setRepublishSteps}); missing dependencies and
 * crash loops are relayed as systemd reports them.</li>
 * </ul>
 * Time moves in steps of {@code stepMillis}.
 */
public final class FleetSimulator implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 100;
    private static final Set<String> STATES = Set.of("inactive", "loaded", "launched");
    private static final Set<String> UNIT_TYPES = Set.of("automount", "busname", "device", "mount", "path", "scope",
            "service", "slice", "snapshot", "socket", "swap", "target", "timer");
    private static final Set<String> TEMPLATE_TYPES = Set.of("path", "service", "socket", "target", "timer");
    /** When the first machines joined and preloaded units were created: before any lag reaches back. */
    private static final long LONG_AGO = Long.MIN_VALUE / 4;
    private static final Pattern METADATA_PATH = Pattern.compile("^/([^/]+)/metadata/([A-Za-z0-9_.-]+$)");

    private final HttpServer http;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final ServerSocketChannel unix;
    public final Path socket;
    private final long stepMillis;
    private final Map<String, SimMachine> machines = new TreeMap<>();
    /** Each unit name's versions in the registry, oldest first; a null unit is a destroy. */
    private final Map<String, List<Version>> history = new TreeMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private int nextMachine;
    private long reconcileSteps = 1;
    private long republishSteps = 24;
    /** When the agents started: they republish at multiples of {@code republishSteps} from here, as fleet's tickers. */
    private final long agentsStarted = now();

    private static final class SimMachine {
        final String id;
        final String ip;
        final Map<String, String> metadata;
        final long joinedAt;
        long lagSteps;
        boolean silent;
        /** Since when units containing which marker fail: decided when an instance starts, as systemd would. */
        final TreeMap<Long, String> failMarkers = new TreeMap<>();
        String loopMarker;
        String deadMarker;
        /** unit name → when its running instance here died (its process killed). */
        final Map<String, Long> crashedAt = new HashMap<>();

        String failMarkerAt(long at) {
            Map.Entry<Long, String> e = failMarkers.floorEntry(at);
            return e == null ? null : e.getValue();
        }

        SimMachine(String id, String ip, Map<String, String> metadata, long joinedAt, long lagSteps) {
            this.id = id;
            this.ip = ip;
            this.metadata = new TreeMap<>(metadata);
            this.joinedAt = joinedAt;
            this.lagSteps = lagSteps;
        }
    }

    /** A unit as the registry holds it: its options (hashed by fleet's algorithm) and target state, as sent. */
    private record SimUnit(String name, List<UnitOption> options, String hash, String targetState) {
        static SimUnit of(String name, List<UnitOption> options, String targetState) {
            return new SimUnit(name, List.copyOf(options), GoSystemdUnit.hash(options), targetState);
        }

        SimUnit withTarget(String state) {
            return new SimUnit(name, options, hash, state);
        }

        String text() {
            return GoSystemdUnit.serialize(options);
        }

        /** registry dirToUnit: a target state that does not parse makes the unit unreadable. */
        boolean readable() {
            return STATES.contains(targetState);
        }

        Requirements requirements() {
            return Requirements.of(name, options);
        }
    }

    private record Version(long at, SimUnit unit) {
    }

    private FleetSimulator(Path socket, long stepMillis) throws IOException {
        this.socket = socket;
        this.stepMillis = stepMillis;
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        http.createContext("/", this::handle);
        http.setExecutor(executor);
        http.start();
        Files.deleteIfExists(socket);
        unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        unix.bind(UnixDomainSocketAddress.of(socket));
        Thread accept = new Thread(this::accept, "fleet-sim-accept");
        accept.setDaemon(true);
        accept.start();
    }

    /** A simulator on {@code socket} with {@code machines} machines (10.0.0.1, ...; the first has role=registry). */
    public static FleetSimulator start(Path socket, int machines, long stepMillis) {
        List<Map<String, String>> metadata = new ArrayList<>();
        for (int i = 0; i < machines; i++) {
            metadata.add(i == 0 ? Map.of("role", "registry") : Map.of());
        }
        return start(socket, metadata, stepMillis);
    }

    /** A simulator with one machine per entry, each with that metadata. */
    public static FleetSimulator start(Path socket, List<Map<String, String>> machineMetadata, long stepMillis) {
        try {
            FleetSimulator sim = new FleetSimulator(socket, stepMillis);
            for (Map<String, String> m : machineMetadata) {
                sim.join(m, LONG_AGO);
            }
            return sim;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- test controls ----

    /** A machine joins now: its agent starts the global units from now on. */
    public synchronized String addMachine(Map<String, String> metadata) {
        return join(metadata, now());
    }

    private String join(Map<String, String> metadata, long at) {
        int n = ++nextMachine;
        String id = String.format("%08x%024x", n * 2654435761L & 0xffffffffL, n);
        machines.put(id, new SimMachine(id, "10.0." + (n / 250) + "." + (n % 250 + 1), metadata, at, n % 4));
        return id;
    }

    /** {@code shortId (ip)}, as archcore prints a machine. */
    public synchronized String describe(String id) {
        return id.substring(0, 8) + " (" + machines.get(id).ip + ")";
    }

    public synchronized void removeMachine(String id) {
        machines.remove(id);
    }

    public synchronized List<String> machineIds() {
        return List.copyOf(machines.keySet());
    }

    /** The machine never reports any unit state (a hung agent). */
    public synchronized void silence(String id) {
        machines.get(id).silent = true;
    }

    /** The machine's agent sees every change of the registry {@code steps} steps late (it starts at 0..3). */
    public synchronized void setLag(String id, long steps) {
        machines.get(id).lagSteps = steps;
    }

    /**
     * On this machine, units whose text contains {@code marker} and that start from now on fail (failed/failed)
     * instead of running; null: those that start from now on run. An instance that already failed stays failed until
     * the agent starts a new one (systemd keeps the failed state).
     */
    public synchronized void failUnitsContaining(String id, String marker) {
        machines.get(id).failMarkers.put(now(), marker);
    }

    /**
     * The unit's instance running on this machine dies now (as {@code kill} would): failed/failed until the agent
     * starts the unit again, which it does only when it sees the unit change (agent/reconcile.go compares its own
     * job state and hash; a destroy and create between two of its reconciles leave it as it was).
     */
    public synchronized void crash(String id, String unit) {
        machines.get(id).crashedAt.put(unit, now());
    }

    /**
     * On this machine, units whose text contains {@code marker} crash-loop as a {@code Restart=always} unit whose
     * process exits soon does: active/running for 2 steps, then activating/auto-restart for 5, and again (fleet
     * relays what systemd reports, sampled each second: unit/generator.go).
     */
    public synchronized void crashLoopUnitsContaining(String id, String marker) {
        machines.get(id).loopMarker = marker;
    }

    /**
     * On this machine, units whose text contains {@code marker} need a unit that is missing (e.g.
     * {@code Requires=docker.service} without Docker): systemd's start job fails on the dependency and the unit
     * stays loaded/inactive/dead, never failed, which fleet reports as it is.
     */
    public synchronized void missingDependencyForUnitsContaining(String id, String marker) {
        machines.get(id).deadMarker = marker;
    }

    /**
     * Each agent reconciles (reads the registry) once every {@code steps} steps (1 by default; fleet's agent every
     * 5 s, agent/reconcile.go reconcileInterval, and on registry events). A unit destroyed and created again between
     * two of its reconciles with the same hash is, to the agent, the unit it already has: it does nothing.
     */
    public synchronized void setReconcileSteps(long steps) {
        reconcileSteps = Math.max(1, steps);
    }

    /**
     * Each agent republishes its unit states every {@code steps} steps (24 by default, as fleet's agents every 24 s
     * sampling systemd each second); 0 turns off the model of {@code RemoveUnitState} deleting every machine's state
     * of a unit when one agent unloads it.
     */
    public synchronized void setRepublishSteps(long steps) {
        republishSteps = Math.max(0, steps);
    }

    /** Puts a unit in place as if a previous deploy had run long ago (already running wherever it should). */
    public synchronized void preload(String name, List<UnitOption> options) {
        history.computeIfAbsent(name, k -> new ArrayList<>())
                .add(new Version(LONG_AGO, SimUnit.of(name, options, "launched")));
    }

    /** fleet's hash of the unit now in the registry (go-systemd Serialize, SHA-1), or null. */
    public synchronized String unitHash(String name) {
        SimUnit u = current(name);
        return u == null ? null : u.hash;
    }

    public synchronized String unitText(String name) {
        SimUnit u = current(name);
        return u == null ? null : u.text();
    }

    /** machineID → "hash load/active/sub" for one unit, as the agents report now. */
    public synchronized Map<String, String> states(String unit) {
        Map<String, String> out = new TreeMap<>();
        for (Map<String, String> s : stateList()) {
            if (s.get("name").equals(unit)) {
                out.put(s.get("machineID"), s.get("hash") + " " + s.get("systemdLoadState") + "/"
                        + s.get("systemdActiveState") + "/" + s.get("systemdSubState"));
            }
        }
        return out;
    }

    /** Requests per resource ({@code units}, {@code state}, {@code machines}, {@code units/NAME}) and method. */
    public Map<String, Integer> requestCounts() {
        Map<String, Integer> out = new TreeMap<>();
        requests.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    public int requests() {
        return requests.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    // ---- the registry ----

    private SimUnit current(String name) {
        List<Version> versions = history.get(name);
        return versions == null ? null : versions.get(versions.size() - 1).unit;
    }

    private void store(String name, SimUnit unit) {
        history.computeIfAbsent(name, k -> new ArrayList<>()).add(new Version(now(), unit));
    }

    /**
     * The first time the agent of {@code m} reconciles at or after {@code at} (in its own, lagging view). Each agent's
     * periodic timer started with its fleetd (pkg/reconcile.go), so their reconciles are spread over the period.
     */
    private long reconcileAtOrAfter(long at, SimMachine m) {
        long period = reconcileSteps * stepMillis;
        long offset = offset(m);
        return Math.floorDiv(at - offset + period - 1, period) * period + offset;
    }

    /** The last time the agent of {@code m} reconciled at or before {@code at}. */
    private long reconcileAtOrBefore(long at, SimMachine m) {
        long period = reconcileSteps * stepMillis;
        long offset = offset(m);
        return Math.floorDiv(at - offset, period) * period + offset;
    }

    private long offset(SimMachine m) {
        return (Math.floorMod(m.id.hashCode() * 7919L, reconcileSteps)) * stepMillis;
    }

    /**
     * The readable units in the registry as an agent reconciling at {@code at} sees them, sorted by name (registry
     * Units()), each with the time since when the agent has had that instance: a change that leaves hash and target
     * state as they were restarts nothing, and neither does a destroy the agent never saw (agent/reconcile.go
     * calculateTasksForUnit compares only the job state and hash it holds itself).
     */
    private List<Version> unitsAsOf(long at, SimMachine m) {
        List<Version> out = new ArrayList<>();
        for (List<Version> versions : history.values()) {
            for (int i = versions.size() - 1; i >= 0; i--) {
                Version v = versions.get(i);
                if (v.at <= at) {
                    if (v.unit != null && v.unit.readable()) {
                        // a change that leaves hash and target state as they were restarts nothing
                        long since = v.at;
                        for (int j = i - 1; j >= 0; j--) {
                            SimUnit p = versions.get(j).unit;
                            if (p == null) {
                                // unseen when no reconcile fell between the destroy and the next version
                                if (j == 0 || reconcileAtOrAfter(versions.get(j).at, m) < versions.get(j + 1).at) {
                                    break;
                                }
                                continue;
                            }
                            if (!p.hash.equals(v.unit.hash) || !p.targetState.equals(v.unit.targetState)) {
                                break;
                            }
                            since = versions.get(j).at;
                        }
                        out.add(new Version(since, v.unit));
                    }
                    break;
                }
            }
        }
        return out;
    }

    // ---- fleet's API ----

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String full = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            Map<String, String> query = query(ex.getRequestURI().getRawQuery());
            byte[] body = ex.getRequestBody().readAllBytes();
            if (!full.startsWith("/fleet/v1/")) {
                error(ex, full.equals("/fleet/v1") || full.equals("/") ? 405 : 404, null);
                return;
            }
            String path = full.substring("/fleet/v1/".length());
            String resource = path.startsWith("units/") ? "units/NAME" : path;
            requests.computeIfAbsent(method + " " + resource, k -> new AtomicInteger()).incrementAndGet();
            synchronized (this) {
                if (path.equals("units")) {
                    if (!method.equals("GET")) {
                        error(ex, 405, "only GET supported against this resource");
                        return;
                    }
                    List<JsonNode> all = new ArrayList<>();
                    for (List<Version> versions : history.values()) {
                        SimUnit u = versions.get(versions.size() - 1).unit;
                        if (u != null && u.readable()) {
                            all.add(unitJson(u));
                        }
                    }
                    page(ex, query, all, "units");
                } else if (path.startsWith("units/") && !path.endsWith("/") && path.indexOf('/', 6) < 0) {
                    String name = path.substring("units/".length());
                    switch (method) {
                        case "GET" -> {
                            SimUnit u = current(name);
                            if (u != null && !u.readable()) {
                                error(ex, 500, null);
                            } else if (u == null) {
                                error(ex, 404, "unit does not exist");
                            } else {
                                send(ex, 200, unitJson(u));
                            }
                        }
                        case "DELETE" -> {
                            SimUnit u = current(name);
                            if (u != null && !u.readable()) {
                                error(ex, 500, null);
                            } else if (u == null) {
                                error(ex, 404, "unit does not exist");
                            } else {
                                store(name, null);
                                empty(ex, 204);
                            }
                        }
                        case "PUT" -> put(ex, name, body);
                        default -> error(ex, 405, "only GET, PUT and DELETE supported against this resource");
                    }
                } else if (path.equals("state")) {
                    if (!method.equals("GET")) {
                        error(ex, 405, "only GET supported against this resource");
                        return;
                    }
                    List<JsonNode> all = new ArrayList<>();
                    for (Map<String, String> s : stateList()) {
                        if ((query.get("machineID") == null || query.get("machineID").isEmpty()
                                || query.get("machineID").equals(s.get("machineID")))
                                && (query.get("unitName") == null || query.get("unitName").isEmpty()
                                || query.get("unitName").equals(s.get("name")))) {
                            all.add(JSON.valueToTree(s));
                        }
                    }
                    page(ex, query, all, "states");
                } else if (path.equals("machines")) {
                    switch (method) {
                        case "GET" -> {
                            List<JsonNode> all = new ArrayList<>();
                            for (SimMachine m : machines.values()) {
                                ObjectNode n = JSON.createObjectNode().put("id", m.id).put("primaryIP", m.ip);
                                if (!m.metadata.isEmpty()) {
                                    n.set("metadata", JSON.valueToTree(m.metadata));
                                }
                                all.add(n);
                            }
                            page(ex, query, all, "machines");
                        }
                        case "PATCH" -> patchMachines(ex, body);
                        default -> error(ex, 405, "only GET and PATCH supported against this resource");
                    }
                } else {
                    error(ex, 404, null);
                }
            }
        }
    }

    /** api/units.go set(), step by step. */
    private void put(HttpExchange ex, String name, byte[] body) throws IOException {
        List<String> types = ex.getRequestHeaders().get("Content-Type");
        if (types == null || types.size() != 1) {
            error(ex, 415, "expected 1 Content-Type, got " + (types == null ? 0 : types.size()));
            return;
        }
        if (!types.get(0).split(";", 2)[0].trim().equals("application/json")) {
            error(ex, 415, "only acceptable Content-Type is application/json");
            return;
        }
        JsonNode su;
        List<UnitOption> options = new ArrayList<>();
        try {
            su = JSON.readTree(body);
            if (su == null || su.isNull()) {
                su = JSON.createObjectNode();
            }
            if (!su.isObject()) {
                throw new IOException("json: cannot unmarshal " + su.getNodeType().toString().toLowerCase()
                        + " into Go value of type schema.Unit");
            }
            for (String field : List.of("name", "desiredState")) {
                if (su.has(field) && !su.get(field).isTextual() && !su.get(field).isNull()) {
                    throw new IOException("json: cannot unmarshal into Go struct field Unit." + field + " of type string");
                }
            }
            JsonNode opts = su.path("options");
            if (!opts.isMissingNode() && !opts.isNull() && !opts.isArray()) {
                throw new IOException("json: cannot unmarshal into Go struct field Unit.options");
            }
            for (JsonNode o : opts) {
                if (!o.isObject() && !o.isNull()) {
                    throw new IOException("json: cannot unmarshal into Go value of type schema.UnitOption");
                }
                options.add(new UnitOption(o.path("section").asText(""), o.path("name").asText(""),
                        o.path("value").asText("")));
            }
        } catch (IOException e) {
            error(ex, 400, "unable to decode body: " + e.getMessage());
            return;
        }
        String bodyName = su.path("name").asText("");
        if (bodyName.isEmpty()) {
            bodyName = name;
        }
        if (!bodyName.equals(name)) {
            error(ex, 400, "name in URL " + goQuote(name) + " differs from unit name in request body "
                    + goQuote(bodyName));
            return;
        }
        String invalid = validateName(name);
        if (invalid != null) {
            error(ex, 400, invalid);
            return;
        }
        String desired = su.path("desiredState").asText("");
        SimUnit existing = current(name);
        if (existing != null && !existing.readable()) {
            error(ex, 500, null);
            return;
        }
        boolean newUnit = false;
        if (existing == null) {
            if (options.isEmpty()) {
                error(ex, 409, "unit does not exist and options field empty");
                return;
            }
            String bad = validateOptions(options);
            if (bad != null) {
                error(ex, 400, bad);
                return;
            }
            newUnit = true;
        } else if (!options.isEmpty()) {
            // a new version of the unit: replaced without ValidateOptions, as fleet does
            newUnit = !GoSystemdUnit.hash(options).equals(existing.hash);
        }
        if (newUnit) {
            // client/registry.go CreateUnit: no desiredState is inactive, an unknown one fails (logged, 500)
            String target = desired.isEmpty() ? "inactive" : desired;
            if (!STATES.contains(target)) {
                error(ex, 500, null);
                return;
            }
            store(name, SimUnit.of(name, options, target));
            empty(ex, 201);
            return;
        }
        if (desired.isEmpty()) {
            error(ex, 409, "must provide DesiredState to update existing unit");
            return;
        }
        if (isTemplate(name) && !desired.equals("inactive")) {
            error(ex, 400, "cannot activate template " + goQuote(name));
            return;
        }
        // SetUnitTargetState stores the state unchecked
        if (!desired.equals(existing.targetState)) {
            store(name, existing.withTarget(desired));
        }
        empty(ex, 204);
    }

    /** api/machines.go patch(): JSON-patch-like ops on machine metadata. */
    private void patchMachines(HttpExchange ex, byte[] body) throws IOException {
        JsonNode ops;
        try {
            ops = JSON.readTree(body);
            if (ops == null || !(ops.isArray() || ops.isNull())) {
                throw new IOException("json: cannot unmarshal into Go value of type []api.machineMetadataOp");
            }
        } catch (IOException e) {
            error(ex, 400, e.getMessage());
            return;
        }
        for (JsonNode op : ops) {
            String o = op.path("op").asText("");
            if (!o.equals("add") && !o.equals("remove") && !o.equals("replace")) {
                error(ex, 400, "invalid op: expect add, remove, or replace");
                return;
            }
            if (!METADATA_PATH.matcher(op.path("path").asText("")).find()) {
                error(ex, 400, "machine metadata path invalid");
                return;
            }
            if (!o.equals("remove") && op.path("value").path("value").asText("").isEmpty()) {
                error(ex, 400, "invalid value: add and replace require a value");
                return;
            }
        }
        for (JsonNode op : ops) {
            Matcher m = METADATA_PATH.matcher(op.path("path").asText(""));
            m.find();
            SimMachine machine = machines.get(m.group(1));
            if (machine != null) {
                if (op.path("op").asText().equals("remove")) {
                    machine.metadata.remove(m.group(2));
                } else {
                    machine.metadata.put(m.group(2), op.path("value").path("value").asText());
                }
            }
        }
        empty(ex, 204);
    }

    /** What every machine's agent reports now, sorted by unit name then machine id (fleet's order). */
    private List<Map<String, String>> stateList() {
        List<Map<String, String>> out = new ArrayList<>();
        long now = now();
        List<String> present = List.copyOf(machines.keySet());
        Map<String, List<Long>> unloads = new HashMap<>();
        for (SimMachine m : machines.values()) {
            if (m.silent) {
                continue;
            }
            long seen = now - m.lagSteps * stepMillis;
            List<Version> units = unitsAsOf(reconcileAtOrBefore(seen, m), m);
            // agent/reconcile.go desiredAgentState: in registry order, each unit the agent should run
            List<SimUnit> placed = new ArrayList<>();
            for (Version v : units) {
                SimUnit u = v.unit;
                Requirements req = u.requirements();
                if (req.global()) {
                    if (!req.metadataMatches(m.metadata)) {
                        continue;
                    }
                } else if (!m.id.equals(scheduledMachine(u, present))) {
                    continue;
                }
                if (placed.stream().anyMatch(p -> p.requirements().conflicts().stream().anyMatch(c -> GoPath.match(c, u.name))
                        || req.conflicts().stream().anyMatch(c -> GoPath.match(c, p.name)))) {
                    continue;
                }
                placed.add(u);
                if (u.targetState.equals("inactive") || isTemplate(u.name)) {
                    continue;
                }
                // the agent starts the instance at its first reconcile after the change
                long started = Math.max(v.at == LONG_AGO ? LONG_AGO : reconcileAtOrAfter(v.at, m), m.joinedAt);
                long steps = (seen - started) / stepMillis;
                if (steps < 0) {
                    continue;
                }
                String failMarker = m.failMarkerAt(started);
                Long crashed = m.crashedAt.get(u.name);
                String active;
                String sub;
                // since when the agent has reported this state (it publishes a state when it changes)
                long publishedAt;
                if (u.targetState.equals("loaded") || steps < 1
                        || m.deadMarker != null && u.text().contains(m.deadMarker)) {
                    active = "inactive";
                    sub = "dead";
                    publishedAt = started;
                } else if (steps < 2) {
                    active = "activating";
                    sub = "start-pre";
                    publishedAt = started + stepMillis;
                } else if (failMarker != null && u.text().contains(failMarker)
                        || crashed != null && crashed >= started && crashed <= now) {
                    active = "failed";
                    sub = "failed";
                    publishedAt = crashed != null && crashed >= started ? crashed - m.lagSteps * stepMillis
                            : started + 2 * stepMillis;
                } else if (m.loopMarker != null && u.text().contains(m.loopMarker)) {
                    long cycle = (steps - 2) / 7;
                    boolean restarting = (steps - 2) % 7 >= 2;
                    active = restarting ? "activating" : "active";
                    sub = restarting ? "auto-restart" : "running";
                    publishedAt = started + (2 + cycle * 7 + (restarting ? 2 : 0)) * stepMillis;
                } else {
                    active = "active";
                    sub = "running";
                    publishedAt = started + 2 * stepMillis;
                }
                if (republishSteps > 0 && removed(unloads.computeIfAbsent(u.name, this::unloadTimes),
                        publishedAt + m.lagSteps * stepMillis, now)) {
                    continue;
                }
                Map<String, String> s = new LinkedHashMap<>();
                s.put("name", u.name);
                s.put("hash", u.hash);
                s.put("machineID", m.id);
                s.put("systemdLoadState", "loaded");
                s.put("systemdActiveState", active);
                s.put("systemdSubState", sub);
                out.add(s);
            }
        }
        out.sort(Comparator.comparing((Map<String, String> s) -> s.get("name")).thenComparing(s -> s.get("machineID")));
        return out;
    }

    /**
     * registry/unit_state.go RemoveUnitState: when an agent unloads a unit it deletes the unit's states of every
     * machine ("TODO: deal properly with multiple states"), so a state {@code m} published before that is gone until
     * {@code m}'s agent publishes again: on a change, or when it republishes its cache (every agent_ttl*4/5, 24 s,
     * agent/unit_state.go; here every {@code republishSteps} steps).
     */
    private boolean removed(List<Long> unloadTimes, long publishedAt, long now) {
        long republish = republishSteps * stepMillis;
        long lastRepublish = agentsStarted + Math.floorDiv(now - agentsStarted, republish) * republish;
        return unloadTimes.stream().anyMatch(t -> t > publishedAt && t <= now && t > lastRepublish);
    }

    /** When each agent unloaded a version of the unit (it saw it destroyed or replaced by another hash). */
    private List<Long> unloadTimes(String name) {
        List<Version> versions = history.get(name);
        List<Long> out = new ArrayList<>();
        for (SimMachine other : machines.values()) {
            if (other.silent) {
                continue;
            }
            // the version the agent had: a destroy it never saw (no reconcile before the next version) is skipped
            SimUnit had = null;
            for (int i = 0; i < versions.size(); i++) {
                SimUnit now = versions.get(i).unit;
                if (now == null && i + 1 < versions.size()
                        && reconcileAtOrAfter(versions.get(i).at, other) >= versions.get(i + 1).at) {
                    continue;
                }
                if (had != null && had.readable() && !had.targetState.equals("inactive")
                        && had.requirements().metadataMatches(other.metadata)
                        && (now == null || !now.hash.equals(had.hash))) {
                    out.add(reconcileAtOrAfter(versions.get(i).at, other) + other.lagSteps * stepMillis);
                }
                had = now;
            }
        }
        return out.stream().distinct().toList();
    }

    /** The one machine a non-global unit runs on: its MachineID, else the first (by id) whose metadata match. */
    private String scheduledMachine(SimUnit u, List<String> present) {
        Requirements req = u.requirements();
        for (String id : present) {
            if ((req.machineId() == null || req.machineId().equals(id)) && req.metadataMatches(machines.get(id).metadata)) {
                return id;
            }
        }
        return null;
    }

    private ObjectNode unitJson(SimUnit u) {
        ObjectNode n = JSON.createObjectNode();
        if (!u.requirements().global()) {
            String machine = scheduledMachine(u, List.copyOf(machines.keySet()));
            if (machine != null) {
                n.put("currentState", u.targetState);
                n.put("machineID", machine);
            }
        }
        n.put("desiredState", u.targetState);
        n.put("name", u.name);
        ArrayNode opts = n.putArray("options");
        for (UnitOption o : u.options) {
            // schema.UnitOption: every field omitempty
            ObjectNode on = opts.addObject();
            if (!o.name().isEmpty()) {
                on.put("name", o.name());
            }
            if (!o.section().isEmpty()) {
                on.put("section", o.section());
            }
            if (!o.value().isEmpty()) {
                on.put("value", o.value());
            }
        }
        if (u.options.isEmpty()) {
            n.remove("options");
        }
        return n;
    }

    private void page(HttpExchange ex, Map<String, String> query, List<JsonNode> all, String field) throws IOException {
        int pageNo = 1;
        String token = query.get("nextPageToken");
        if (token != null) {
            byte[] raw;
            try {
                raw = Base64.getUrlDecoder().decode(token);
            } catch (IllegalArgumentException e) {
                error(ex, 400, "illegal base64 data");
                return;
            }
            if (raw.length < 4) {
                error(ex, 400, "unexpected EOF");
                return;
            }
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            int limit = b.getShort() & 0xffff;
            pageNo = b.getShort() & 0xffff;
            if (limit != PAGE) {
                error(ex, 400, "token limit must be " + PAGE);
                return;
            }
            if (pageNo == 0) {
                error(ex, 400, "token page must be greater than zero");
                return;
            }
        }
        ObjectNode page = JSON.createObjectNode();
        int start = (pageNo - 1) * PAGE;
        int stop = pageNo * PAGE;
        if (start < all.size()) {
            if (stop > all.size()) {
                stop = all.size();
            } else {
                ByteBuffer next = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                next.putShort((short) PAGE).putShort((short) (pageNo + 1));
                page.put("nextPageToken", Base64.getUrlEncoder().encodeToString(next.array()));
            }
            ArrayNode items = page.putArray(field);
            all.subList(start, stop).forEach(items::add);
        }
        send(ex, 200, page);
    }

    /** api/units.go ValidateName (systemd's unit_name_is_valid). */
    private static String validateName(String name) {
        if (name.isEmpty()) {
            return "unit name cannot be empty";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > 256) {
            return "unit name exceeds maximum length (256)";
        }
        int dot = name.lastIndexOf('.');
        if (dot == -1) {
            return "unit name must contain \".\"";
        }
        if (dot == name.length() - 1) {
            return "unit name cannot end in \".\"";
        }
        String suffix = name.substring(dot + 1);
        if (!UNIT_TYPES.contains(suffix)) {
            return "invalid unit type: " + goQuote(suffix);
        }
        if (name.contains("@") && !TEMPLATE_TYPES.contains(suffix)) {
            return "invalid unit type for template: " + goQuote(suffix);
        }
        for (int c : name.substring(0, dot).codePoints().toArray()) {
            if (!(c < 128 && Character.isLetterOrDigit(c)) && ":-_.\\@".indexOf(c) < 0) {
                return "invalid character '" + Character.toString(c) + "' in unit name";
            }
        }
        if (name.startsWith("@")) {
            return "unit name cannot start in \"@\"";
        }
        return null;
    }

    /** unit.NewUnitNameInfo(name).IsTemplate(): an {@code @} directly before the type ({@code foo@.service}). */
    private static boolean isTemplate(String name) {
        int dot = name.lastIndexOf('.');
        int at = dot < 0 ? -1 : name.substring(0, dot).indexOf('@');
        return at >= 0 && at == dot - 1;
    }

    /**
     * api/units.go ValidateOptions: go-systemd must read back what it serialized (line length), and the X-Fleet
     * requirements must be satisfiable. Only for new units: a replacement is not checked.
     */
    private static String validateOptions(List<UnitOption> options) {
        try {
            GoSystemdUnit.deserialize(GoSystemdUnit.serialize(options));
        } catch (GoSystemdUnit.DeserializeException e) {
            return e.getMessage();
        }
        // the Job here has no name: no %n/%i substitution
        Requirements req = Requirements.of("", options);
        Set<String> conflicts = new LinkedHashSet<>(req.conflicts());
        Set<String> replaces = new LinkedHashSet<>(req.replaces());
        Set<String> peers = new LinkedHashSet<>(req.peers());
        for (String peer : peers) {
            for (String conflict : conflicts) {
                if (GoPath.match(conflict, peer)) {
                    return "unresolvable requirements: peer " + goQuote(peer) + " matches conflict " + goQuote(conflict);
                }
            }
            for (String replace : replaces) {
                if (GoPath.match(replace, peer)) {
                    return "unresolvable requirements: peer " + goQuote(peer) + " matches replace " + goQuote(replace);
                }
            }
        }
        boolean hasPeers = !peers.isEmpty();
        boolean hasConflicts = !conflicts.isEmpty();
        boolean hasReplaces = !replaces.isEmpty();
        boolean hasTarget = req.machineId() != null;
        boolean global = req.global();
        if (hasTarget && hasPeers) {
            return "MachineID cannot be used with Peers";
        } else if (hasTarget && hasConflicts) {
            return "MachineID cannot be used with Conflicts";
        } else if (hasTarget && global) {
            return "MachineID cannot be used with Global";
        } else if (hasTarget && hasReplaces) {
            return "MachineID cannot be used with Replaces";
        } else if (global && hasPeers) {
            return "Global cannot be used with Peers";
        } else if (global && hasReplaces) {
            return "Global cannot be used with Replaces";
        } else if (hasConflicts && hasReplaces) {
            return "Conflicts cannot be used with Replaces";
        }
        return null;
    }

    /** Go's {@code %q} for the strings these messages carry (printable text; quotes and backslashes escaped). */
    private static String goQuote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void error(HttpExchange ex, int code, String message) throws IOException {
        ObjectNode err = JSON.createObjectNode();
        err.putObject("error").put("code", code).put("message", message == null ? "" : message);
        send(ex, code, err);
    }

    private static void send(HttpExchange ex, int code, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        // Go's net/http: a Content-Length for small bodies, chunked beyond its 2 KiB buffer
        ex.sendResponseHeaders(code, bytes.length <= 2048 ? bytes.length : 0);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void empty(HttpExchange ex, int code) throws IOException {
        ex.sendResponseHeaders(code, -1);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.putIfAbsent(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return q;
    }

    private static long now() {
        return System.nanoTime() / 1_000_000;
    }

    // ---- the Unix socket: each connection relayed to the HTTP server ----

    private void accept() {
        while (unix.isOpen()) {
            try {
                SocketChannel client = unix.accept();
                SocketChannel upstream = SocketChannel.open(http.getAddress());
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                // closed
            }
        }
    }

    private static void pump(SocketChannel from, SocketChannel to) {
        Thread t = new Thread(() -> {
            // channel reads and writes directly: Channels' streams share the blocking lock and would deadlock
            ByteBuffer buf = ByteBuffer.allocate(32 * 1024);
            try {
                while (from.read(buf) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        to.write(buf);
                    }
                    buf.clear();
                }
            } catch (IOException e) {
                // one side went away
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                }
            }
        }, "fleet-sim-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        try {
            unix.close();
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
        }
        http.stop(0);
        executor.shutdownNow();
    }
}
