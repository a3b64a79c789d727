package dev.archcore.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP front in front of the real registry, for what plain docker-registry cannot show: a Bearer token
 * service (checks Basic credentials, records the scopes asked for), a registry that refuses OCI manifests
 * (400 MANIFEST_INVALID, as older registries do), and injected 5xx/429 answers. Everything else is forwarded.
 */
public final class RegistryFront implements AutoCloseable {
    private static final Set<String> HOP = Set.of("content-length", "transfer-encoding", "connection", "date", "keep-alive");

    private final HttpServer server;
    private final int registryPort;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private String user;
    private String password;
    public volatile boolean rejectOciManifests;
    public final List<String> requests = new CopyOnWriteArrayList<>();
    public final List<String> tokenScopes = new CopyOnWriteArrayList<>();
    public final AtomicInteger tokensIssued = new AtomicInteger();
    private volatile String failMatch;
    private volatile int failCode;
    private final AtomicInteger failLeft = new AtomicInteger();
    private volatile boolean failAfterForward;
    private volatile String lostLocation;
    private volatile String lostRange;

    public RegistryFront(int registryPort) {
        this.registryPort = registryPort;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String host() {
        return "127.0.0.1:" + port();
    }

    /** Requires Bearer tokens from {@code /token}, which wants these Basic credentials. */
    public RegistryFront bearer(String user, String password) {
        this.user = user;
        this.password = password;
        return this;
    }

    /** The next {@code times} requests whose "METHOD path" contains {@code match} get {@code code}. */
    public void fail(String match, int code, int times) {
        failAfterForward = false;
        failMatch = match;
        failCode = code;
        failLeft.set(times);
    }

    /**
     * Like {@link #fail}, but the request reaches the registry first (it took the bytes, the client never heard):
     * an answer lost on the way back. The next upload status request (GET) is then answered as the distribution
     * spec describes (204, {@code Range}, {@code Location}) from the lost answer: distribution itself cancels an
     * upload whose state token is older than its data, so it cannot show a resume.
     */
    public void failAfterForward(String match, int code, int times) {
        fail(match, code, times);
        failAfterForward = true;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            String line = ex.getRequestMethod() + " " + path;
            requests.add(line);
            byte[] body = ex.getRequestBody().readAllBytes();
            if (path.equals("/token")) {
                token(ex, query);
                return;
            }
            if (user != null) {
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                if (auth == null || !auth.startsWith("Bearer tok-")) {
                    String name = path.startsWith("/v2/") && path.contains("/blobs/") ? path.substring(4, path.indexOf("/blobs/"))
                            : path.startsWith("/v2/") && path.contains("/manifests/") ? path.substring(4, path.indexOf("/manifests/")) : null;
                    ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + host() + "/token\",service=\"front\""
                            + (name == null ? "" : ",scope=\"repository:" + name + ":pull,push\""));
                    send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}");
                    return;
                }
            }
            String match = failMatch;
            if (match != null && line.contains(match) && failLeft.getAndDecrement() > 0) {
                if (failAfterForward) {
                    HttpResponse<Void> lost = http.send(request(ex, path, query, body), HttpResponse.BodyHandlers.discarding());
                    lostLocation = lost.headers().firstValue("Location").map(v -> v.replace("127.0.0.1:" + registryPort, host())).orElse(null);
                    lostRange = lost.headers().firstValue("Range").orElse(null);
                }
                if (failCode == 429) {
                    ex.getResponseHeaders().add("Retry-After", "0");
                }
                send(ex, failCode, "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected\"}]}");
                return;
            }
            if (ex.getRequestMethod().equals("GET") && path.contains("/blobs/uploads/") && lostLocation != null) {
                ex.getResponseHeaders().add("Location", lostLocation);
                ex.getResponseHeaders().add("Range", lostRange);
                lostLocation = null;
                ex.sendResponseHeaders(204, -1);
                return;
            }
            String type = ex.getRequestHeaders().getFirst("Content-Type");
            if (rejectOciManifests && ex.getRequestMethod().equals("PUT") && path.contains("/manifests/")
                    && "application/vnd.oci.image.manifest.v1+json".equals(type)) {
                send(ex, 400, "{\"errors\":[{\"code\":\"MANIFEST_INVALID\",\"message\":\"manifest invalid\",\"detail\":\"unsupported media type\"}]}");
                return;
            }
            forward(ex, path, query, body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void token(HttpExchange ex, String query) throws IOException {
        String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}");
            return;
        }
        for (String p : query == null ? new String[0] : query.split("&")) {
            if (p.startsWith("scope=")) {
                tokenScopes.add(java.net.URLDecoder.decode(p.substring(6), StandardCharsets.UTF_8));
            }
        }
        send(ex, 200, "{\"token\":\"tok-" + tokensIssued.incrementAndGet() + "\",\"expires_in\":300}");
    }

    private HttpRequest request(HttpExchange ex, String path, String query, byte[] body) {
        URI uri = URI.create("http://127.0.0.1:" + registryPort + path + (query == null ? "" : "?" + query));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(ex.getRequestMethod(),
                body.length == 0 && (ex.getRequestMethod().equals("GET") || ex.getRequestMethod().equals("HEAD"))
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String h : List.of("Content-Type", "Content-Range", "Accept")) {
            String v = ex.getRequestHeaders().getFirst(h);
            if (v != null) {
                b.header(h, v);
            }
        }
        return b.build();
    }

    private void forward(HttpExchange ex, String path, String query, byte[] body) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(request(ex, path, query, body), HttpResponse.BodyHandlers.ofByteArray());
        for (Map.Entry<String, List<String>> h : r.headers().map().entrySet()) {
            if (HOP.contains(h.getKey().toLowerCase()) || h.getKey().startsWith(":")) {
                continue;
            }
            for (String v : h.getValue()) {
                ex.getResponseHeaders().add(h.getKey(), v.replace("127.0.0.1:" + registryPort, host()));
            }
        }
        boolean empty = ex.getRequestMethod().equals("HEAD") || r.body().length == 0;
        ex.sendResponseHeaders(r.statusCode(), empty ? -1 : r.body().length);
        if (!empty) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(r.body());
            }
        }
    }

    private static void send(HttpExchange ex, int code, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(code, -1);
            return;
        }
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
