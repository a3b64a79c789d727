package dev.archcore.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.archcore.cluster.UnitFile;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * fleet's API v1 as fleet 1.0 serves it on {@code /var/run/fleet.sock} (api/units.go, state.go, machines.go,
 * pagination.go, serialization.go), here on a Unix socket of the tests' choosing. fleet itself cannot run here;
 * this follows its code:
 * <ul>
 * <li>{@code PUT /units/{name}}: 415 without {@code Content-Type: application/json}, 400 for a body that does not
 * decode, a name differing from the path or an invalid unit name or options (Global with Conflicts, MachineOf or
 * MachineID); for a new unit 409 without options, else 201; for an existing one 409 without desiredState, else 204.
 * {@code DELETE}: 404 {@code unit does not exist}, else 204. {@code GET /units/{name}}: 404 or the unit.</li>
 * <li>Lists page 100 items with fleet's token (base64url of little-endian uint16 limit=100, page), including its
 * quirk: a full last page still carries a token to an empty page. Bad tokens: 400.</li>
 * <li>Errors: {@code {"error":{"code":N,"message":"..."}}}. Bodies up to 2 KiB carry a Content-Length, longer
 * ones are chunked (as Go's net/http does).</li>
 * <li>A global unit is scheduled to every machine; each machine's agent reports it after its own delay:
 * loaded/inactive/dead, then loaded/activating/start-pre, then active/running (or failed/failed on a machine
 * told to fail units whose text contains a marker). A silent machine never reports. Machines join and leave.</li>
 * </ul>
 * Time moves in steps of {@code stepMillis}; each machine adds its own 0..3 steps of delay.
 */
public final class FleetSimulator implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 100;
    private static final Set<String> STATES = Set.of("inactive", "loaded", "launched");

    private final HttpServer http;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final ServerSocketChannel unix;
    public final Path socket;
    private final long stepMillis;
    private final Map<String, SimMachine> machines = new TreeMap<>();
    private final Map<String, SimUnit> units = new TreeMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private int nextMachine;

    private static final class SimMachine {
        final String id;
        final String ip;
        final Map<String, String> metadata;
        final long joinedAt;
        final long delaySteps;
        boolean silent;
        String failMarker;

        SimMachine(String id, String ip, Map<String, String> metadata, long joinedAt, long delaySteps) {
            this.id = id;
            this.ip = ip;
            this.metadata = metadata;
            this.joinedAt = joinedAt;
            this.delaySteps = delaySteps;
        }
    }

    private static final class SimUnit {
        final String name;
        final List<UnitOption> options;
        final String hash;
        String desiredState;
        long changedAt;

        SimUnit(String name, List<UnitOption> options, String desiredState, long now) {
            this.name = name;
            this.options = options;
            this.hash = UnitFile.hash(options);
            this.desiredState = desiredState;
            this.changedAt = now;
        }

        String text() {
            return new UnitFile(options).serialize();
        }
    }

    private FleetSimulator(Path socket, long stepMillis) throws IOException {
        this.socket = socket;
        this.stepMillis = stepMillis;
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        http.createContext("/fleet/v1/", this::handle);
        http.setExecutor(executor);
        http.start();
        Files.deleteIfExists(socket);
        unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        unix.bind(UnixDomainSocketAddress.of(socket));
        Thread accept = new Thread(this::accept, "fleet-sim-accept");
        accept.setDaemon(true);
        accept.start();
    }

    /** A simulator on {@code socket} with {@code machines} machines (10.0.0.1, ...). */
    public static FleetSimulator start(Path socket, int machines, long stepMillis) {
        try {
            FleetSimulator sim = new FleetSimulator(socket, stepMillis);
            for (int i = 0; i < machines; i++) {
                sim.join(i == 0 ? Map.of("role", "registry") : Map.of(), now() - 100 * stepMillis);
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
        machines.put(id, new SimMachine(id, "10.0." + (n / 250) + "." + (n % 250 + 1), Map.copyOf(metadata), at, n % 4));
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

    /** On this machine, units whose text contains {@code marker} fail (failed/failed) instead of running. */
    public synchronized void failUnitsContaining(String id, String marker) {
        machines.get(id).failMarker = marker;
    }

    /** Puts a unit in place as if a previous deploy had run long ago (already running everywhere). */
    public synchronized void preload(String name, List<UnitOption> options) {
        units.put(name, new SimUnit(name, options, "launched", now() - 100 * stepMillis));
    }

    public synchronized String unitHash(String name) {
        SimUnit u = units.get(name);
        return u == null ? null : u.hash;
    }

    public synchronized String unitText(String name) {
        SimUnit u = units.get(name);
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

    // ---- fleet's API ----

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath().substring("/fleet/v1/".length());
            String method = ex.getRequestMethod();
            Map<String, String> query = query(ex.getRequestURI().getRawQuery());
            String resource = path.startsWith("units/") ? "units/NAME" : path;
            requests.computeIfAbsent(method + " " + resource, k -> new AtomicInteger()).incrementAndGet();
            byte[] body = ex.getRequestBody().readAllBytes();
            synchronized (this) {
                if (path.equals("units")) {
                    if (!method.equals("GET")) {
                        error(ex, 405, "only GET supported against this resource");
                        return;
                    }
                    List<JsonNode> all = new ArrayList<>();
                    units.values().forEach(u -> all.add(unitJson(u)));
                    page(ex, query, all, "units");
                } else if (path.startsWith("units/")) {
                    String name = URLDecoder.decode(path.substring("units/".length()), StandardCharsets.UTF_8);
                    switch (method) {
                        case "GET" -> {
                            SimUnit u = units.get(name);
                            if (u == null) {
                                error(ex, 404, "unit does not exist");
                            } else {
                                send(ex, 200, unitJson(u));
                            }
                        }
                        case "DELETE" -> {
                            if (units.remove(name) == null) {
                                error(ex, 404, "unit does not exist");
                            } else {
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
                        if ((query.get("machineID") == null || query.get("machineID").equals(s.get("machineID")))
                                && (query.get("unitName") == null || query.get("unitName").equals(s.get("name")))) {
                            all.add(JSON.valueToTree(s));
                        }
                    }
                    page(ex, query, all, "states");
                } else if (path.equals("machines")) {
                    if (!method.equals("GET")) {
                        error(ex, 400, "only HTTP GET supported against this resource");
                        return;
                    }
                    List<JsonNode> all = new ArrayList<>();
                    for (SimMachine m : machines.values()) {
                        ObjectNode n = JSON.createObjectNode().put("id", m.id).put("primaryIP", m.ip);
                        if (!m.metadata.isEmpty()) {
                            n.set("metadata", JSON.valueToTree(m.metadata));
                        }
                        all.add(n);
                    }
                    page(ex, query, all, "machines");
                } else {
                    error(ex, 404, null);
                }
            }
        }
    }

    private void put(HttpExchange ex, String name, byte[] body) throws IOException {
        List<String> types = ex.getRequestHeaders().get("Content-Type");
        if (types == null || types.size() != 1) {
            error(ex, 415, "expected 1 Content-Type, got " + (types == null ? 0 : types.size()));
            return;
        }
        if (!types.get(0).split(";")[0].trim().equals("application/json")) {
            error(ex, 415, "only acceptable Content-Type is application/json");
            return;
        }
        JsonNode su;
        try {
            su = JSON.readTree(body);
            if (su == null || !su.isObject()) {
                throw new IOException("not an object");
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
            error(ex, 400, "name in URL \"" + name + "\" differs from unit name in request body \"" + bodyName + "\"");
            return;
        }
        String invalid = validateName(name);
        if (invalid != null) {
            error(ex, 400, invalid);
            return;
        }
        String desired = su.path("desiredState").asText("");
        SimUnit existing = units.get(name);
        if (existing == null) {
            List<UnitOption> options = new ArrayList<>();
            for (JsonNode o : su.path("options")) {
                options.add(new UnitOption(o.path("section").asText(), o.path("name").asText(), o.path("value").asText()));
            }
            if (options.isEmpty()) {
                error(ex, 409, "unit does not exist and options field empty");
                return;
            }
            String bad = validateOptions(options);
            if (bad != null) {
                error(ex, 400, bad);
                return;
            }
            if (!STATES.contains(desired)) {
                error(ex, 400, "invalid desiredState \"" + desired + "\"");
                return;
            }
            units.put(name, new SimUnit(name, options, desired, now()));
            empty(ex, 201);
            return;
        }
        if (desired.isEmpty()) {
            error(ex, 409, "must provide DesiredState to update existing unit");
            return;
        }
        if (!STATES.contains(desired)) {
            error(ex, 400, "invalid desiredState \"" + desired + "\"");
            return;
        }
        if (!desired.equals(existing.desiredState)) {
            existing.desiredState = desired;
            existing.changedAt = now();
        }
        empty(ex, 204);
    }

    /** What every machine's agent reports now, sorted by unit name then machine id (fleet's order). */
    private List<Map<String, String>> stateList() {
        List<Map<String, String>> out = new ArrayList<>();
        long now = now();
        for (SimUnit u : units.values()) {
            if (u.desiredState.equals("inactive")) {
                continue;
            }
            for (SimMachine m : machines.values()) {
                if (m.silent) {
                    continue;
                }
                long steps = (now - Math.max(u.changedAt, m.joinedAt)) / stepMillis - m.delaySteps;
                if (steps < 0) {
                    continue;
                }
                String active;
                String sub;
                if (u.desiredState.equals("loaded") || steps < 1) {
                    active = "inactive";
                    sub = "dead";
                } else if (steps < 2) {
                    active = "activating";
                    sub = "start-pre";
                } else if (m.failMarker != null && u.text().contains(m.failMarker)) {
                    active = "failed";
                    sub = "failed";
                } else {
                    active = "active";
                    sub = "running";
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
        return out;
    }

    private ObjectNode unitJson(SimUnit u) {
        ObjectNode n = JSON.createObjectNode();
        n.put("currentState", u.desiredState);
        n.put("desiredState", u.desiredState);
        n.put("name", u.name);
        n.set("options", JSON.valueToTree(u.options));
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

    private static String validateName(String name) {
        int dot = name.lastIndexOf('.');
        if (name.isEmpty()) {
            return "unit name cannot be empty";
        }
        if (dot == -1) {
            return "unit name must contain \".\"";
        }
        if (dot == name.length() - 1) {
            return "unit name cannot end in \".\"";
        }
        String suffix = name.substring(dot + 1);
        if (!Set.of("service", "socket", "busname", "target", "snapshot", "device", "mount", "automount", "swap", "timer",
                "path", "slice", "scope").contains(suffix)) {
            return "invalid unit type: \"" + suffix + "\"";
        }
        for (char c : name.substring(0, dot).toCharArray()) {
            if (!(Character.isLetterOrDigit(c) && c < 128) && ":-_.\\@".indexOf(c) < 0) {
                return "invalid character '" + c + "' in unit name";
            }
        }
        if (name.startsWith("@")) {
            return "unit name cannot start in \"@\"";
        }
        return null;
    }

    private static String validateOptions(List<UnitOption> options) {
        boolean global = false;
        boolean peers = false;
        boolean conflicts = false;
        boolean target = false;
        for (UnitOption o : options) {
            if (!o.section().equals("X-Fleet")) {
                continue;
            }
            switch (o.name()) {
                case "Global" -> global = o.value().equalsIgnoreCase("true");
                case "MachineOf", "X-ConditionMachineOf" -> peers = true;
                case "Conflicts", "X-Conflicts" -> conflicts = true;
                case "MachineID", "X-ConditionMachineID" -> target = true;
                default -> {
                }
            }
        }
        if (target && peers) {
            return "MachineID cannot be used with Peers";
        }
        if (target && conflicts) {
            return "MachineID cannot be used with Conflicts";
        }
        if (target && global) {
            return "MachineID cannot be used with Global";
        }
        if (global && peers) {
            return "Global cannot be used with Peers";
        }
        if (global && conflicts) {
            return "Global cannot be used with Conflicts";
        }
        return null;
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
