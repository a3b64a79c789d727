package dev.archcore.cluster;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * fleet's API v1 ({@code /fleet/v1/}) over HTTP/1.1: units (list, get, create, change desired state, destroy),
 * unit states (filtered by machine and unit name) and machines, every list followed through
 * {@code nextPageToken}. Errors come back as {@link FleetException} with fleet's own message.
 */
public final class FleetClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final String BASE = "/fleet/v1/";

    private final StreamHttpClient http;
    private final String where;

    /** @param where the endpoint, for messages (e.g. {@code unix:///var/run/fleet.sock on core@master:2222}) */
    public FleetClient(StreamHttpClient http, String where) {
        this.http = http;
        this.where = where;
    }

    /** Requests sent so far. */
    public int requests() {
        return http.requests();
    }

    public List<FleetUnit> units() {
        return pages("units", Map.of(), "units", FleetUnit.class);
    }

    public Optional<FleetUnit> unit(String name) {
        HttpResponse r = call("GET", "units/" + encodePath(name), null);
        if (r.status() == 404) {
            return Optional.empty();
        }
        expect(r, 200, "GET units/" + name);
        return Optional.of(read(r, FleetUnit.class, "GET units/" + name));
    }

    /** Creates a unit that does not exist yet, with its options and desired state (fleet answers 201). */
    public void create(String name, List<UnitOption> options, String desiredState) {
        ObjectNode body = JSON.createObjectNode();
        body.put("name", name);
        body.put("desiredState", desiredState);
        body.set("options", JSON.valueToTree(options));
        HttpResponse r = call("PUT", "units/" + encodePath(name), body);
        expect(r, 201, "create unit " + name);
    }

    /** Changes an existing unit's desired state ({@code inactive}, {@code loaded}, {@code launched}): 204. */
    public void setDesiredState(String name, String desiredState) {
        ObjectNode body = JSON.createObjectNode();
        body.put("desiredState", desiredState);
        HttpResponse r = call("PUT", "units/" + encodePath(name), body);
        expect(r, 204, "set " + name + " to " + desiredState);
    }

    /** Destroys a unit; false when there was none (404). */
    public boolean destroy(String name) {
        HttpResponse r = call("DELETE", "units/" + encodePath(name), null);
        if (r.status() == 404) {
            return false;
        }
        expect(r, 204, "destroy unit " + name);
        return true;
    }

    /** Unit states, optionally only of one machine and/or one unit (null: all). */
    public List<UnitState> states(String machineID, String unitName) {
        Map<String, String> query = new LinkedHashMap<>();
        if (machineID != null) {
            query.put("machineID", machineID);
        }
        if (unitName != null) {
            query.put("unitName", unitName);
        }
        return pages("state", query, "states", UnitState.class);
    }

    public List<Machine> machines() {
        return pages("machines", Map.of(), "machines", Machine.class);
    }

    private <T> List<T> pages(String path, Map<String, String> query, String field, Class<T> type) {
        List<T> all = new ArrayList<>();
        String token = null;
        do {
            Map<String, String> q = new LinkedHashMap<>(query);
            if (token != null) {
                q.put("nextPageToken", token);
            }
            HttpResponse r = call("GET", path + queryString(q), null);
            expect(r, 200, "GET " + path);
            JsonNode page = tree(r);
            JsonNode items = page.path(field);
            for (JsonNode item : items) {
                all.add(convert(item, type, "GET " + path));
            }
            JsonNode next = page.get("nextPageToken");
            token = next == null || next.asText().isEmpty() ? null : next.asText();
        } while (token != null);
        return all;
    }

    private HttpResponse call(String method, String path, JsonNode body) {
        try {
            byte[] bytes = body == null ? null : JSON.writeValueAsBytes(body);
            return http.send(method, BASE + path, "application/json", bytes);
        } catch (IOException e) {
            throw new ClusterException("fleet at " + where + " did not answer " + method + " " + BASE + path + ": "
                    + e.getMessage() + ". Is fleet running on the master (systemctl status fleet.socket fleet.service), "
                    + "and etcd, which fleet keeps its state in?", e);
        }
    }

    private void expect(HttpResponse r, int status, String what) {
        if (r.status() != status) {
            throw new FleetException(r.status(), "fleet at " + where + " refused to " + what + ": HTTP " + r.status()
                    + " " + errorMessage(r));
        }
    }

    /** fleet's error body {@code {"error":{"code":..,"message":".."}}}, or the raw text. */
    static String errorMessage(HttpResponse r) {
        try {
            JsonNode error = JSON.readTree(r.body()).path("error");
            if (error.has("message") && !error.get("message").asText().isEmpty()) {
                return error.get("message").asText();
            }
        } catch (IOException e) {
            // not JSON
        }
        String text = r.text().strip();
        return text.isEmpty() ? "(no message)" : text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    private JsonNode tree(HttpResponse r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new ClusterException("fleet at " + where + " answered with invalid JSON: " + e.getMessage(), e);
        }
    }

    private <T> T read(HttpResponse r, Class<T> type, String what) {
        return convert(tree(r), type, what);
    }

    /** An object of fleet's answer as {@code type}; fleet's own answers always fit, anything else is refused. */
    private <T> T convert(JsonNode node, Class<T> type, String what) {
        T value;
        try {
            value = JSON.convertValue(node, type);
        } catch (IllegalArgumentException e) {
            throw notA(type, what, e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (value == null) {
            throw notA(type, what, "null", null);
        }
        return value;
    }

    private ClusterException notA(Class<?> type, String what, String why, Exception cause) {
        return new ClusterException("fleet at " + where + " answered " + what + " with JSON that is not a "
                + type.getSimpleName() + " (" + why + "). Is it fleet that listens there?", cause);
    }

    private static String queryString(Map<String, String> query) {
        if (query.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder();
        query.forEach((k, v) -> s.append(s.length() == 0 ? '?' : '&').append(k).append('=').append(encode(v)));
        return s.toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A path segment: form encoding but a space as %20, since fleet (Go's URL.Path) reads a '+' there as '+'. */
    private static String encodePath(String s) {
        return encode(s).replace("+", "%20");
    }

    @Override
    public void close() {
        http.close();
    }
}
