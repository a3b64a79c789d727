package dev.archcore.provision.digitalocean;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.util.Log;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A small client for the DigitalOcean API v2 (droplets and custom images): Bearer token, JSON, pagination through
 * {@code links.pages.next}. The {@code ratelimit-*} headers are honoured (no request is sent while the token's
 * quota is used up), 429 (after {@code retry-after}) and 5xx are retried with exponential backoff within a
 * time budget per call; other errors, 401 among them, fail at once with DigitalOcean's {@code id},
 * {@code message} and {@code request_id}. The token is never logged nor put in a message.
 */
public final class DigitalOceanClient implements AutoCloseable {
    public static final String DEFAULT_URL = "https://api.digitalocean.com";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final MediaType JSON_TYPE = MediaType.get("application/json");
    private static final int PER_PAGE = 200; // the API's maximum: fewest requests

    private final HttpUrl base;
    private final String token;
    private final Log log;
    private final OkHttpClient http;
    private Duration retryBudget = Duration.ofSeconds(120);
    private long initialBackoff = 1000;
    private Timing timing = Timing.SYSTEM;
    private int remaining = -1;
    private long resetEpochSeconds;
    private int sent;

    public DigitalOceanClient(String apiUrl, String token, Log log) {
        this(apiUrl, token, log, dev.archcore.util.HttpProxies.NONE);
    }

    /** Through the user's proxies (settings.xml's). */
    public DigitalOceanClient(String apiUrl, String token, Log log, dev.archcore.util.HttpProxies proxies) {
        HttpUrl url = HttpUrl.parse(apiUrl == null ? DEFAULT_URL : apiUrl.trim());
        if (url == null) {
            throw new DigitalOceanException("the DigitalOcean API URL '" + apiUrl + "' is not an http(s) URL");
        }
        if (token == null || token.isBlank()) {
            throw new DigitalOceanException("no DigitalOcean API token");
        }
        this.base = url.newBuilder().encodedPath("/").build();
        this.token = token.trim();
        this.log = log;
        this.http = proxies.applyTo(new OkHttpClient.Builder())
                .retryOnConnectionFailure(false)
                .followRedirects(false) // a redirect must not carry the token elsewhere
                .connectTimeout(30, TimeUnit.SECONDS)
                .readTimeout(60, TimeUnit.SECONDS)
                .build();
    }

    /** How long one call keeps retrying 429, 5xx and broken connections, and the first pause (doubling to 30 s). */
    public DigitalOceanClient retries(Duration budget, Duration firstBackoff) {
        this.retryBudget = budget;
        this.initialBackoff = Math.max(1, firstBackoff.toMillis());
        return this;
    }

    public DigitalOceanClient timing(Timing timing) {
        this.timing = timing;
        return this;
    }

    /**
     * {@code POST /v2/droplets} (202: queued, status {@code new}). Before a retry after a 5xx or a broken
     * connection, {@code alreadyCreated} looks for the droplet: DigitalOcean may have queued it anyway, and it
     * must never be created twice.
     */
    public Droplet createDroplet(JsonNode body, Supplier<Droplet> alreadyCreated) {
        AtomicReference<Droplet> existing = new AtomicReference<>();
        JsonNode answer = call("POST", url("v2/droplets"), body, 202, () -> {
            existing.set(alreadyCreated.get());
            return existing.get() != null;
        });
        return answer == null ? existing.get() : Droplet.from(answer.path("droplet"));
    }

    /** {@code GET /v2/droplets/{id}}. */
    public Droplet droplet(long id) {
        return Droplet.from(call("GET", url("v2/droplets/" + id), null, 200, null).path("droplet"));
    }

    /** {@code GET /v2/droplets?tag_name=TAG}, every page. */
    public List<Droplet> dropletsByTag(String tag) {
        HttpUrl first = url("v2/droplets").newBuilder().addQueryParameter("tag_name", tag)
                .addQueryParameter("per_page", String.valueOf(PER_PAGE)).build();
        return pages(first, "droplets", Droplet::from);
    }

    /** {@code DELETE /v2/droplets?tag_name=TAG} (204): every droplet with the tag. */
    public void deleteDropletsByTag(String tag) {
        call("DELETE", url("v2/droplets").newBuilder().addQueryParameter("tag_name", tag).build(), null, 204, null);
    }

    /** {@code POST /v2/images}: imports a custom image from a URL (202, status {@code NEW}). */
    public Image importImage(JsonNode body) {
        return Image.from(call("POST", url("v2/images"), body, 202, null).path("image"));
    }

