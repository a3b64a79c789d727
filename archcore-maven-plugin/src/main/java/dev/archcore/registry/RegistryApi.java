package dev.archcore.registry;

/**
 * The few registry calls an {@link Attachment} needs, made by the push's own client (its authentication,
 * retries, TLS and proxies) in the pushed repository.
 */
public interface RegistryApi {
    /** {@code host[:port]/name} of the repository. */
    String repository();

    /** A manifest of the repository by tag or digest, or null when the registry has none by that name. */
    Manifest manifest(String reference);

    /** Puts a manifest under a tag or its digest. */
    Stored putManifest(String reference, byte[] manifest, String mediaType);

    /** Makes sure the registry has the blob (skipped when it has, else uploaded in one request); returns its digest. */
    String putBlob(byte[] blob);

    /** Logs a line as the push does. */
    void info(String line);

    /** A manifest as the registry served it. */
    record Manifest(byte[] bytes, String mediaType, String digest) {
    }

    /**
     * A manifest the registry stored: its digest, and whether the registry said it indexed its {@code subject}
     * ({@code OCI-Subject} header: it has the referrers API).
     */
    record Stored(String digest, boolean subjectIndexed) {
    }
}
