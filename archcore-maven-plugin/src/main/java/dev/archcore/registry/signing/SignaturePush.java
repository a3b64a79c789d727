package dev.archcore.registry.signing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.registry.Attachment;
import dev.archcore.registry.RegistryApi;
import dev.archcore.registry.RegistryException;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Attaches a cosign signature to a pushed image as cosign and containers/image (skopeo, podman) do: an OCI image
 * manifest under the tag {@code sha256-<hex>.sig} in the image's repository, one layer per signature (the
 * simple-signing payload, the base64 signature in its annotation), and a config whose {@code rootfs.diff_ids}
 * list the layers. One signature per pushed tag, each naming {@code host/name:tag}, so a node's policy with the
 * default {@code matchRepoDigestOrExact} identity accepts the tag it pulls. The manifest is read, extended and
 * written back: signatures already there (another key's, an earlier push's) are kept; one this key already made
 * for the same payload is not added again.
 */
public record SignaturePush(CosignSigner signer) implements Attachment {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

    /** The tag cosign and containers/image look for: {@code sha256:<hex>} becomes {@code sha256-<hex>.sig}. */
    public static String tag(String manifestDigest) {
        return manifestDigest.replace(':', '-') + ".sig";
    }

    @Override
    public String what() {
        return "its signature";
    }

    @Override
    public String attach(RegistryApi registry, Descriptor image, List<String> tags) {
        String tag = tag(image.digest());
        RegistryApi.Manifest existing = registry.manifest(tag);
        ObjectNode manifest;
        if (existing == null) {
            manifest = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", OCI_MANIFEST);
            manifest.putObject("config");
            manifest.putArray("layers");
        } else {
            manifest = readExisting(registry, tag, existing);
        }
        ArrayNode layers = (ArrayNode) manifest.get("layers");
        int added = 0;
        for (String t : tags) {
            String reference = registry.repository() + ":" + t;
            byte[] payload = signer.payload(image.digest(), reference);
            if (alreadySigned(layers, payload)) {
                continue;
            }
            String digest = registry.putBlob(payload);
            ObjectNode layer = layers.addObject().put("mediaType", CosignSigner.PAYLOAD_MEDIA_TYPE)
                    .put("size", payload.length).put("digest", digest);
            layer.putObject("annotations").put(CosignSigner.SIGNATURE_ANNOTATION, signer.sign(payload));
            added++;
        }
        if (added == 0) {
            return "signature " + registry.repository() + ":" + tag + " (already signed by this key)";
        }
        // containers/image and cosign write the same kind of config: empty but for the layers as diff_ids
        ObjectNode config = JSON.createObjectNode().put("architecture", "").put("os", "");
        config.putObject("config");
        ObjectNode rootfs = config.putObject("rootfs").put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        layers.forEach(l -> diffIds.add(l.path("digest").asText()));
        byte[] configBytes = bytes(config);
        String configDigest = registry.putBlob(configBytes);
        manifest.set("config", JSON.createObjectNode().put("mediaType", OCI_CONFIG).put("size", configBytes.length)
                .put("digest", configDigest));
        registry.putManifest(tag, bytes(manifest), OCI_MANIFEST);
        registry.info("Signed " + registry.repository() + "@" + image.digest() + " (" + added + " signature"
                + (added == 1 ? "" : "s") + " for " + String.join(", ", tags) + ", key " + signer.key().source()
                + ") in " + registry.repository() + ":" + tag);
        return "signature " + registry.repository() + ":" + tag;
    }

    private static ObjectNode readExisting(RegistryApi registry, String tag, RegistryApi.Manifest existing) {
        try {
            JsonNode tree = JSON.readTree(existing.bytes());
            if (existing.mediaType().equals(OCI_MANIFEST) && tree instanceof ObjectNode m && m.path("layers").isArray()) {
                if (!m.has("config")) {
                    m.putObject("config");
                }
                return m;
            }
        } catch (IOException e) {
            // reported below
        }
        throw new RegistryException(registry.repository() + ":" + tag + " exists but is not an OCI image manifest of "
                + "signatures (it is " + existing.mediaType() + "), so the signature cannot be added to it: that tag "
                + "is where cosign and skopeo look for signatures; delete it from the registry and push again");
    }

    /** A layer with this payload whose signature this key made (another key's signature of it is kept beside). */
    private boolean alreadySigned(ArrayNode layers, byte[] payload) {
        String digest = sha256(payload);
        for (JsonNode l : layers) {
            if (l.path("digest").asText().equals(digest) && signer.verifies(payload,
                    l.path("annotations").path(CosignSigner.SIGNATURE_ANNOTATION).asText(""))) {
                return true;
            }
        }
        return false;
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
