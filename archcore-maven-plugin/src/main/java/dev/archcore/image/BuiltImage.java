package dev.archcore.image;

import java.nio.file.Path;
import java.util.List;

/**
 * An image ready to be written: config and manifest bytes (their digests are what registries and engines see)
 * and the gzip'd layer blobs. {@code name} is the repository (e.g. {@code archcore/demo}), {@code tag} the tag.
 */
public record BuiltImage(String name, String tag, byte[] config, String configDigest, byte[] manifest,
                         String manifestDigest, List<Layer> layers, Platform platform) {

    public record Layer(String diffId, String digest, long size, Path blob) {
    }

    public String reference() {
        return name + ":" + tag;
    }

    static String hex(String digest) {
        return digest.substring("sha256:".length());
    }
}
