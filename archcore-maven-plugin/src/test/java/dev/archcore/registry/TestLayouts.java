package dev.archcore.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Small OCI image layouts written directly (valid gzip tar layers, config with diff_ids, manifest, index): the
 * push tests need images that share some layers and differ in others, fast.
 */
public final class TestLayouts {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A layer: one file {@code path} with {@code size} pseudo-random (incompressible) bytes from {@code seed}. */
    public record Layer(String path, int size, long seed, Path source) {
        public Layer(String path, int size, long seed) {
            this(path, size, seed, null);
        }

        /** A layer with one executable file {@code path}, copied from {@code source}. */
        public static Layer executable(String path, Path source) {
            try {
                return new Layer(path, (int) Files.size(source), 0, source);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] tar() {
            byte[] content = new byte[size];
            if (source != null) {
                try {
                    content = Files.readAllBytes(source);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else {
                new Random(seed).nextBytes(content);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
                TarArchiveEntry e = new TarArchiveEntry(path);
                e.setSize(size);
                e.setMode(source != null ? 0100755 : 0100644);
                e.setModTime(0);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }
    }

    /** Writes a one-image layout at {@code dir} tagged {@code tag}; returns the manifest digest. */
    public static String write(Path dir, String tag, List<Layer> layers) {
        try {
            Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
            ObjectNode config = JSON.createObjectNode();
            config.put("architecture", "amd64").put("os", "linux").put("created", "1970-01-01T00:00:00Z");
            config.putObject("config").putArray("Cmd").add("/usr/bin/app");
            ObjectNode rootfs = config.putObject("rootfs");
            rootfs.put("type", "layers");
            ArrayNode diffIds = rootfs.putArray("diff_ids");
            ObjectNode manifest = JSON.createObjectNode();
            manifest.put("schemaVersion", 2).put("mediaType", RegistryClient.OCI_MANIFEST);
            ArrayNode descriptors = JSON.createArrayNode();
            for (Layer l : layers) {
                byte[] tar = l.tar();
                diffIds.add(Digests.sha256(tar));
                ByteArrayOutputStream gz = new ByteArrayOutputStream();
                try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
                    out.write(tar);
                }
                descriptors.add(descriptor(blobs, "application/vnd.oci.image.layer.v1.tar+gzip", gz.toByteArray()));
            }
            manifest.set("config", descriptor(blobs, "application/vnd.oci.image.config.v1+json", JSON.writeValueAsBytes(config)));
            manifest.set("layers", descriptors);
            byte[] m = JSON.writeValueAsBytes(manifest);
            ObjectNode md = descriptor(blobs, RegistryClient.OCI_MANIFEST, m);
            md.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
            ObjectNode index = JSON.createObjectNode();
            index.put("schemaVersion", 2).put("mediaType", "application/vnd.oci.image.index.v1+json");
            index.putArray("manifests").add(md);
            Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(index));
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            return md.get("digest").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode descriptor(Path blobs, String mediaType, byte[] bytes) throws IOException {
        String digest = Digests.sha256(bytes);
        Files.write(blobs.resolve(digest.substring(7)), bytes);
        ObjectNode d = JSON.createObjectNode();
        d.put("mediaType", mediaType).put("digest", digest).put("size", bytes.length);
        return d;
    }
}
