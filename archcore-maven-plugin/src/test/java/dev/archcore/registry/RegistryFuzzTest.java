package dev.archcore.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.archcore.testing.FuzzRules;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
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
}
