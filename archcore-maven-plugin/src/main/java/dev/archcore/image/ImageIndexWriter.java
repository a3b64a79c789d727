package dev.archcore.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One OCI layout for a multi-architecture image: the blobs of every per-architecture layout, an image index
 * naming each manifest with its platform, and {@code index.json} tagging that index with the tag (what skopeo,
 * docker and registries see) and each manifest with {@code <tag>-<arch>} (what {@code umoci unpack} of one
 * platform takes). Written next to the target and swapped in, as {@link OciLayoutWriter} does.
 */
public final class ImageIndexWriter {
    // multi-architecture only, so databind's start-up cost stays off the single-platform build
    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageIndexWriter() {
    }

    /**
     * @param layouts per pacman architecture ({@code x86_64}, ...), in the order the index lists them: layouts
     *                with one image each, as {@link ImageBuilder} writes them
     * @return the digest of the image index
     */
    public static String write(Map<String, Path> layouts, Path target, String tag) throws IOException {
        if (layouts.isEmpty()) {
            throw new ImageBuildException("an image index needs at least one architecture");
        }
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", OciImage.INDEX_TYPE);
        ArrayNode manifests = index.putArray("manifests");
        ObjectNode top = JSON.createObjectNode();
        top.put("schemaVersion", 2);
        top.put("mediaType", OciImage.INDEX_TYPE);
        ArrayNode tags = top.putArray("manifests");

        Path dir = target.toAbsolutePath().normalize();
        Path temp = dir.resolveSibling("." + dir.getFileName() + ".part");
        Path old = dir.resolveSibling("." + dir.getFileName() + ".old");
        OciLayoutWriter.deleteTree(temp);
        OciLayoutWriter.deleteTree(old);
        try {
            Path blobs = Files.createDirectories(temp.resolve("blobs/sha256"));
            for (Map.Entry<String, Path> e : layouts.entrySet()) {
                Path layout = e.getValue();
                JsonNode single = JSON.readTree(layout.resolve("index.json").toFile()).path("manifests");
                if (single.size() != 1) {
                    throw new ImageBuildException(layout + " holds " + single.size() + " images, not one");
                }
                JsonNode m = single.get(0);
                Platform wanted = Platform.fromPacman(e.getKey());
                if (!m.path("platform").path("architecture").asText().equals(wanted.architecture())) {
                    // an index whose entries all say amd64 makes every pull take the first one: refuse it here
                    throw new ImageBuildException(layout + " is an image for " + m.path("platform").path("architecture")
                            .asText() + ", not for " + e.getKey() + " (" + wanted.architecture() + "): an image of 'any' "
                            + "packages takes its platform from the target architecture, so build each with it "
                            + "(ImageRequest.forArch(\"" + e.getKey() + "\"), as archcore.arch does)");
                }
                ObjectNode d = descriptor(manifests.addObject(), m.path("mediaType").asText(),
                        m.path("digest").asText(), m.path("size").asLong());
                d.set("platform", m.path("platform").deepCopy());
                ObjectNode t = tags.addObject().setAll(d.deepCopy());
                t.putObject("annotations").put("org.opencontainers.image.ref.name", tag + "-" + e.getKey());
                try (Stream<Path> files = Files.list(layout.resolve("blobs/sha256"))) {
                    for (Path blob : files.toList()) {
                        Path to = blobs.resolve(blob.getFileName().toString());
                        if (!Files.exists(to)) {
                            OciLayoutWriter.linkOrCopy(blob, to);
                        }
                    }
                }
            }
            byte[] indexBytes = bytes(index);
            String digest = "sha256:" + Digests.sha256(indexBytes);
            Files.write(blobs.resolve(BuiltImage.hex(digest)), indexBytes);
            ObjectNode tagged = JSON.createObjectNode();
            descriptor(tagged, OciImage.INDEX_TYPE, digest, indexBytes.length)
                    .putObject("annotations").put("org.opencontainers.image.ref.name", tag);
            tags.insert(0, tagged);
            Files.write(temp.resolve("oci-layout"), OciImage.layoutMarker());
            Files.write(temp.resolve("index.json"), bytes(top));
            if (Files.exists(dir)) {
                if (!Files.exists(dir.resolve("oci-layout"))) {
                    throw new ImageBuildException(dir + " exists and is not an OCI image layout; refusing to replace it");
                }
                Files.move(dir, old);
            }
            AtomicFiles.move(temp, dir);
            OciLayoutWriter.deleteTree(old);
            return digest;
        } finally {
            OciLayoutWriter.deleteTree(temp);
        }
    }

    private static ObjectNode descriptor(ObjectNode node, String mediaType, String digest, long size) {
        node.put("mediaType", mediaType);
        node.put("digest", digest);
        node.put("size", size);
        return node;
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
