package dev.archcore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The one image manifest a push sends, read from an OCI image layout directory. */
record OciLayout(Path dir, String manifestDigest, String manifestMediaType, byte[] manifest, List<Blob> blobs) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A config or layer blob; {@code file} is in {@code blobs/<alg>/<hex>}. */
    record Blob(String digest, long size, String mediaType, Path file) {
    }

    /**
     * @param selector a tag (the {@code org.opencontainers.image.ref.name} annotation), a manifest digest, or null
     *                 for the only manifest of the index
     */
    static OciLayout read(Path dir, String selector) {
        try {
            JsonNode index = JSON.readTree(Files.readAllBytes(dir.resolve("index.json")));
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
            if (chosen == null && selector != null && selector.startsWith("sha256:") && Files.exists(blob(dir, selector))) {
                chosen = JSON.createObjectNode().put("digest", selector).put("mediaType", "application/vnd.oci.image.manifest.v1+json");
            }
            if (chosen == null) {
                throw new RegistryException("no image " + (selector == null ? "" : "'" + selector + "' ") + "in " + dir
                        + "/index.json (it has " + seen + ")");
            }
            String digest = chosen.path("digest").asText();
            byte[] manifest = Files.readAllBytes(blob(dir, digest));
            if (!Digests.sha256(manifest).equals(digest)) {
                throw new RegistryException("manifest blob " + digest + " in " + dir + " is corrupt (its bytes hash differently)");
            }
            JsonNode m = JSON.readTree(manifest);
            String mediaType = m.path("mediaType").asText(chosen.path("mediaType").asText());
            if (mediaType.endsWith("index.v1+json") || mediaType.endsWith("manifest.list.v2+json")) {
                throw new RegistryException(digest + " in " + dir + " is an index; pushing indexes is not supported yet");
            }
            List<Blob> blobs = new ArrayList<>();
            blobs.add(descriptor(dir, m.path("config")));
            for (JsonNode l : m.path("layers")) {
                blobs.add(descriptor(dir, l));
            }
            return new OciLayout(dir, digest, mediaType, manifest, List.copyOf(blobs));
        } catch (NoSuchFileException e) {
            throw new RegistryException(dir + " is not a complete OCI image layout: " + e.getFile() + " is missing"
                    + " (run archcore:image first)", e);
        } catch (IOException e) {
            throw new RegistryException("cannot read the OCI layout " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Blob descriptor(Path dir, JsonNode d) throws IOException {
        String digest = d.path("digest").asText();
        long size = d.path("size").asLong(-1);
        Path file = blob(dir, digest);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (Files.size(file) != size) {
            throw new RegistryException(file + " has " + Files.size(file) + " bytes, the manifest says " + size);
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
