package dev.archcore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The image a push sends, read from an OCI image layout directory: one manifest, or an image index with the
 * manifests it names ({@code children}, pushed by digest before the index).
 */
record OciLayout(Path dir, String manifestDigest, String manifestMediaType, byte[] manifest, List<Blob> blobs,
                 List<Child> children) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A config or layer blob; {@code file} is in {@code blobs/<alg>/<hex>}. */
    record Blob(String digest, long size, String mediaType, Path file) {
    }

    /** A manifest of an index. */
    record Child(String digest, String mediaType, byte[] manifest) {
    }

    /**
     * The few file operations {@link #read} makes, so the fuzz target can serve a layout from memory (writing a
     * directory per input held it near 200 inputs a second). Production reads the disk through {@link #DISK}.
     */
    interface LayoutFiles {
        /** The whole file; NoSuchFileException when there is none. */
        byte[] readAllBytes(Path file) throws IOException;

        boolean exists(Path file);

        /** The size of a regular file; NoSuchFileException when there is none (a directory is none). */
        long regularFileSize(Path file) throws IOException;
    }

    static final LayoutFiles DISK = new LayoutFiles() {
        @Override
        public byte[] readAllBytes(Path file) throws IOException {
            return Files.readAllBytes(file);
        }

        @Override
        public boolean exists(Path file) {
            return Files.exists(file);
        }

        @Override
        public long regularFileSize(Path file) throws IOException {
            if (!Files.isRegularFile(file)) {
                throw new NoSuchFileException(file.toString());
            }
            return Files.size(file);
        }
    };

    static OciLayout read(Path dir, String selector) {
        return read(dir, selector, DISK);
    }

    /**
     * @param selector a tag (the {@code org.opencontainers.image.ref.name} annotation), a manifest digest, or null
     *                 for the only manifest of the index
     */
    static OciLayout read(Path dir, String selector, LayoutFiles files) {
        try {
            JsonNode index = JSON.readTree(files.readAllBytes(dir.resolve("index.json")));
            JsonNode chosen = null;
            List<String> seen = new ArrayList<>();
            for (JsonNode m : index.path("manifests")) {
                String ref = m.path("annotations").path("org.opencontainers.image.ref.name").asText("");
                String digest = m.path("digest").asText();
                seen.add(ref.isEmpty() ? digest : ref + " (" + digest + ")");
                if (selector == null || selector.equals(ref) || selector.equals(digest)) {
                    if (chosen != null && selector == null) {
                        throw new RegistryException(dir + " holds several images " + seen + "; name the tag or digest to push");
                    }
                    chosen = chosen == null ? m : chosen;
                }
            }
            if (chosen == null && selector != null && selector.startsWith("sha256:") && files.exists(blob(dir, selector))) {
                chosen = JSON.createObjectNode().put("digest", selector).put("mediaType", "application/vnd.oci.image.manifest.v1+json");
            }
            if (chosen == null) {
                throw new RegistryException("no image " + (selector == null ? "" : "'" + selector + "' ") + "in " + dir
                        + "/index.json (it has " + seen + ")");
            }
            String digest = chosen.path("digest").asText();
            byte[] manifest = manifest(files, dir, digest);
            JsonNode m = JSON.readTree(manifest);
            String mediaType = m.path("mediaType").asText(chosen.path("mediaType").asText());
            List<Blob> blobs = new ArrayList<>();
            List<Child> children = new ArrayList<>();
            if (isIndex(mediaType)) {
                for (JsonNode d : m.path("manifests")) {
                    String childDigest = d.path("digest").asText();
                    byte[] child = manifest(files, dir, childDigest);
                    JsonNode c = JSON.readTree(child);
                    String childType = c.path("mediaType").asText(d.path("mediaType").asText());
                    if (isIndex(childType)) {
                        throw new RegistryException(childDigest + " in " + dir + " is an index inside an index; push "
                                + "its images one by one");
                    }
                    blobs(files, dir, c, blobs);
                    children.add(new Child(childDigest, childType, child));
                }
            } else {
                blobs(files, dir, m, blobs);
            }
            return new OciLayout(dir, digest, mediaType, manifest, List.copyOf(blobs), List.copyOf(children));
        } catch (NoSuchFileException e) {
            throw new RegistryException(dir + " is not a complete OCI image layout: " + e.getFile() + " is missing"
                    + " (run archcore:image first)", e);
        } catch (IOException e) {
            throw new RegistryException("cannot read the OCI layout " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean isIndex(String mediaType) {
        return mediaType.endsWith("index.v1+json") || mediaType.endsWith("manifest.list.v2+json");
    }

    private static byte[] manifest(LayoutFiles files, Path dir, String digest) throws IOException {
        byte[] manifest = files.readAllBytes(blob(dir, digest));
        if (!Digests.sha256(manifest).equals(digest)) {
            throw new RegistryException("manifest blob " + digest + " in " + dir + " is corrupt (its bytes hash differently)");
        }
        return manifest;
    }

    /** The config and layers of a manifest, each blob once. */
    private static void blobs(LayoutFiles files, Path dir, JsonNode manifest, List<Blob> blobs) throws IOException {
        List<JsonNode> all = new ArrayList<>();
        all.add(manifest.path("config"));
        manifest.path("layers").forEach(all::add);
        for (JsonNode d : all) {
            String digest = d.path("digest").asText();
            if (blobs.stream().noneMatch(b -> b.digest().equals(digest))) {
                blobs.add(descriptor(files, dir, d));
            }
        }
    }

    private static Blob descriptor(LayoutFiles files, Path dir, JsonNode d) throws IOException {
        String digest = d.path("digest").asText();
        long size = d.path("size").asLong(-1);
        Path file = blob(dir, digest);
        long actual = files.regularFileSize(file);
        if (actual != size) {
            throw new RegistryException(file + " has " + actual + " bytes, the manifest says " + size);
        }
        return new Blob(digest, size, d.path("mediaType").asText(), file);
    }

    static Path blob(Path dir, String digest) {
        int colon = digest.indexOf(':');
        if (colon <= 0 || !digest.matches("[a-z0-9]+:[a-f0-9]{32,128}")) {
            throw new RegistryException("invalid digest '" + digest + "' in " + dir);
        }
        return dir.resolve("blobs").resolve(digest.substring(0, colon)).resolve(digest.substring(colon + 1));
    }
}
