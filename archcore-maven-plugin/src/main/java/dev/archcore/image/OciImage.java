package dev.archcore.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The OCI image config and manifest as compact JSON in a fixed field order, so equal inputs give equal
 * digests. Media types are OCI's (gzip'd layers); Docker and skopeo read them as well.
 */
final class OciImage {
    static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    static final String INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
    static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
    static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String PACKAGES_LABEL = "dev.archcore.image.packages";

    static final ObjectMapper JSON = new ObjectMapper();

    /** A layer of the config's history. */
    record History(String createdBy, String comment) {
    }

    private OciImage() {
    }

    static String timestamp(long epochSeconds) {
        return Instant.ofEpochSecond(epochSeconds).toString();
    }

    static byte[] config(ImageConfig c, Platform platform, long created, List<String> diffIds, List<History> history,
                         List<String> packages) {
        ObjectNode root = JSON.createObjectNode();
        root.put("created", timestamp(created));
        root.put("architecture", platform.architecture());
        if (platform.variant() != null) {
            root.put("variant", platform.variant());
        }
        root.put("os", "linux");
        ObjectNode config = root.putObject("config");
        if (c.user() != null) {
            config.put("User", c.user());
        }
        if (!c.exposedPorts().isEmpty()) {
            ObjectNode ports = config.putObject("ExposedPorts");
            c.exposedPorts().stream().map(p -> p.contains("/") ? p : p + "/tcp").sorted().forEach(p -> ports.putObject(p));
        }
        ArrayNode env = config.putArray("Env");
        c.env().forEach((k, v) -> env.add(k + "=" + v));
        if (!c.entrypoint().isEmpty()) {
            ArrayNode a = config.putArray("Entrypoint");
            c.entrypoint().forEach(a::add);
        }
        if (!c.cmd().isEmpty()) {
            ArrayNode a = config.putArray("Cmd");
            c.cmd().forEach(a::add);
        }
        if (c.workingDir() != null) {
            config.put("WorkingDir", c.workingDir());
        }
        ObjectNode labels = config.putObject("Labels");
        labels(c, created, packages).forEach(labels::put);
        ObjectNode rootfs = root.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode ids = rootfs.putArray("diff_ids");
        diffIds.forEach(ids::add);
        ArrayNode h = root.putArray("history");
        for (History entry : history) {
            ObjectNode o = h.addObject();
            o.put("created", timestamp(created));
            o.put("created_by", entry.createdBy());
            o.put("comment", entry.comment());
        }
        return bytes(root);
    }

    /** The caller's labels, the standard ones, and one listing every package as {@code name=version}. */
    static Map<String, String> labels(ImageConfig c, long created, List<String> packages) {
        Map<String, String> labels = new TreeMap<>(c.labels());
        labels.put("org.opencontainers.image.created", timestamp(created));
        if (c.version() != null) {
            labels.put("org.opencontainers.image.version", c.version());
        }
        if (c.revision() != null) {
            labels.put("org.opencontainers.image.revision", c.revision());
        }
        if (c.source() != null) {
            labels.put("org.opencontainers.image.source", c.source());
        }
        labels.put(PACKAGES_LABEL, String.join(" ", packages));
        return labels;
    }

    static byte[] manifest(String configDigest, long configSize, List<BuiltImage.Layer> layers) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MANIFEST_TYPE);
        descriptor(root.putObject("config"), CONFIG_TYPE, configDigest, configSize);
        ArrayNode array = root.putArray("layers");
        for (BuiltImage.Layer l : layers) {
            descriptor(array.addObject(), LAYER_TYPE, l.digest(), l.size());
        }
        return bytes(root);
    }

    static ObjectNode descriptor(ObjectNode node, String mediaType, String digest, long size) {
        node.put("mediaType", mediaType);
        node.put("digest", digest);
        node.put("size", size);
        return node;
    }

    /** {@code index.json}: one manifest, tagged for OCI tools and for containerd/Docker. */
    static byte[] index(BuiltImage image) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", INDEX_TYPE);
        ObjectNode m = descriptor(root.putArray("manifests").addObject(), MANIFEST_TYPE, image.manifestDigest(),
                image.manifest().length);
        ObjectNode annotations = m.putObject("annotations");
        annotations.put("io.containerd.image.name", image.reference());
        annotations.put("org.opencontainers.image.ref.name", image.tag());
        ObjectNode platform = m.putObject("platform");
        platform.put("architecture", image.platform().architecture());
        platform.put("os", "linux");
        if (image.platform().variant() != null) {
            platform.put("variant", image.platform().variant());
        }
        return bytes(root);
    }

    static byte[] layoutMarker() {
        return "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    static byte[] bytes(Object node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
