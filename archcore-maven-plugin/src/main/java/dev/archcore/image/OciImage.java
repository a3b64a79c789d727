package dev.archcore.image;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.archcore.util.Json;

import java.io.IOException;
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
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeStringField("created", timestamp(created));
            g.writeStringField("architecture", platform.architecture());
            if (platform.variant() != null) {
                g.writeStringField("variant", platform.variant());
            }
            g.writeStringField("os", "linux");
            g.writeObjectFieldStart("config");
            if (c.user() != null) {
                g.writeStringField("User", c.user());
            }
            if (!c.exposedPorts().isEmpty()) {
                g.writeObjectFieldStart("ExposedPorts");
                for (String p : c.exposedPorts().stream().map(p -> p.contains("/") ? p : p + "/tcp").sorted().distinct().toList()) {
                    g.writeObjectFieldStart(p);
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeArrayFieldStart("Env");
            for (Map.Entry<String, String> e : c.env().entrySet()) {
                g.writeString(e.getKey() + "=" + e.getValue());
            }
            g.writeEndArray();
            if (!c.entrypoint().isEmpty()) {
                strings(g, "Entrypoint", c.entrypoint());
            }
            if (!c.cmd().isEmpty()) {
                strings(g, "Cmd", c.cmd());
            }
            if (c.workingDir() != null) {
                g.writeStringField("WorkingDir", c.workingDir());
            }
            g.writeObjectFieldStart("Labels");
            for (Map.Entry<String, String> e : labels(c, created, packages).entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
            g.writeObjectFieldStart("rootfs");
            g.writeStringField("type", "layers");
            strings(g, "diff_ids", diffIds);
            g.writeEndObject();
            g.writeArrayFieldStart("history");
            for (History entry : history) {
                g.writeStartObject();
                g.writeStringField("created", timestamp(created));
                g.writeStringField("created_by", entry.createdBy());
                g.writeStringField("comment", entry.comment());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static void strings(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
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
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeNumberField("schemaVersion", 2);
            g.writeStringField("mediaType", MANIFEST_TYPE);
            g.writeFieldName("config");
            descriptor(g, CONFIG_TYPE, configDigest, configSize);
            g.writeEndObject();
            g.writeArrayFieldStart("layers");
            for (BuiltImage.Layer l : layers) {
                descriptor(g, LAYER_TYPE, l.digest(), l.size());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** Starts a descriptor object and writes its fields; the caller may add more, then ends it. */
    static void descriptor(JsonGenerator g, String mediaType, String digest, long size) throws IOException {
        g.writeStartObject();
        g.writeStringField("mediaType", mediaType);
        g.writeStringField("digest", digest);
        g.writeNumberField("size", size);
    }

    /** {@code index.json}: one manifest, tagged for OCI tools and for containerd/Docker. */
    static byte[] index(BuiltImage image) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeNumberField("schemaVersion", 2);
            g.writeStringField("mediaType", INDEX_TYPE);
            g.writeArrayFieldStart("manifests");
            descriptor(g, MANIFEST_TYPE, image.manifestDigest(), image.manifest().length);
            g.writeObjectFieldStart("annotations");
            g.writeStringField("io.containerd.image.name", image.reference());
            g.writeStringField("org.opencontainers.image.ref.name", image.tag());
            g.writeEndObject();
            g.writeObjectFieldStart("platform");
            g.writeStringField("architecture", image.platform().architecture());
            g.writeStringField("os", "linux");
            if (image.platform().variant() != null) {
                g.writeStringField("variant", image.platform().variant());
            }
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    static byte[] layoutMarker() {
        return "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
