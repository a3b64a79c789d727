package dev.archcore.image;

import java.nio.file.Path;
import java.util.List;

/**
 * What was built: the manifest digest (what a registry and {@code image.digest} name), the config digest
 * (Docker's image id), each layer, and where the outputs went (null for outputs not asked for).
 */
public record ImageResult(String reference, String manifestDigest, String configDigest, List<Layer> layers,
                          Path ociLayout, Path dockerArchive, Path sbom, List<String> packages) {

    /** One layer: diff_id (of the tar), digest and size (of the gzip blob), and whether the cache had it. */
    public record Layer(String label, String diffId, String digest, long size, List<String> packages, boolean cached) {
    }
}
