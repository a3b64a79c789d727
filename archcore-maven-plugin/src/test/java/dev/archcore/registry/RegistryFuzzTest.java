package dev.archcore.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.archcore.testing.FuzzRules;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.charset.StandardCharsets;

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
     * length (blobs refer only to later blobs, as an index refers to manifests and a manifest to layers). The layout
     * is served from memory ({@link MemoryLayout}) through the same {@code OciLayout.read} as a directory;
     * OciLayoutFilesTest replays every input from a real directory too and expects the same result.
     */
    @FuzzTest
    void ociLayout(byte[] data) {
        if (data.length > FuzzRules.MAX_INPUT) {
            return;
        }
        MemoryLayout layout = MemoryLayout.of(data);
        FuzzRules.onlyClearErrors(() -> {
            OciLayout read = OciLayout.read(layout.dir(), null, layout);
            assertThat(read.manifestDigest()).startsWith("sha256:");
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
