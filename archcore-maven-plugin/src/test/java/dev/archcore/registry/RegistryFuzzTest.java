package dev.archcore.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.archcore.testing.FuzzRules;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for what a push reads: the OCI layout it pushes (index.json, manifests, indexes), a registry's
 * {@code WWW-Authenticate} challenge, a token service's answer and a registry's error body, and the manifest
 * rewritten for a Docker-only registry. Seeds in RegistryFuzzTestInputs/; bench/fuzz.sh fuzzes each target.
 */
@Timeout(10)
class RegistryFuzzTest {

    /**
     * An OCI layout given as NUL-separated parts: index.json, then blobs 1..n. So that mutations reach past the
     * digest checks, {@code sha256:PARTk} in a part is replaced by blob k's real digest and {@code SIZEk} by its
     * length (blobs refer only to later blobs, as an index refers to manifests and a manifest to layers).
     */
    @FuzzTest
    void ociLayout(byte[] data) throws IOException {
        if (data.length > FuzzRules.MAX_INPUT) {
            return;
        }
        List<byte[]> parts = split(data);
        Path dir = FuzzRules.emptyDir("layout");
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
        String[] digests = new String[parts.size()];
        for (int k = parts.size() - 1; k >= 0; k--) {
            String text = new String(parts.get(k), StandardCharsets.ISO_8859_1);
            for (int later = parts.size() - 1; later > k; later--) {
                text = text.replace("sha256:PART" + later, digests[later])
                        .replace("SIZE" + later, Integer.toString(parts.get(later).length));
            }
            byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
            parts.set(k, bytes);
            digests[k] = Digests.sha256(bytes);
            Files.write(k == 0 ? dir.resolve("index.json") : blobs.resolve(digests[k].substring(7)), bytes);
        }
        FuzzRules.onlyClearErrors(() -> {
            OciLayout layout = OciLayout.read(dir, null);
            assertThat(layout.manifestDigest()).startsWith("sha256:");
        }, RegistryException.class);
    }

    @FuzzTest
    void challenge(byte[] data) {
        String header = new String(data, StandardCharsets.ISO_8859_1);
        assertThat(RegistryClient.challengeScheme(header)).isNotNull();
        assertThat(RegistryClient.challengeParams(header)).doesNotContainKey(null);
    }

    /** A token service's or registry's answer body. A token answer that is not JSON is retried, then reported. */
    @FuzzTest
    void registryAnswer(byte[] data) {
        assertThat(RegistryClient.errors(new String(data, StandardCharsets.UTF_8))).isNotNull();
        try {
            assertThat(RegistryClient.token(new ByteArrayInputStream(data))).isNotNull();
        } catch (IOException e) {
            // fetchToken retries it as a failed exchange and names it when it gives up
        }
    }

    /** An OCI manifest from the layout, rewritten for a registry that knows only Docker's media types. */
    @FuzzTest
    void dockerManifest(byte[] data) {
        FuzzRules.onlyClearErrors(() -> RegistryClient.toDocker(data), RegistryException.class);
    }

    private static List<byte[]> split(byte[] data) {
        List<byte[]> parts = new ArrayList<>();
        ByteArrayOutputStream part = new ByteArrayOutputStream();
        for (byte b : data) {
            if (b == 0) {
                parts.add(part.toByteArray());
                part.reset();
            } else {
                part.write(b);
            }
        }
        parts.add(part.toByteArray());
        return parts;
    }

    /**
     * What a registry answers for the tags a push extends: the {@code sha256-<hex>.sig} manifest of signatures and
     * the {@code sha256-<hex>} index of referrers (OCI 1.1 tag schema), read, extended and written back.
     */
    @FuzzTest
    void existingAttachments(byte[] data) throws IOException {
        if (data.length > FuzzRules.MAX_INPUT) {
            return;
        }
        Path sbom = FuzzRules.emptyDir("attachments").resolve("image.spdx.json");
        Files.writeString(sbom, "{}");
        RegistryApi registry = new RegistryApi() {
            @Override
            public String repository() {
                return "127.0.0.1:5000/app";
            }

            @Override
            public Manifest manifest(String reference) {
                String type = reference.endsWith(".sig") ? OCI_MANIFEST : ReferrerPush.OCI_INDEX;
                return new Manifest(data, type, Digests.sha256(data));
            }

            @Override
            public Stored putManifest(String reference, byte[] manifest, String mediaType) {
                return new Stored(Digests.sha256(manifest), false);
            }

            @Override
            public String putBlob(byte[] blob) {
                return Digests.sha256(blob);
            }

            @Override
            public void info(String line) {
            }
        };
        Attachment.Descriptor image = new Attachment.Descriptor(OCI_MANIFEST, "sha256:" + "a".repeat(64), 100);
        FuzzRules.onlyClearErrors(() -> new dev.archcore.registry.signing.SignaturePush(SIGNER)
                .attach(registry, image, List.of("1.0")), RegistryException.class);
        FuzzRules.onlyClearErrors(() -> new ReferrerPush(sbom, null).attach(registry, image, List.of("1.0")),
                RegistryException.class);
    }

    private static final String OCI_MANIFEST = RegistryClient.OCI_MANIFEST;
    private static final dev.archcore.registry.signing.CosignSigner SIGNER = new dev.archcore.registry.signing.CosignSigner(
            dev.archcore.registry.signing.SigningKey.ensure(FuzzRules.emptyDir("signing-key"), dev.archcore.util.Log.NONE),
            "fuzz");
}