    /** {@code GET /v2/images/{id}}. */
    public Image image(long id) {
        return Image.from(call("GET", url("v2/images/" + id), null, 200, null).path("image"));
    }

    /** {@code GET /v2/images?private=true}, every page: the account's own snapshots and custom images. */
    public List<Image> privateImages() {
        HttpUrl first = url("v2/images").newBuilder().addQueryParameter("private", "true")
                .addQueryParameter("per_page", String.valueOf(PER_PAGE)).build();
        return pages(first, "images", Image::from);
    }

    /** Requests sent so far (retries included). */
    public int requestsSent() {
        return sent;
    }

    HttpUrl url(String path) {
        return base.resolve(path);
    }

    /** A request as the dry run prints it: method, URL, headers with the token masked, the JSON body. */
    static String describe(String method, HttpUrl url, JsonNode body) {
        StringBuilder s = new StringBuilder(method).append(' ').append(url).append('\n')
                .append("  Authorization: Bearer ****\n");
        if (body != null) {
            s.append("  Content-Type: application/json\n");
            try {
                s.append("  ").append(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body)
                        .replace("\n", "\n  ")).append('\n');
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return s.toString();
    }

    private <T> List<T> pages(HttpUrl first, String key, Function<JsonNode, T> parse) {
        List<T> all = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        HttpUrl next = first;
        while (next != null && seen.add(next.toString())) {
            JsonNode page = call("GET", next, null, 200, null);
            page.path(key).forEach(n -> all.add(parse.apply(n)));
            next = nextPage(base, page);
        }
        return all;
    }

    /**
     * The page after {@code page}, on {@code base}: only the path and query of a next link are used, so the token
     * goes to the configured API only.
     */
    static HttpUrl nextPage(HttpUrl base, JsonNode page) {
        String href = page.path("links").path("pages").path("next").asText("");
        HttpUrl link = href.isEmpty() ? null : HttpUrl.parse(href);
        return link == null ? null : base.newBuilder().encodedPath(link.encodedPath())
                .encodedQuery(link.encodedQuery()).build();
    }

    /**
     * Sends one request until it gets {@code expected}; 429, 5xx and I/O failures are retried within the budget.
     * Before a retry after a 5xx or an I/O failure, {@code doneAlready} may find that the request took effect after
     * all: then the result is null.
     */
    private JsonNode call(String method, HttpUrl url, JsonNode body, int expected, BooleanSupplier doneAlready) {
        String what = method + " " + path(url);
        long deadline = timing.millis() + retryBudget.toMillis();
        long backoff = initialBackoff;
        while (true) {
            awaitQuota(what, deadline);
            Request.Builder b = new Request.Builder().url(url)
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", "application/json")
                    .header("User-Agent", "archcore");
            b.method(method, body == null ? null : RequestBody.create(write(body), JSON_TYPE));
            int code;
            String text;
            String retryAfter;
            String requestIdHeader;
            try {
                sent++;
                try (Response r = http.newCall(b.build()).execute()) {
                    code = r.code();
                    text = r.body().string();
                    retryAfter = r.header("retry-after");
                    requestIdHeader = r.header("x-request-id");
                    noteQuota(r);
                }
            } catch (UnknownHostException e) {
                throw new DigitalOceanException("cannot resolve " + base.host() + " for " + what + ": " + e.getMessage(), e);
            } catch (dev.archcore.util.HttpProxies.ProxyRefused e) {
                throw new DigitalOceanException(e.getMessage() + " (" + what + ")", e);
            } catch (IOException e) {
                DigitalOceanException failure = new DigitalOceanException(describe(e) + " (" + what + ")"
                        + (e instanceof ConnectException ? "; is the API at " + base + " reachable?" : ""), e);
                backoff = pause(backoff, deadline, failure);
                if (doneAlready != null && doneAlready.getAsBoolean()) {
                    return null;
                }
                continue;
            }
            log.debug(what + ": HTTP " + code);
            if (code == expected) {
                return parse(text, what);
            }
            DigitalOceanException error = apiError(code, text, requestIdHeader, what);
            if (code == 429) {
                backoff = Math.max(pause(waitFor429(retryAfter, backoff), deadline, error), backoff);
            } else if (code >= 500) {
                backoff = pause(backoff, deadline, error);
                if (doneAlready != null && doneAlready.getAsBoolean()) {
                    return null;
                }
            } else {
                throw error;
            }
        }
    }

    /** retry-after (seconds) when given; else until ratelimit-reset when the quota is used up; else the backoff. */
    private long waitFor429(String retryAfter, long backoff) {
        if (retryAfter != null && retryAfter.trim().matches("\\d{1,6}")) {
            long ms = Long.parseLong(retryAfter.trim()) * 1000;
            if (ms > 0) {
                return ms;
            }
        }
        if (remaining == 0 && resetEpochSeconds * 1000 > timing.millis()) {
            return resetEpochSeconds * 1000 - timing.millis();
        }
        return backoff;
    }

    /** While ratelimit-remaining is 0, nothing is sent before ratelimit-reset (if that is within the budget). */
    private void awaitQuota(String what, long deadline) {
        if (remaining != 0) {
            return;
        }
        long wait = resetEpochSeconds * 1000 - timing.millis();
        if (wait <= 0) {
            return;
        }
        if (timing.millis() + wait > deadline) {
            throw new DigitalOceanException("DigitalOcean's rate limit for this token is used up (ratelimit-remaining: 0) until "
                    + Instant.ofEpochSecond(resetEpochSeconds) + ", beyond the retry budget of " + retryBudget.toSeconds()
                    + " s; run again after that (" + what + " was not sent)");
        }
        log.warn("DigitalOcean's rate limit for this token is used up: waiting " + seconds(wait) + " until "
                + Instant.ofEpochSecond(resetEpochSeconds) + " (ratelimit-reset) before " + what);
        sleep(wait);
        remaining = -1;
    }

    private void noteQuota(Response r) {
        String rem = r.header("ratelimit-remaining");
        String reset = r.header("ratelimit-reset");
        if (rem != null && rem.trim().matches("\\d{1,9}")) {
            remaining = Integer.parseInt(rem.trim());
        }
        if (reset != null && reset.trim().matches("\\d{1,12}")) {
            resetEpochSeconds = Long.parseLong(reset.trim());
        }
    }

    /** Sleeps {@code wait} ms, or throws {@code error} (saying retries ran out) when that would pass the deadline. */
    private long pause(long wait, long deadline, DigitalOceanException error) {
        if (timing.millis() + wait > deadline) {
            throw new DigitalOceanException(error.getMessage() + "; gave up after retrying for " + retryBudget.toSeconds()
                    + " s", error.status(), error.errorId(), error.requestId(), error.getCause());
        }
        log.warn(error.getMessage() + "; retrying in " + seconds(wait));
        sleep(wait);
        return Math.min(wait * 2, 30_000);
    }

    private void sleep(long ms) {
        try {
            timing.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DigitalOceanException("interrupted");
        }
    }

    static DigitalOceanException apiError(int code, String text, String requestIdHeader, String what) {
        String id = null;
        String message = null;
        String requestId = requestIdHeader;
        try {
            JsonNode e = text.isBlank() ? null : JSON.readTree(text);
            if (e != null && e.isObject()) {
                id = e.path("id").asText(null);
                message = e.path("message").asText(null);
                requestId = e.path("request_id").asText(requestId);
            }
        } catch (JsonProcessingException ignored) {
            // not DigitalOcean's error shape (a proxy's page): reported by status alone
        }
        StringBuilder s = new StringBuilder("DigitalOcean answered HTTP ").append(code).append(" to ").append(what);
        s.append(": ").append(id == null ? "(no error id)" : id).append(": ").append(message == null ? "(no message)" : message);
        s.append(" (request_id ").append(requestId == null || requestId.isEmpty() ? "none" : requestId).append(')');
        if (code == 401) {
            s.append(". The API token was refused: it is wrong, expired or revoked; create a personal access token "
                    + "with read and write scope in the control panel (API > Tokens)");
        } else if (code == 403) {
            s.append(". The token lacks the scope for this request: it needs read and write");
        }
        return new DigitalOceanException(s.toString(), code, id, requestId, null);
    }

    static JsonNode parse(String text, String what) {
        if (text == null || text.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new DigitalOceanException("DigitalOcean's answer to " + what + " is not JSON: " + e.getOriginalMessage());
        }
    }

    private static byte[] write(JsonNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String path(HttpUrl url) {
        return url.encodedPath() + (url.encodedQuery() == null ? "" : "?" + url.encodedQuery());
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private static String seconds(long ms) {
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    @Override
    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
