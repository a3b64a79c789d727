package dev.archcore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Attaches an image's SBOM as an OCI 1.1 referrer: an image manifest with {@code artifactType}
 * {@code application/spdx+json}, the empty config, the SPDX document as its one layer and the image's manifest as
 * its {@code subject}, pushed by digest. A registry with the referrers API says so ({@code OCI-Subject} header on
 * the PUT); for one without (distribution 2.8), the referrer is also listed in the tag-schema fallback: an OCI
 * index under the tag {@code sha256-<hex>} of the subject, read, extended and written back so other referrers
 * already listed (another tool's) stay.
 *
 * @param sbom    the SPDX JSON file
 * @param subject the manifest digest it describes; null for the pushed image itself
 */
public record ReferrerPush(Path sbom, String subject) implements Attachment {
    public static final String SPDX = "application/spdx+json";
    static final String EMPTY = "application/vnd.oci.empty.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The tag-schema fallback's tag for a subject: {@code sha256:<hex>} becomes {@code sha256-<hex>}. */
    public static String fallbackTag(String subjectDigest) {
        return subjectDigest.replace(':', '-');
    }

    /**
     * The SBOMs archcore:image wrote beside a layout, each with the manifest it describes: {@code <layout>.spdx.json}
     * for a one-image layout; for an index, {@code <layout>-<arch>.spdx.json} of each architecture whose
     * {@code <layout>-<arch>.digest} names a manifest of the index (a file from an earlier build is left out).
     */
    public static List<ReferrerPush> besideLayout(Path layout, String selector) {
        OciLayout read = OciLayout.read(layout, selector);
        List<ReferrerPush> out = new ArrayList<>();
        if (read.children().isEmpty()) {
            Path sbom = layout.resolveSibling(layout.getFileName() + ".spdx.json");
            if (Files.isRegularFile(sbom)) {
                out.add(new ReferrerPush(sbom, null));
            }
            return out;
        }
        List<String> children = read.children().stream().map(OciLayout.Child::digest).toList();
        try (DirectoryStream<Path> digests = Files.newDirectoryStream(layout.toAbsolutePath().getParent(),
                layout.getFileName() + "-*.digest")) {
            for (Path d : digests) {
                String digest = Files.readString(d, StandardCharsets.US_ASCII).strip();
                String name = d.getFileName().toString();
                Path sbom = d.resolveSibling(name.substring(0, name.length() - ".digest".length()) + ".spdx.json");
                if (children.contains(digest) && Files.isRegularFile(sbom)) {
                    out.add(new ReferrerPush(sbom, digest));
                }
            }
        } catch (IOException e) {
            throw new RegistryException("cannot list the SBOMs beside " + layout + ": " + e.getMessage(), e);
        }
        out.sort(java.util.Comparator.comparing(r -> r.sbom().getFileName().toString()));
        return out;
    }

    @Override
    public String what() {
        return "its SBOM " + sbom.getFileName();
    }

    @Override
    public String attach(RegistryApi registry, Descriptor image, List<String> tags) {
        Descriptor described = image;
        if (subject != null && !subject.equals(image.digest())) {
            RegistryApi.Manifest m = registry.manifest(subject);
            if (m == null) {
                throw new RegistryException("the manifest " + subject + " the SBOM " + sbom + " describes is not in "
                        + registry.repository());
            }
            described = new Descriptor(m.mediaType(), subject, m.bytes().length);
        }
        byte[] document;
        try {
            document = Files.readAllBytes(sbom);
        } catch (IOException e) {
            throw new RegistryException("cannot read the SBOM " + sbom + ": " + e.getMessage(), e);
        }
        byte[] empty = "{}".getBytes(StandardCharsets.US_ASCII);
        String emptyDigest = registry.putBlob(empty);
        String documentDigest = registry.putBlob(document);

        ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2)
                .put("mediaType", RegistryClient.OCI_MANIFEST).put("artifactType", SPDX);
        manifest.putObject("config").put("mediaType", EMPTY).put("digest", emptyDigest).put("size", empty.length);
        ObjectNode layer = manifest.putArray("layers").addObject().put("mediaType", SPDX).put("digest", documentDigest)
                .put("size", document.length);
        layer.putObject("annotations").put("org.opencontainers.image.title", sbom.getFileName().toString());
        manifest.set("subject", descriptor(described.mediaType(), described.digest(), described.size()));
        byte[] bytes = bytes(manifest);
        String digest = Digests.sha256(bytes);
        RegistryApi.Stored stored = registry.putManifest(digest, bytes, RegistryClient.OCI_MANIFEST);
        if (stored.subjectIndexed()) {
            registry.info("Attached the SBOM " + sbom.getFileName() + " to " + registry.repository() + "@"
                    + described.digest() + " as referrer " + digest);
            return "sbom " + registry.repository() + "@" + digest;
        }
        String tag = fallbackTag(described.digest());
        ObjectNode index = existingIndex(registry, tag);
        ArrayNode manifests = (ArrayNode) index.get("manifests");
        for (int i = manifests.size() - 1; i >= 0; i--) {
            if (manifests.get(i).path("digest").asText().equals(digest)) {
                manifests.remove(i);
            }
        }
        manifests.add(descriptor(RegistryClient.OCI_MANIFEST, digest, bytes.length).put("artifactType", SPDX));
        registry.putManifest(tag, bytes(index), OCI_INDEX);
        registry.info("Attached the SBOM " + sbom.getFileName() + " to " + registry.repository() + "@"
                + described.digest() + " as referrer " + digest + " (listed in " + registry.repository() + ":" + tag
                + ": the registry has no referrers API)");
        return "sbom " + registry.repository() + "@" + digest + " (in " + tag + ")";
    }

    private static ObjectNode existingIndex(RegistryApi registry, String tag) {
        RegistryApi.Manifest existing = registry.manifest(tag);
        if (existing == null) {
            ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", OCI_INDEX);
            index.putArray("manifests");
            return index;
        }
        try {
            JsonNode tree = JSON.readTree(existing.bytes());
            if (existing.mediaType().equals(OCI_INDEX) && tree instanceof ObjectNode index
                    && index.path("manifests").isArray()) {
                return index;
            }
        } catch (IOException e) {
            // reported below
        }
        throw new RegistryException(registry.repository() + ":" + tag + " exists but is not an OCI image index (it is "
                + existing.mediaType() + "): that tag is where registries without the referrers API list an image's "
                + "referrers (OCI 1.1 tag schema), so the SBOM cannot be listed there. Delete the tag from the "
                + "registry and push again, or skip the SBOM with -Darchcore.push.sbom.skip=true");
    }

    private static ObjectNode descriptor(String mediaType, String digest, long size) {
        return JSON.createObjectNode().put("mediaType", mediaType).put("digest", digest).put("size", size);
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
