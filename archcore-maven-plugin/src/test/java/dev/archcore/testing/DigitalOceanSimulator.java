package dev.archcore.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Headers;
import okhttp3.HttpUrl;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of the DigitalOcean API v2 archcore:provision uses, on 127.0.0.1 with an ephemeral port, following
 * the published shapes (openapi {@code specification/resources/droplets}, {@code images}, {@code shared}): Bearer
 * tokens (401 {@code unauthorized} otherwise), {@code POST /v2/droplets} answering 202 with the droplet in status
 * {@code new}, {@code GET /v2/droplets/{id}} turning it {@code active} with public and private {@code networks.v4}
 * after some polls, listing by {@code tag_name} with {@code per_page}/{@code page} and absolute
 * {@code links.pages} URLs and {@code meta.total}, {@code DELETE /v2/droplets?tag_name=} (204), custom image
 * import ({@code NEW} → {@code pending} → {@code available}, or {@code deleted} with an {@code error_message}
 * when told to fail), {@code ratelimit-*} headers on every answer, and errors as {@code {"id","message","request_id"}}.
 * As the real API, it answers 422 for a size, region or image slug it does not offer, for a custom image that is
 * not available (yet) or not in the droplet's region, and takes two droplets with one name. Droplets can be
 * powered off or archived. Faults (429 with {@code retry-after}, 5xx) are queued per method and path. Every
 * request is recorded.
 */
