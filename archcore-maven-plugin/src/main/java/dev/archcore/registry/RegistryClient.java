package dev.archcore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.util.LargestFirst;
import dev.archcore.util.Log;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pushes one image of an OCI image layout to a registry with the distribution-spec HTTP API, without a Docker
 * engine: blobs first (HEAD to skip what the registry has, cross-repository mounts, monolithic or resumable
 * chunked uploads), the manifest last under every tag (OCI media types, Docker schema 2 when the registry
 * refuses OCI). Transient failures (5xx, 429, broken or timed-out connections) are retried with exponential
 * backoff within a time budget, then reported once. Passwords and tokens never reach the log or a message.
 */
public final class RegistryClient {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    private static final MediaType OCTETS = MediaType.get("application/octet-stream");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final PushRequest req;
    private final RegistryReference target;
    private final OkHttpClient http;
    private final HttpUrl base;
    private final String scope;
    private final Log log;
    private String scheme; // null: anonymous works; "basic" or "bearer"
    private Map<String, String> challenge = Map.of();
    private final Map<String, String> tokens = new HashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    // the retry budget runs per step, and steps run on several threads
    private final ThreadLocal<Long> deadline = ThreadLocal.withInitial(System::nanoTime);

    private RegistryClient(PushRequest req) {
        this.req = req;
        this.target = req.target;
        this.log = req.log;
        this.base = HttpUrl.get((req.insecure ? "http://" : "https://") + target.registry() + "/");
        this.scope = "repository:" + target.name() + ":pull,push"
                + (req.mountFrom == null ? "" : " repository:" + req.mountFrom + ":pull");
        OkHttpClient.Builder b = ConnectVia.applyTo(req.proxies.applyTo(new OkHttpClient.Builder()), req.connectVia)
                .retryOnConnectionFailure(false)
                .connectTimeout(req.timeout.toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(req.timeout.toMillis(), TimeUnit.MILLISECONDS)
                .writeTimeout(req.timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (req.insecure) {
            // plain HTTP only: okhttp then never loads the platform's trust store (a fifth of a cold push)
            b.connectionSpecs(List.of(ConnectionSpec.CLEARTEXT));
        }
        if (req.caFile != null && !req.insecure) {
            X509TrustManager tm = trustManager(req.caFile);
            try {
                SSLContext ssl = SSLContext.getInstance("TLS");
                ssl.init(null, new TrustManager[]{tm}, null);
                b.sslSocketFactory(ssl.getSocketFactory(), tm);
            } catch (GeneralSecurityException e) {
                throw new RegistryException("cannot set up TLS with " + req.caFile + ": " + e.getMessage(), e);
            }
        }
        this.http = b.build();
    }

    /** Pushes {@code request.layout} to {@code request.target}; throws {@link RegistryException} with one clear message. */
    public static PushResult push(PushRequest request) {
        // reading the layout (Jackson) and setting up HTTP (okhttp) both start cold in a fresh JVM: side by side
        CompletableFuture<OciLayout> layout = CompletableFuture.supplyAsync(
                () -> OciLayout.read(request.layout, request.selector));
        RegistryClient client = new RegistryClient(request);
        try {
            return client.run(layout);
        } finally {
            client.http.dispatcher().executorService().shutdown();
            client.http.connectionPool().evictAll();
        }
    }

    private PushResult run(CompletableFuture<OciLayout> pending) {
        long start = System.nanoTime();
        String where = target.repository();
        probe();
        OciLayout layout;
        try {
            layout = pending.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new RegistryException(String.valueOf(e.getCause()), e.getCause());
        }
        int sent = 0;
        int skipped = 0;
        int mounted = 0;
        long bytes = 0;
        List<String> missing = new ArrayList<>();
        List<Outcome> outcomes = forEachBlob(layout.blobs(), this::send);
        for (int i = 0; i < outcomes.size(); i++) {
            OciLayout.Blob blob = layout.blobs().get(i);
            switch (outcomes.get(i)) {
                case EXISTS -> skipped++;
                case MOUNTED -> {
                    missing.add(blob.digest());
                    mounted++;
                }
                case SENT, WOULD_SEND -> {
                    missing.add(blob.digest());
                    sent += outcomes.get(i) == Outcome.SENT ? 1 : 0;
                    bytes += blob.size();
                }
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (req.dryRun) {
            log.info(String.format(Locale.ROOT, "Dry run: %d of %d blobs missing on %s (%s would be sent), %d present; nothing pushed",
                    missing.size(), layout.blobs().size(), where, size(bytes), skipped));
            return new PushResult(layout.manifestDigest(), layout.manifestMediaType(), List.of(), 0, skipped, 0,
                    List.copyOf(missing), bytes, millis, requests.get(), true, List.of());
        }
        restartClock();
        String[] pushed = putManifests(layout);
        List<String> attached = new ArrayList<>();
        for (Attachment attachment : req.attachments) {
            restartClock();
            try {
                attached.add(attachment.attach(new Api(), new Attachment.Descriptor(pushed[1], pushed[0],
                        Long.parseLong(pushed[2])), target.tags()));
            } catch (RegistryException e) {
                // the image is there under its tags: say so, and what pushing again does
                throw new RegistryException("The image was pushed (" + where + "@" + pushed[0] + "), but attaching "
                        + attachment.what() + " failed: " + e.getMessage() + ". Pushing again sends only what is missing; "
                        + "archcore.push.sign.skip / archcore.push.sbom.skip leave the signature / SBOM out", e);
            }
        }
        millis = (System.nanoTime() - start) / 1_000_000;
        log.info(String.format(Locale.ROOT, "Pushed %s@%s: %d blobs sent (%s), %d skipped, %d mounted, %d requests in %.1f s",
                where, pushed[0], sent, size(bytes), skipped, mounted, requests.get(), millis / 1000.0));
        List<String> refs = new ArrayList<>();
        for (String tag : target.tags()) {
            refs.add(where + ":" + tag + "@" + pushed[0]);
        }
        return new PushResult(pushed[0], pushed[1], List.copyOf(refs), sent, skipped, mounted, List.copyOf(missing),
                bytes, millis, requests.get(), false, List.copyOf(attached));
    }

    private enum Outcome { EXISTS, MOUNTED, SENT, WOULD_SEND }

    /** One blob: skipped when the registry has it, else mounted or uploaded (or only reported in a dry run). */
    private Outcome send(OciLayout.Blob blob) {
        restartClock();
        if (exists(blob.digest())) {
            log.debug("Exists " + shortDigest(blob.digest()) + " (" + size(blob.size()) + ") in " + target.repository());
            return Outcome.EXISTS;
        }
        if (req.dryRun) {
            log.info("Would upload " + shortDigest(blob.digest()) + " (" + size(blob.size()) + ") to " + target.repository());
            return Outcome.WOULD_SEND;
        }
        return upload(blob) ? Outcome.MOUNTED : Outcome.SENT;
    }

    /** {@code step} for every blob, {@code req.parallelUploads} at a time; the first failure stops the rest. */
    private <T> List<T> forEachBlob(List<OciLayout.Blob> blobs, java.util.function.Function<OciLayout.Blob, T> step) {
        int threads = Math.min(req.parallelUploads, blobs.size());
        if (threads <= 1) {
            return blobs.stream().map(step).toList();
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "archcore-push");
            t.setDaemon(true);
            return t;
        });
        try {
            // biggest first: the longest upload starts at once instead of last; results stay in the blobs' order
            List<Future<T>> futures = new ArrayList<>(Collections.nCopies(blobs.size(), null));
            for (int i : LargestFirst.order(blobs.size(), i -> blobs.get(i).size())) {
                futures.set(i, pool.submit(() -> step.apply(blobs.get(i))));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(await(f));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new RegistryException(String.valueOf(e.getCause()), e.getCause());
        }
    }

    // ---- registry API steps

    /** The retry budget counts per step (the probe, each blob, the manifests), so a long push never runs out of it. */
    private void restartClock() {
        deadline.set(System.nanoTime() + req.retryBudget.toNanos());
    }

    private void probe() {
        restartClock();
        try (Response r = call(new Request.Builder().url(url("v2/")).get(), true)) {
            if (r.code() != 200) {
                throw failure(r, "GET /v2/ (API probe)");
            }
        }
    }

    private boolean exists(String digest) {
        try (Response r = call(new Request.Builder().url(url("v2/" + target.name() + "/blobs/" + digest)).head(), true)) {
            if (r.code() == 200) {
                return true;
            }
            if (r.code() == 404) {
                return false;
            }
            throw failure(r, "HEAD blob " + shortDigest(digest));
        }
    }

    /** @return true when the blob was mounted instead of sent */
    private boolean upload(OciLayout.Blob blob) {
        long backoff = req.initialBackoff.toMillis();
        while (true) {
            HttpUrl location;
            String from = req.mountFrom;
            HttpUrl start = url("v2/" + target.name() + "/blobs/uploads/");
            if (from != null) {
                start = start.newBuilder().addQueryParameter("mount", blob.digest()).addQueryParameter("from", from).build();
            }
            try (Response r = call(new Request.Builder().url(start).post(RequestBody.create(new byte[0], null)), true)) {
                if (r.code() == 201 && from != null) {
                    log.info("Mounted " + shortDigest(blob.digest()) + " (" + size(blob.size()) + ") from " + from);
                    return true;
                }
                if (r.code() != 202) {
                    throw failure(r, "POST upload of " + shortDigest(blob.digest()));
                }
                location = location(r);
            }
            log.info("Uploading " + shortDigest(blob.digest()) + " (" + size(blob.size()) + ") to " + target.repository());
            UploadProgress progress = new UploadProgress(log, shortDigest(blob.digest()), blob.size());
            try {
                if (blob.size() < req.chunkThreshold) {
                    putWhole(blob, location, progress);
                } else {
                    putChunked(blob, location, progress);
                }
                progress.done();
                return false;
            } catch (Transient e) {
                backoff = pause(backoff, e.getMessage() + " uploading " + shortDigest(blob.digest()) + "; starting the upload again", e);
            }
        }
    }

    private void putWhole(OciLayout.Blob blob, HttpUrl location, UploadProgress progress) {
        HttpUrl put = location.newBuilder().addQueryParameter("digest", blob.digest()).build();
        try (Response r = call(new Request.Builder().url(put).put(new FileRegion(blob.file(), 0, blob.size(), progress)), false)) {
            if (r.code() != 201) {
                throw failure(r, "PUT blob " + shortDigest(blob.digest()));
            }
        }
    }

    private void putChunked(OciLayout.Blob blob, HttpUrl location, UploadProgress progress) {
        long offset = 0;
        long backoff = req.initialBackoff.toMillis();
        while (offset < blob.size()) {
            long len = Math.min(req.chunkSize, blob.size() - offset);
            Request.Builder patch = new Request.Builder().url(location)
                    .method("PATCH", new FileRegion(blob.file(), offset, len, progress))
                    .header("Content-Range", offset + "-" + (offset + len - 1));
            try (Response r = call(patch, false)) {
                if (r.code() == 202) {
                    location = location(r);
                    long end = rangeEnd(r);
                    offset = end >= 0 ? end + 1 : offset + len;
                    continue;
                }
                if (r.code() != 416) {
                    throw failure(r, "PATCH chunk of " + shortDigest(blob.digest()));
                }
            } catch (Transient e) {
                backoff = pause(backoff, e.getMessage() + " during a chunk of " + shortDigest(blob.digest()) + "; resuming", e);
            }
            // where does the registry stand? resume from its Range
            try (Response r = call(new Request.Builder().url(location).get(), true)) {
                if (r.code() == 404) {
                    throw new Transient("the registry forgot the upload session", null);
                }
                if (r.code() != 204 && r.code() != 202) {
                    throw failure(r, "GET upload status of " + shortDigest(blob.digest()));
                }
                if (r.header("Location") != null) {
                    location = location(r);
                }
                long end = rangeEnd(r);
                long resumed = end > 0 ? end + 1 : 0;
                log.info("Resuming " + shortDigest(blob.digest()) + " at byte " + resumed + " of " + blob.size());
                offset = resumed;
            }
        }
        HttpUrl put = location.newBuilder().addQueryParameter("digest", blob.digest()).build();
        try (Response r = call(new Request.Builder().url(put).put(RequestBody.create(new byte[0], OCTETS)), false)) {
            if (r.code() != 201) {
                throw failure(r, "PUT (close upload) of " + shortDigest(blob.digest()));
            }
        }
    }

    /** @return {manifest digest, media type, size} as pushed */
    private String[] putManifests(OciLayout layout) {
        byte[] bytes = layout.manifest();
        String mediaType = layout.manifestMediaType();
        String digest = layout.manifestDigest();
        for (OciLayout.Child child : layout.children()) {
            // an index may only name manifests the registry has
            try (Response r = call(new Request.Builder().url(url("v2/" + target.name() + "/manifests/" + child.digest()))
                    .put(RequestBody.create(child.manifest(), MediaType.get(child.mediaType()))), true)) {
                if (r.code() != 201) {
                    throw failure(r, "PUT manifest " + target.repository() + "@" + shortDigest(child.digest()));
                }
            }
            log.info("Pushed manifest " + shortDigest(child.digest()) + " of the index");
        }
        boolean first = true;
        for (String tag : target.tags()) {
            while (true) {
                Response r = call(new Request.Builder().url(url("v2/" + target.name() + "/manifests/" + tag))
                        .put(RequestBody.create(bytes, MediaType.get(mediaType))), true);
                try (r) {
                    if (r.code() == 201) {
                        String theirs = r.header("Docker-Content-Digest");
                        if (theirs != null && !theirs.equals(digest)) {
                            throw new RegistryException("the registry stored the manifest of " + target.repository() + ":" + tag
                                    + " as " + theirs + ", not " + digest + " (it rewrote the bytes)");
                        }
                        break;
                    }
                    String body = bodyText(r);
                    if (first && mediaType.equals(OCI_MANIFEST) && (r.code() == 400 || r.code() == 415)
                            && (body.contains("MANIFEST_INVALID") || body.toLowerCase(Locale.ROOT).contains("unsupported")
                            || r.code() == 415)) {
                        bytes = toDocker(bytes);
                        mediaType = DOCKER_MANIFEST;
                        digest = Digests.sha256(bytes);
                        log.warn(target.registry() + " refused the OCI manifest (" + r.code() + "); pushing Docker schema 2 "
                                + "media types instead, so the manifest digest is " + digest + ", not " + layout.manifestDigest());
                        continue;
                    }
                    throw failure(r.code(), body, "PUT manifest " + target.repository() + ":" + tag);
                }
            }
            first = false;
        }
        return new String[]{digest, mediaType, String.valueOf(bytes.length)};
    }

    /** The calls an {@link Attachment} makes in the pushed repository, with this push's auth and retries. */
    private final class Api implements RegistryApi {
        private static final String ACCEPT = String.join(", ", OCI_MANIFEST, "application/vnd.oci.image.index.v1+json",
                DOCKER_MANIFEST, "application/vnd.docker.distribution.manifest.list.v2+json");

        @Override
        public String repository() {
            return target.repository();
        }

        @Override
        public Manifest manifest(String reference) {
            try (Response r = call(new Request.Builder().url(url("v2/" + target.name() + "/manifests/" + reference))
                    .header("Accept", ACCEPT).get(), true)) {
                if (r.code() == 404) {
                    return null;
                }
                if (r.code() != 200) {
                    throw failure(r, "GET manifest " + target.repository() + ":" + reference);
                }
                byte[] bytes = r.body().bytes();
                MediaType type = r.body().contentType();
                return new Manifest(bytes, type == null ? "" : type.type() + "/" + type.subtype(), Digests.sha256(bytes));
            } catch (IOException e) {
                throw new RegistryException("cannot read the manifest " + target.repository() + ":" + reference + ": "
                        + describe(e), e);
            }
        }

        @Override
        public Stored putManifest(String reference, byte[] manifest, String mediaType) {
            try (Response r = call(new Request.Builder().url(url("v2/" + target.name() + "/manifests/" + reference))
                    .put(RequestBody.create(manifest, MediaType.get(mediaType))), true)) {
                if (r.code() != 201) {
                    throw failure(r, "PUT manifest " + target.repository() + ":" + reference);
                }
                String digest = Digests.sha256(manifest);
                String theirs = r.header("Docker-Content-Digest");
                if (theirs != null && !theirs.equals(digest)) {
                    throw new RegistryException("the registry stored the manifest " + target.repository() + ":" + reference
                            + " as " + theirs + ", not " + digest + " (it rewrote the bytes)");
                }
                return new Stored(digest, r.header("OCI-Subject") != null);
            }
        }

        @Override
        public String putBlob(byte[] blob) {
            String digest = Digests.sha256(blob);
            if (exists(digest)) {
                return digest;
            }
            HttpUrl location;
            try (Response r = call(new Request.Builder().url(url("v2/" + target.name() + "/blobs/uploads/"))
                    .post(RequestBody.create(new byte[0], null)), true)) {
                if (r.code() != 202) {
                    throw failure(r, "POST upload of " + shortDigest(digest));
                }
                location = location(r);
            }
            HttpUrl put = location.newBuilder().addQueryParameter("digest", digest).build();
            try (Response r = call(new Request.Builder().url(put).put(RequestBody.create(blob, OCTETS)), true)) {
                if (r.code() != 201) {
                    throw failure(r, "PUT blob " + shortDigest(digest));
                }
            }
            return digest;
        }

        @Override
        public void info(String line) {
            log.info(line);
        }
    }

    static byte[] toDocker(byte[] oci) {
        try {
            JsonNode tree = JSON.readTree(oci);
            if (tree == null || !tree.isObject() || !tree.path("config").isObject()) {
                throw new RegistryException("cannot rewrite the manifest: it is not an image manifest (a JSON object"
                        + " with a config descriptor); rebuild the OCI layout with archcore:image");
            }
            ObjectNode m = (ObjectNode) tree;
            m.put("mediaType", DOCKER_MANIFEST);
            ((ObjectNode) m.path("config")).put("mediaType", DOCKER_CONFIG);
            for (JsonNode l : m.path("layers")) {
                String t = l.path("mediaType").asText();
                if (!l.isObject() || !t.endsWith("tar+gzip")) {
                    throw new RegistryException("layer media type " + t + " has no Docker schema 2 equivalent");
                }
                ((ObjectNode) l).put("mediaType", DOCKER_LAYER);
            }
            m.remove("annotations");
            return JSON.writeValueAsBytes(m);
        } catch (IOException e) {
            throw new RegistryException("cannot rewrite the manifest: " + e.getMessage(), e);
        }
    }

    // ---- HTTP with auth and retries

    /** A failure worth another try (5xx, 429, broken or timed-out connection) on a non-idempotent step. */
    static final class Transient extends RuntimeException {
        Transient(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Sends the request with authentication (answering a 401 challenge once). With {@code retry}, 5xx, 429 and
     * I/O failures are retried with backoff until the budget is spent; without, they throw {@link Transient}.
     */
    private Response call(Request.Builder builder, boolean retry) {
        long backoff = req.initialBackoff.toMillis();
        boolean challenged = false;
        while (true) {
            Request peek = builder.build();
            // credentials only go to the registry itself, never to a storage host a Location points to
            boolean sameOrigin = peek.url().host().equals(base.host()) && peek.url().port() == base.port();
            String auth = sameOrigin ? authorization() : null;
            String sent = auth;
            if (auth != null) {
                builder.header("Authorization", auth);
            } else {
                builder.removeHeader("Authorization");
            }
            Request request = builder.build();
            Response r;
            try {
                requests.incrementAndGet();
                r = http.newCall(request).execute();
            } catch (SSLHandshakeException | SSLPeerUnverifiedException e) {
                throw tlsFailure(e);
            } catch (SSLException e) {
                throw notTls(e);
            } catch (UnknownHostException e) {
                throw new RegistryException("unknown registry host " + base.host() + ": " + e.getMessage(), e);
            } catch (IOException e) {
                if (e instanceof dev.archcore.util.HttpProxies.ProxyRefused) {
                    throw new RegistryException("cannot reach " + base.host() + ":" + base.port() + ": " + e.getMessage(), e);
                }
                String what = describe(e) + " (" + request.method() + " " + path(request.url()) + ")";
                if (!retry) {
                    throw new Transient(what, e);
                }
                backoff = pause(backoff, what, e);
                continue;
            }
            if (r.code() == 401 && !challenged) {
                challenged = true;
                String header = r.header("WWW-Authenticate");
                r.close();
                if (header == null) {
                    throw new RegistryException(target.registry() + " answered 401 without a WWW-Authenticate challenge");
                }
                answerChallenge(header, sent);
                continue;
            }
            if ((r.code() >= 500 || r.code() == 429)) {
                String what = "HTTP " + r.code() + " (" + request.method() + " " + path(request.url()) + ")";
                if (!retry) {
                    r.close();
                    throw new Transient(what, null);
                }
                long retryAfter = retryAfter(r);
                r.close();
                backoff = pause(Math.max(backoff, retryAfter), what, null);
                continue;
            }
            return r;
        }
    }

    private long pause(long backoff, String what, Throwable cause) {
        long now = System.nanoTime();
        if (now + TimeUnit.MILLISECONDS.toNanos(backoff) > deadline.get()) {
            throw new RegistryException("giving up on " + base.host() + ":" + base.port() + " after retrying for "
                    + req.retryBudget.toSeconds() + " s: " + what
                    + (cause instanceof ConnectException ? "; is the registry running at " + base + "?" : ""), cause);
        }
        log.warn(what + "; retrying in " + backoff + " ms");
        try {
            Thread.sleep(backoff);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted");
        }
        return Math.min(backoff * 2, 30_000);
    }

    private static long retryAfter(Response r) {
        String h = r.header("Retry-After");
        if (h != null && h.matches("\\d{1,4}")) {
            return Long.parseLong(h) * 1000;
        }
        return 0;
    }

    /**
     * A 401: take the challenge, unless another thread already answered it. Only a request that carried Basic
     * credentials proves them wrong; a Bearer token is dropped only if it is the one this request carried.
     */
    private synchronized void answerChallenge(String header, String sent) {
        if (sent != null && sent.startsWith("Bearer ") && sent.equals("Bearer " + tokens.get(scope))) {
            tokens.clear();
        } else if (sent == null && scheme != null) {
            return; // challenged before another thread set up authentication: just send it now
        }
        parseChallenge(header);
    }

    private void parseChallenge(String header) {
        String s = challengeScheme(header);
        Map<String, String> params = challengeParams(header);
        if (!s.equals("basic") && !s.equals("bearer")) {
            throw new RegistryException(target.registry() + " asks for " + s + " authentication; only Basic and Bearer are supported");
        }
        if (s.equals("basic") && req.credentials == null) {
            throw new RegistryException(target.registry() + " needs credentials (HTTP Basic) and none were found; give them in "
                    + "settings.xml as <server><id>" + target.registry() + "</id>, in Docker's config.json (docker login), "
                    + "or in " + Credentials.ENV_USERNAME + "/" + Credentials.ENV_PASSWORD);
        }
        if (scheme != null && scheme.equals(s) && s.equals("basic")) {
            // we sent Basic credentials already and were refused
            throw authFailed(401);
        }
        scheme = s;
        challenge = params;
    }

    /** The scheme of a {@code WWW-Authenticate} header, lower case ({@code basic}, {@code bearer}, ...). */
    static String challengeScheme(String header) {
        int space = header.indexOf(' ');
        return (space < 0 ? header : header.substring(0, space)).toLowerCase(Locale.ROOT);
    }

    /** The {@code key="value"} parameters of a {@code WWW-Authenticate} header, keys lower case. */
    static Map<String, String> challengeParams(String header) {
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(header);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        return params;
    }

    private synchronized String authorization() {
        if (scheme == null) {
            return null;
        }
        if (scheme.equals("basic")) {
            return req.credentials.basicHeader();
        }
        String token = tokens.get(scope);
        if (token == null) {
            token = fetchToken();
            tokens.put(scope, token);
        }
        return "Bearer " + token;
    }

    private String fetchToken() {
        String realm = challenge.get("realm");
        if (realm == null) {
            throw new RegistryException(target.registry() + " sent a Bearer challenge without a realm");
        }
        HttpUrl realmUrl = HttpUrl.parse(realm);
        if (realmUrl == null) {
            throw new RegistryException(target.registry() + " sent an invalid token realm " + realm);
        }
        HttpUrl.Builder u = realmUrl.newBuilder();
        if (challenge.containsKey("service")) {
            u.addQueryParameter("service", challenge.get("service"));
        }
        for (String s : scope.split(" ")) {
            u.addQueryParameter("scope", s);
        }
        Request.Builder b = new Request.Builder().url(u.build()).get();
        if (req.credentials != null) {
            refuseUnsafeRealm(realmUrl);
            b.header("Authorization", req.credentials.basicHeader());
            log.debug("Sending the credentials of user '" + req.credentials.username() + "' (from " + req.credentials.source()
                    + ") to the token service " + realmUrl.host() + ":" + realmUrl.port() + ", the realm of " + target.registry());
        }
        long backoff = req.initialBackoff.toMillis();
        while (true) {
            try (Response r = http.newCall(b.build()).execute()) {
                requests.incrementAndGet();
                if (r.code() >= 500 || r.code() == 429) {
                    backoff = pause(backoff, "HTTP " + r.code() + " from the token service " + realmUrl.host(), null);
                    continue;
                }
                if (r.code() == 401 || r.code() == 403) {
                    throw authFailed(r.code());
                }
                if (r.code() != 200) {
                    throw new RegistryException("the token service " + realmUrl.host() + " answered " + r.code());
                }
                String token = token(r.body().byteStream());
                if (token.isEmpty()) {
                    throw new RegistryException("the token service " + realmUrl.host() + " answered without a token");
                }
                return token;
            } catch (SSLHandshakeException | SSLPeerUnverifiedException e) {
                throw tlsFailure(e);
            } catch (IOException e) {
                backoff = pause(backoff, describe(e) + " (token service " + realmUrl.host() + ")", e);
            }
        }
    }

    /**
     * Credentials go to a token realm over https, wherever it is (Docker Hub's is auth.docker.io), but never over
     * plain HTTP, except to a plain-HTTP registry's own host (a local test registry, where they travel in clear anyway).
     */
    private void refuseUnsafeRealm(HttpUrl realm) {
        if (realm.isHttps()) {
            return;
        }
        String why;
        if (!req.insecure) {
            why = "the registry " + target.registry() + " is https, but its token realm " + realm + " is plain HTTP: the "
                    + "credentials would travel unencrypted";
        } else if (!realm.host().equals(base.host())) {
            why = "the token realm " + realm + " is plain HTTP on another host than the registry " + target.registry()
                    + ": a plain-HTTP realm is only trusted on a plain-HTTP registry's own host";
        } else {
            return;
        }
        throw new RegistryException(why + ". The credentials of user '" + req.credentials.username() + "' (from "
                + req.credentials.source() + ") were not sent. Have the registry name an https:// token realm, or push "
                + "without credentials if it allows that");
    }

    /** The token of a token service's JSON answer ({@code token}, or OAuth's {@code access_token}), or "". */
    static String token(InputStream answer) throws IOException {
        JsonNode json = JSON.readTree(answer);
        return json.path("token").asText(json.path("access_token").asText(""));
    }

    /**
     * The JDK reports a plain-HTTP answer to its ClientHello only as "Unsupported or unrecognized SSL message": ask
     * the port in plain HTTP once, and when it answers HTTP say so and name the property that pushes over HTTP.
     */
    private RegistryException notTls(SSLException e) {
        String where = base.host() + ":" + base.port();
        String message = String.valueOf(e.getMessage());
        boolean notTls = message.contains("unrecognized SSL message") || message.contains("plaintext");
        if (notTls && answersPlainHttp()) {
            return new RegistryException("the registry " + where + " answered plain HTTP, not TLS: if it is a "
                    + "plain-HTTP registry (a local or test one), push with -Darchcore.registry.insecure=true (or set "
                    + "archcore.registry.insecure in the profile); otherwise give it TLS", e);
        }
        return new RegistryException("TLS with " + where + " failed: " + message + (notTls ? " (the port does not "
                + "speak TLS; a plain-HTTP registry needs -Darchcore.registry.insecure=true)" : ""), e);
    }

    /** Whether the registry's port answers a plain HTTP request with an HTTP status line. */
    private boolean answersPlainHttp() {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(base.host(), base.port()), 5_000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("HEAD /v2/ HTTP/1.0\r\nHost: " + base.host() + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] first = socket.getInputStream().readNBytes(5);
            return new String(first, java.nio.charset.StandardCharsets.US_ASCII).equals("HTTP/");
        } catch (IOException probe) {
            return false;
        }
    }

    private RegistryException authFailed(int code) {
        Credentials c = req.credentials;
        return new RegistryException("authentication to " + target.registry() + " failed (HTTP " + code + ") for "
                + (c == null ? "anonymous access" : "user '" + c.username() + "' (credentials from " + c.source() + ")")
                + ": check the user name and password");
    }

    private RegistryException failure(Response r, String what) {
        return failure(r.code(), bodyText(r), what);
    }

    private RegistryException failure(int code, String body, String what) {
        if (code == 401) {
            return authFailed(code);
        }
        String detail = errors(body);
        if (code == 403) {
            return new RegistryException(what + ": access to " + target.repository() + " denied (HTTP 403"
                    + (req.credentials == null ? ", anonymous" : ", user '" + req.credentials.username() + "'") + ")" + detail);
        }
        return new RegistryException(what + " on " + target.registry() + " failed: HTTP " + code + detail);
    }

    static String errors(String body) {
        try {
            JsonNode errors = JSON.readTree(body).path("errors");
            List<String> parts = new ArrayList<>();
            for (JsonNode e : errors) {
                parts.add(e.path("code").asText() + ": " + e.path("message").asText());
            }
            return parts.isEmpty() ? "" : " " + parts;
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String bodyText(Response r) {
        try {
            return new String(r.body().byteStream().readNBytes(8192), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private RegistryException tlsFailure(IOException e) {
        return new RegistryException("TLS: the certificate of " + base.host() + ":" + base.port() + " is not trusted ("
                + e.getMessage() + "). If the registry uses its own CA (a cluster's), give its CA certificate PEM as caFile "
                + "(-Darchcore.registry.caFile=...)" + (req.caFile == null ? "" : "; the CA file " + req.caFile + " did not verify it"), e);
    }

    private static String describe(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return "timed out";
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private HttpUrl url(String path) {
        return base.resolve(path);
    }

    private HttpUrl location(Response r) {
        String loc = r.header("Location");
        if (loc == null) {
            throw new RegistryException(target.registry() + " answered " + r.code() + " without a Location ("
                    + r.request().method() + " " + path(r.request().url()) + ")");
        }
        HttpUrl resolved = r.request().url().resolve(loc);
        if (resolved == null) {
            throw new RegistryException(target.registry() + " answered with an invalid Location");
        }
        return resolved;
    }

    private static long rangeEnd(Response r) {
        String range = r.header("Range");
        if (range == null) {
            return -1;
        }
        Matcher m = Pattern.compile("(?:bytes=)?(\\d+)-(\\d+)").matcher(range.trim());
        return m.matches() ? Long.parseLong(m.group(2)) : -1;
    }

    private static String path(HttpUrl url) {
        return url.encodedPath(); // never the query: upload state tokens stay out of messages
    }

    static String shortDigest(String digest) {
        int colon = digest.indexOf(':');
        return digest.length() > colon + 13 ? digest.substring(0, colon + 13) + "…" : digest;
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f kB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
    }

    /** The system trust store plus the CA certificates in {@code caFile} (PEM). */
    public static X509TrustManager trustManager(Path caFile) {
        try {
            TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            system.init((KeyStore) null);
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (TrustManager tm : system.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        store.setCertificateEntry("system-" + i++, c);
                    }
                }
            }
            int own = 0;
            try (InputStream in = Files.newInputStream(caFile)) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("ca-" + own++, c);
                }
            }
            if (own == 0) {
                throw new RegistryException("the CA file " + caFile + " holds no PEM certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new RegistryException("no X.509 trust manager available");
        } catch (IOException | GeneralSecurityException e) {
            throw new RegistryException("cannot read the CA file " + caFile + ": " + e.getMessage(), e);
        }
    }

    /** A replayable request body: {@code length} bytes of {@code file} from {@code offset}. */
    private static final class FileRegion extends RequestBody {
        private final Path file;
        private final long offset;
        private final long length;
        private final UploadProgress progress;

        FileRegion(Path file, long offset, long length, UploadProgress progress) {
            this.file = file;
            this.offset = offset;
            this.length = length;
            this.progress = progress;
        }

        @Override
        public MediaType contentType() {
            return OCTETS;
        }

        @Override
        public long contentLength() {
            return length;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                long pos = offset;
                long end = offset + length;
                while (pos < end) {
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), end - pos));
                    int n = ch.read(buf, pos);
                    if (n < 0) {
                        throw new IOException(file + " is shorter than expected");
                    }
                    buf.flip();
                    sink.write(buf);
                    pos += n;
                    progress.sent(n);
                }
            }
        }
    }
}
