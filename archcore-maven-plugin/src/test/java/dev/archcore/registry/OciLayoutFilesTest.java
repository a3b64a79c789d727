package dev.archcore.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ociLayout fuzz target reads layouts from memory; this checks that memory and a real directory give
 * {@code OciLayout.read} the same answer, for every committed input of the target and a few hand-made layouts, so
 * what the fuzzer explores is what a push reads from disk. {@code -Darchcore.fuzz.corpus=DIR} replays a generated
 * corpus too (bench/fuzz.sh keeps it in WORK/corpus/RegistryFuzzTest.ociLayout).
 */
class OciLayoutFilesTest {
    @TempDir
    Path temp;

    @Test
    void aDirectoryAndMemoryReadAlike() throws Exception {
        List<byte[]> inputs = new ArrayList<>(committedInputs());
        inputs.add(HAND_MADE_MISSING_LAYER);
        inputs.add(HAND_MADE_WRONG_SIZE);
        inputs.add(HAND_MADE_CORRUPT_MANIFEST);
        String corpus = System.getProperty("archcore.fuzz.corpus");
        if (corpus != null) {
            try (Stream<Path> files = Files.list(Path.of(corpus))) {
                for (Path f : files.sorted().toList()) {
                    inputs.add(Files.readAllBytes(f));
                }
            }
        }
        int n = 0;
        for (byte[] input : inputs) {
            MemoryLayout memory = MemoryLayout.of(input);
            Path dir = Files.createDirectory(temp.resolve("layout" + n++));
            memory.writeTo(dir);
            assertThat(outcome(() -> OciLayout.read(dir, null), dir))
                    .as("input %d", n)
                    .isEqualTo(outcome(() -> OciLayout.read(memory.dir(), null, memory), memory.dir()));
        }
        assertThat(n).isGreaterThan(4);
    }

    /** What a read gives, with the layout's directory written as DIR: the image it found, or the error. */
    private static String outcome(java.util.function.Supplier<OciLayout> read, Path dir) {
        try {
            OciLayout l = read.get();
            StringBuilder s = new StringBuilder(l.manifestDigest() + " " + l.manifestMediaType());
            l.blobs().forEach(b -> s.append(' ').append(b.digest()).append('/').append(b.size()).append('/')
                    .append(dir.relativize(b.file())));
            l.children().forEach(c -> s.append(" child ").append(c.digest()));
            return s.toString();
        } catch (RegistryException e) {
            return "RegistryException: " + e.getMessage().replace(dir.toString(), "DIR");
        }
    }

    private static List<byte[]> committedInputs() throws IOException, URISyntaxException {
        Path dir = Path.of(OciLayoutFilesTest.class.getResource("RegistryFuzzTestInputs/ociLayout").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            List<byte[]> inputs = new ArrayList<>();
            for (Path f : files.sorted().toList()) {
                inputs.add(Files.readAllBytes(f));
            }
            return inputs;
        }
    }

    private static final String MANIFEST = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:PART2\",\"size\":SIZE2},"
            + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"LAYER\",\"size\":LAYERSIZE}]}";
    private static final String INDEX = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
            + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"MANIFEST\",\"size\":1}]}";

    private static byte[] layout(String index, String manifest, String config) {
        return (index + "\0" + manifest + "\0" + config).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static final byte[] HAND_MADE_MISSING_LAYER = layout(INDEX.replace("MANIFEST", "sha256:PART1"),
            MANIFEST.replace("LAYER", "sha256:" + "ab".repeat(32)).replace("LAYERSIZE", "3"), "{}");
    private static final byte[] HAND_MADE_WRONG_SIZE = layout(INDEX.replace("MANIFEST", "sha256:PART1"),
            MANIFEST.replace("LAYERSIZE", "3").replace("LAYER", "sha256:PART2"), "{}");
    private static final byte[] HAND_MADE_CORRUPT_MANIFEST = layout(INDEX.replace("MANIFEST", "sha256:" + "cd".repeat(32)),
            MANIFEST, "{}");
}