public final class DigitalOceanSimulator implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DROPLET = Pattern.compile("/v2/droplets/(\\d+)");
    private static final Pattern IMAGE = Pattern.compile("/v2/images/(\\d+)");
    private static final Pattern NAME = Pattern.compile("^[a-zA-Z0-9]?[a-z0-9A-Z.\\-]*[a-z0-9A-Z]$");
    private static final Pattern TAG = Pattern.compile("^[a-zA-Z0-9_\\-:]+$");
    /** What this account is offered (a subset of GET /v2/sizes, /v2/regions and the distribution images). */
    public static final Set<String> SIZES = Set.of("s-1vcpu-512mb-10gb", "s-1vcpu-1gb", "s-1vcpu-2gb", "s-2vcpu-2gb",
            "s-2vcpu-4gb", "s-4vcpu-8gb");
    public static final Set<String> REGIONS = Set.of("nyc1", "nyc3", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1",
            "blr1", "syd1");
    public static final Set<String> IMAGE_SLUGS = Set.of("ubuntu-24-04-x64", "ubuntu-22-04-x64", "debian-12-x64",
            "fedora-40-x64", "rockylinux-9-x64");

    /** One request as received. */
    public record Call(String method, String path, HttpUrl url, Headers headers, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        public String header(String name) {
            return headers.get(name);
        }
    }

    private record Fault(String method, String path, int code, String retryAfter) {
    }

    private final MockWebServer server = new MockWebServer();
    private final String token;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Map<Long, ObjectNode> droplets = new LinkedHashMap<>();
    private final Map<Long, Integer> pollsLeft = new LinkedHashMap<>();
    private final Map<Long, ObjectNode> images = new LinkedHashMap<>();
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final Set<String> neverActive = new HashSet<>();
    private final Map<String, String> failingImports = new LinkedHashMap<>();
    private int pollsUntilActive = 2;
    private long nextId = 3164444;
    private int nextHost = 10;
    private int remaining = 4999;
    private long reset = 1_900_000_000L;

    private DigitalOceanSimulator(String token) {
        this.token = token;
    }

    public static DigitalOceanSimulator start(String token) throws IOException {
        DigitalOceanSimulator sim = new DigitalOceanSimulator(token);
        sim.server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                return sim.answer(request);
            }
        });
        sim.server.start(InetAddress.getLoopbackAddress(), 0);
        return sim;
    }

    /** The API's base URL, e.g. {@code http://127.0.0.1:41234}. */
    public String url() {
        String u = server.url("/").toString();
        return u.substring(0, u.length() - 1);
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    /** Requests with this method whose path starts with {@code pathPrefix}. */
    public List<Call> calls(String method, String pathPrefix) {
        return calls.stream().filter(c -> c.method().equals(method) && c.path().startsWith(pathPrefix)).toList();
    }

    /** The next {@code count} requests to {@code method path} get {@code code} (429 with {@code retryAfter} seconds if not null). */
    public synchronized DigitalOceanSimulator fail(String method, String path, int code, int count, String retryAfter) {
        for (int i = 0; i < count; i++) {
            faults.add(new Fault(method, path, code, retryAfter));
        }
        return this;
    }

    /** How many {@code GET /v2/droplets/{id}} a new droplet answers with {@code new} before it is {@code active}. */
    public synchronized DigitalOceanSimulator pollsUntilActive(int polls) {
        this.pollsUntilActive = polls;
        return this;
    }

    /** The droplet with this name stays {@code new} forever. */
    public synchronized DigitalOceanSimulator neverActive(String name) {
        neverActive.add(name);
        return this;
    }

    /** The next answers carry {@code ratelimit-remaining: remaining} (counting down) and this reset time. */
    public synchronized DigitalOceanSimulator quota(int remaining, long resetEpochSeconds) {
        this.remaining = remaining;
        this.reset = resetEpochSeconds;
        return this;
    }

    /** A droplet that exists already (active), as one created by someone else or an earlier run. */
    public synchronized long addDroplet(String name, List<String> tags) {
        ObjectNode d = droplet(name, "s-1vcpu-1gb", "fra1", tags, "ubuntu-24-04-x64");
        activate(d);
        droplets.put(d.get("id").asLong(), d);
        return d.get("id").asLong();
    }

    /** A custom image that exists already. */
    public synchronized long addImage(String name, String status) {
        ObjectNode i = image(name, "https://example.invalid/x.bin.bz2", "fra1", "CoreOS", List.of());
        i.put("status", status);
        if (status.equals("available")) {
            i.putArray("regions").add("fra1");
        }
        images.put(i.get("id").asLong(), i);
        return i.get("id").asLong();
    }

    /** The import of an image with this name fails: {@code pending}, then {@code deleted} with this error message. */
    public synchronized DigitalOceanSimulator failImport(String name, String errorMessage) {
        failingImports.put(name, errorMessage);
        return this;
    }

    /** The droplet is powered off ({@code off}), as after a shutdown in it or a power-off action. */
    public synchronized void powerOff(long id) {
        droplets.get(id).put("status", "off");
    }

    /** The droplet is {@code archive}: destroyed, its record kept for a while. */
    public synchronized void archive(long id) {
        droplets.get(id).put("status", "archive");
    }

    public synchronized List<JsonNode> droplets() {
        return List.copyOf(droplets.values());
    }

    public synchronized List<JsonNode> images() {
        return List.copyOf(images.values());
    }

    private synchronized MockResponse answer(RecordedRequest r) {
        HttpUrl url = r.getUrl();
        String body = r.getBody() == null ? "" : r.getBody().string(StandardCharsets.UTF_8);
        calls.add(new Call(r.getMethod(), url.encodedPath(), url, r.getHeaders(), body));
        if (!("Bearer " + token).equals(r.getHeaders().get("Authorization"))) {
            return error(401, "unauthorized", "Unable to authenticate you.");
        }
        for (Fault f : faults) {
            if (f.method().equals(r.getMethod()) && f.path().equals(url.encodedPath())) {
                faults.remove(f);
                MockResponse.Builder b = errorBuilder(f.code(), f.code() == 429 ? "too_many_requests" : "server_error",
                        f.code() == 429 ? "API Rate limit exceeded." : "Unexpected server-side error");
                if (f.retryAfter() != null) {
                    b.setHeader("retry-after", f.retryAfter());
                }
                return b.build();
            }
        }
        String path = url.encodedPath();
        String method = r.getMethod();
        Matcher m;
        if (path.equals("/v2/droplets") && method.equals("GET")) {
            String tag = url.queryParameter("tag_name");
            return page(url, "droplets", droplets.values().stream().filter(d -> tag == null || hasTag(d, tag)).toList());
        }
        if (path.equals("/v2/droplets") && method.equals("POST")) {
            return createDroplet(body);
        }
        if (path.equals("/v2/droplets") && method.equals("DELETE")) {
            String tag = url.queryParameter("tag_name");
            if (tag == null || tag.isEmpty()) {
                return error(422, "unprocessable_entity", "tag_name is required");
            }
            List<Long> gone = droplets.values().stream().filter(d -> hasTag(d, tag)).map(d -> d.get("id").asLong()).toList();
            gone.forEach(droplets::remove);
            return ok(204, null);
        }
        if ((m = DROPLET.matcher(path)).matches()) {
            long id = Long.parseLong(m.group(1));
            ObjectNode d = droplets.get(id);
            if (d == null) {
                return error(404, "not_found", "The resource you were accessing could not be found.");
            }
            if (method.equals("DELETE")) {
                droplets.remove(id);
                return ok(204, null);
            }
            if (method.equals("GET")) {
                progress(d);
                ObjectNode o = JSON.createObjectNode();
                o.set("droplet", d.deepCopy());
                return ok(200, o);
            }
        }
        if (path.equals("/v2/images") && method.equals("GET")) {
            boolean priv = "true".equals(url.queryParameter("private"));
            return page(url, "images", images.values().stream().filter(i -> !priv || !i.get("public").asBoolean()).toList());
        }
        if (path.equals("/v2/images") && method.equals("POST")) {
            return importImage(body);
        }
        if ((m = IMAGE.matcher(path)).matches() && method.equals("GET")) {
            ObjectNode i = images.get(Long.parseLong(m.group(1)));
            if (i == null) {
                return error(404, "not_found", "The resource you were accessing could not be found.");
            }
            switch (i.get("status").asText()) {
                case "NEW" -> i.put("status", "pending");
                case "pending" -> {
                    String failure = failingImports.get(i.get("name").asText());
                    if (failure != null) {
                        i.put("status", "deleted");
                        i.put("error_message", failure);
                    } else {
                        i.put("status", "available");
                        i.putArray("regions").add(i.get("_region").asText());
                    }
                }
                default -> {
                }
            }
            ObjectNode o = JSON.createObjectNode();
            o.set("image", publicView(i));
            return ok(200, o);
        }
        return error(404, "not_found", "The resource you were accessing could not be found.");
    }

    private MockResponse createDroplet(String body) {
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (IOException e) {
            return error(400, "bad_request", "unparseable JSON");
        }
        String name = req.path("name").asText("");
        if (!NAME.matcher(name).matches()) {
            return error(422, "unprocessable_entity", "name is invalid");
        }
        if (req.path("size").asText("").isEmpty()) {
            return error(422, "unprocessable_entity", "You must specify a size.");
        }
        if (!SIZES.contains(req.path("size").asText())) {
            return error(422, "unprocessable_entity", "You specified an invalid size for Droplet creation.");
        }
        String region = req.path("region").asText("nyc3");
        if (!REGIONS.contains(region)) {
            return error(422, "unprocessable_entity", "You specified an invalid region for Droplet creation.");
        }
        if (req.path("image").isMissingNode() || req.path("image").isNull()) {
            return error(422, "unprocessable_entity", "You must specify an image.");
        }
        if (req.path("user_data").asText("").getBytes(StandardCharsets.UTF_8).length > 64 * 1024) {
            return error(422, "unprocessable_entity", "user_data is limited to 64 KiB");
        }
        List<String> tags = new ArrayList<>();
        for (JsonNode t : req.path("tags")) {
            if (!TAG.matcher(t.asText()).matches()) {
                return error(422, "unprocessable_entity", "tag names may only contain letters, numbers, colons, dashes and underscores");
            }
            tags.add(t.asText());
        }
        JsonNode image = req.get("image");
        if (image.isNumber() ? !images.containsKey(image.asLong()) : !IMAGE_SLUGS.contains(image.asText())) {
            return error(422, "unprocessable_entity", "You specified an invalid image for Droplet creation.");
        }
        if (image.isNumber()) {
            ObjectNode custom = images.get(image.asLong());
            if (!custom.get("status").asText().equals("available")) {
                return error(422, "unprocessable_entity", "The image is not available yet (" + custom.get("status").asText()
                        + ").");
            }
            boolean inRegion = false;
            for (JsonNode r : custom.path("regions")) {
                inRegion |= r.asText().equals(region);
            }
            if (!inRegion) {
                return error(422, "unprocessable_entity", "You specified an invalid image for Droplet creation: it is "
                        + "not available in " + region + ".");
            }
        }
        ObjectNode d = droplet(name, req.get("size").asText(), region, tags, image.asText());
        long id = d.get("id").asLong();
        droplets.put(id, d);
        pollsLeft.put(id, pollsUntilActive);
        ObjectNode o = JSON.createObjectNode();
        o.set("droplet", d.deepCopy());
        ObjectNode action = o.putObject("links").putArray("actions").addObject();
        action.put("id", id + 7000);
        action.put("rel", "create");
        action.put("href", url() + "/v2/actions/" + (id + 7000));
        return ok(202, o);
    }

    private MockResponse importImage(String body) {
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (IOException e) {
            return error(400, "bad_request", "unparseable JSON");
        }
        for (String field : List.of("name", "url", "region")) {
            if (req.path(field).asText("").isEmpty()) {
                return error(422, "unprocessable_entity", field + " is required");
            }
        }
        List<String> tags = new ArrayList<>();
        req.path("tags").forEach(t -> tags.add(t.asText()));
        ObjectNode i = image(req.get("name").asText(), req.get("url").asText(), req.get("region").asText(),
                req.path("distribution").asText("Unknown"), tags);
        images.put(i.get("id").asLong(), i);
        ObjectNode o = JSON.createObjectNode();
        o.set("image", publicView(i));
        return ok(202, o);
    }

    private ObjectNode droplet(String name, String size, String region, List<String> tags, String image) {
        long id = nextId++;
        ObjectNode d = JSON.createObjectNode();
        d.put("id", id);
        d.put("name", name);
        d.put("memory", 1024);
        d.put("vcpus", 1);
        d.put("disk", 25);
        d.put("locked", false);
        d.put("status", "new");
        d.putNull("kernel");
        d.put("created_at", "2026-11-27T12:00:00Z");
        d.putArray("features").add("droplet_agent").add("private_networking");
        d.putArray("backup_ids");
        d.putNull("next_backup_window");
        d.putArray("snapshot_ids");
        ObjectNode img = d.putObject("image");
        if (image.matches("\\d+")) {
            img.put("id", Long.parseLong(image));
            img.putNull("slug");
        } else {
            img.put("id", 7555620);
            img.put("slug", image);
        }
        d.putArray("volume_ids");
        d.putObject("size").put("slug", size);
        d.put("size_slug", size);
        ObjectNode networks = d.putObject("networks");
        networks.putArray("v4");
        networks.putArray("v6");
        ObjectNode r = d.putObject("region");
        r.put("name", region);
        r.put("slug", region);
        r.put("available", true);
        ArrayNode t = d.putArray("tags");
        tags.forEach(t::add);
        d.put("vpc_uuid", "760e09ef-dc84-11e8-981e-3cfdfeaae000");
        return d;
    }

    private ObjectNode image(String name, String url, String region, String distribution, List<String> tags) {
        ObjectNode i = JSON.createObjectNode();
        i.put("id", nextId++);
        i.put("name", name);
        i.put("type", "custom");
        i.put("distribution", distribution);
        i.putNull("slug");
        i.put("public", false);
        i.putArray("regions");
        i.put("created_at", "2026-11-27T12:00:00Z");
        i.put("status", "NEW");
        i.put("error_message", "");
        ArrayNode t = i.putArray("tags");
        tags.forEach(t::add);
        i.put("_region", region);
        i.put("_url", url);
        return i;
    }

    private static ObjectNode publicView(ObjectNode image) {
        ObjectNode copy = image.deepCopy();
        copy.remove(List.of("_region", "_url"));
        return copy;
    }

    private void progress(ObjectNode d) {
        long id = d.get("id").asLong();
        Integer left = pollsLeft.get(id);
        if (left == null || neverActive.contains(d.get("name").asText())) {
            return;
        }
        if (left <= 1) {
            pollsLeft.remove(id);
            activate(d);
        } else {
            pollsLeft.put(id, left - 1);
        }
    }

    private void activate(ObjectNode d) {
        int host = nextHost++;
        d.put("status", "active");
        ArrayNode v4 = (ArrayNode) d.get("networks").get("v4");
        v4.removeAll();
        // private first, as DigitalOcean's examples list them: clients must pick by type, not position
        ObjectNode priv = v4.addObject();
        priv.put("ip_address", "10.110.0." + host);
        priv.put("netmask", "255.255.240.0");
        priv.put("gateway", "10.110.0.1");
        priv.put("type", "private");
        ObjectNode pub = v4.addObject();
        pub.put("ip_address", "203.0.113." + host);
        pub.put("netmask", "255.255.255.0");
        pub.put("gateway", "203.0.113.1");
        pub.put("type", "public");
    }

    private static boolean hasTag(JsonNode d, String tag) {
        for (JsonNode t : d.path("tags")) {
            if (t.asText().equals(tag)) {
                return true;
            }
        }
        return false;
    }

    private MockResponse page(HttpUrl url, String key, List<? extends JsonNode> all) {
        int perPage = Math.min(200, Math.max(1, intParam(url, "per_page", 20)));
        int pageNo = Math.max(1, intParam(url, "page", 1));
        int last = Math.max(1, (all.size() + perPage - 1) / perPage);
        ObjectNode o = JSON.createObjectNode();
        ArrayNode items = o.putArray(key);
        all.stream().skip((long) (pageNo - 1) * perPage).limit(perPage)
                .forEach(n -> items.add(n instanceof ObjectNode on && key.equals("images") ? publicView(on) : n.deepCopy()));
        ObjectNode pages = o.putObject("links").putObject("pages");
        if (pageNo > 1) {
            pages.put("first", pageUrl(url, 1));
            pages.put("prev", pageUrl(url, pageNo - 1));
        }
        if (pageNo < last) {
            pages.put("next", pageUrl(url, pageNo + 1));
            pages.put("last", pageUrl(url, last));
        }
        o.putObject("meta").put("total", all.size());
        return ok(200, o);
    }

    /** Absolute, as DigitalOcean writes them (with its own host: here the simulator's). */
    private String pageUrl(HttpUrl url, int page) {
        return url.newBuilder().setQueryParameter("page", String.valueOf(page)).build().toString();
    }

    private static int intParam(HttpUrl url, String name, int dflt) {
        String v = url.queryParameter(name);
        return v == null || !v.matches("\\d{1,6}") ? dflt : Integer.parseInt(v);
    }

    private MockResponse ok(int code, JsonNode body) {
        MockResponse.Builder b = rate(new MockResponse.Builder().code(code));
        if (body != null) {
            b.setHeader("Content-Type", "application/json; charset=utf-8").body(body.toString());
        }
        return b.build();
    }

    private MockResponse error(int code, String id, String message) {
        return errorBuilder(code, id, message).build();
    }

    private MockResponse.Builder errorBuilder(int code, String id, String message) {
        ObjectNode e = JSON.createObjectNode();
        e.put("id", id);
        e.put("message", message);
        e.put("request_id", UUID.randomUUID().toString());
        return rate(new MockResponse.Builder().code(code))
                .setHeader("Content-Type", "application/json; charset=utf-8").body(e.toString());
    }

    private MockResponse.Builder rate(MockResponse.Builder b) {
        b.setHeader("ratelimit-limit", "5000");
        b.setHeader("ratelimit-remaining", String.valueOf(Math.max(0, remaining)));
        b.setHeader("ratelimit-reset", String.valueOf(reset));
        remaining = Math.max(0, remaining - 1);
        return b;
    }

    @Override
    public void close() {
        server.close();
    }
}
