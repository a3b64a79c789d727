package dev.archcore.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An OCI layout held in memory, file path to bytes, for the {@code ociLayout} fuzz target: built from a fuzz input
 * (see {@link RegistryFuzzTest#ociLayout}), read through {@link OciLayout.LayoutFiles} as the directory would be, or
 * written out as that directory ({@link #writeTo}) so a test can compare both.
 */
record MemoryLayout(Path dir, Map<Path, byte[]> files) implements OciLayout.LayoutFiles {
    private static final Path DIR = Path.of("/fuzz/layout");

    /** index.json is the first NUL-separated part, the others are blobs (see the fuzz target). */
    static MemoryLayout of(byte[] data) {
        List<byte[]> parts = split(data);
        Map<Path, byte[]> files = new LinkedHashMap<>();
        files.put(DIR.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.US_ASCII));
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
            files.put(k == 0 ? DIR.resolve("index.json") : DIR.resolve("blobs/sha256").resolve(digests[k].substring(7)), bytes);
        }
        return new MemoryLayout(DIR, files);
    }

    /** The same files under {@code target}, an empty directory. */
    void writeTo(Path target) throws IOException {
        for (Map.Entry<Path, byte[]> e : files.entrySet()) {
            Path file = target.resolve(dir.relativize(e.getKey()).toString());
            Files.createDirectories(file.getParent());
            Files.write(file, e.getValue());
        }
    }

    @Override
    public byte[] readAllBytes(Path file) throws IOException {
        byte[] bytes = files.get(file);
        if (bytes == null) {
            throw new NoSuchFileException(file.toString());
        }
        return bytes.clone();
    }

    @Override
    public boolean exists(Path file) {
        return files.keySet().stream().anyMatch(f -> f.startsWith(file));
    }

    @Override
    public long regularFileSize(Path file) throws IOException {
        byte[] bytes = files.get(file);
        if (bytes == null) {
            throw new NoSuchFileException(file.toString());
        }
        return bytes.length;
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
}
