package dev.archcore.registry;

import dev.archcore.util.HttpProxies;
import dev.archcore.util.Log;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What to push where, and how. Fluent setters; only {@code layout} and {@code target} are required.
 */
public final class PushRequest {
    Path layout;
    String selector;
    RegistryReference target;
    String mountFrom;
    Credentials credentials;
    boolean insecure;
    Path caFile;
    boolean dryRun;
    // every chunk is a request: 8 MiB chunks made a 338 MiB push 1.5x slower than skopeo (bench/README.md);
    // 64 MiB keeps resumable uploads for big layers with few round trips
    long chunkThreshold = 64L << 20;
    int chunkSize = 64 << 20;
    // blobs go up side by side, as docker push (5) and skopeo do: one upload leaves the registry's hashing and
    // the loopback or network idle between requests
    int parallelUploads = 3;
    Duration retryBudget = Duration.ofSeconds(60);
    Duration initialBackoff = Duration.ofMillis(250);
    Duration timeout = Duration.ofSeconds(60);
    Log log = Log.NONE;
    HttpProxies proxies = HttpProxies.NONE;
    java.net.InetSocketAddress connectVia;
    java.util.List<Attachment> attachments = java.util.List.of();

    public PushRequest(Path layout, RegistryReference target) {
        this.layout = layout;
        this.target = target;
    }

    /** The tag or manifest digest of the image in the layout; null for its only image. */
    public PushRequest image(String tagOrDigest) {
        this.selector = tagOrDigest;
        return this;
    }

    /** A repository on the same registry that may already hold the blobs: they are mounted, not sent. */
    public PushRequest mountFrom(String repository) {
        this.mountFrom = repository;
        return this;
    }

    /** Null for anonymous access. */
    public PushRequest credentials(Credentials credentials) {
        this.credentials = credentials;
        return this;
    }

    /** Plain HTTP; only for registries marked insecure. */
    public PushRequest insecure(boolean insecure) {
        this.insecure = insecure;
        return this;
    }

    /** A PEM file of CA certificates trusted in addition to the system's (a cluster's own CA). */
    public PushRequest caFile(Path caFile) {
        this.caFile = caFile;
        return this;
    }

    public PushRequest dryRun(boolean dryRun) {
        this.dryRun = dryRun;
        return this;
    }

    /** Blobs of at least {@code threshold} bytes go in PATCH chunks of {@code chunkSize} bytes. */
    public PushRequest chunking(long threshold, int chunkSize) {
        this.chunkThreshold = threshold;
        this.chunkSize = chunkSize;
        return this;
    }

    /** How many blobs are checked and uploaded at once (1 = one after the other). */
    public PushRequest parallelUploads(int parallel) {
        if (parallel < 1 || parallel > 16) {
            throw new IllegalArgumentException("parallel uploads must be 1-16, not " + parallel);
        }
        this.parallelUploads = parallel;
        return this;
    }

    /** How long to keep retrying (5xx, 429, broken connections) before giving up, and the first pause. */
    public PushRequest retries(Duration budget, Duration initialBackoff) {
        this.retryBudget = budget;
        this.initialBackoff = initialBackoff;
        return this;
    }

    /** Connect/read/write timeout of one request. */
    public PushRequest timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /** The proxies to reach the registry through (settings.xml's); {@link HttpProxies#NONE}: the JVM's. */
    public PushRequest proxies(HttpProxies proxies) {
        this.proxies = proxies == null ? HttpProxies.NONE : proxies;
        return this;
    }

    /**
     * Connect to this address instead of the registry's {@code host:port} (an SSH tunnel's local end, to the
     * registry's push side on the master); the requests still name the registry and TLS checks its name. Null: direct.
     */
    public PushRequest connectVia(java.net.InetSocketAddress address) {
        this.connectVia = address;
        return this;
    }

    /** Pushed after the image, in this order (a signature, an SBOM); never in a dry run. */
    public PushRequest attach(java.util.List<Attachment> attachments) {
        this.attachments = java.util.List.copyOf(attachments);
        return this;
    }

    public PushRequest log(Log log) {
        this.log = log;
        return this;
    }
}
