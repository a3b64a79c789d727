package dev.archcore.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Reads the layers of an OCI layout back: per layer, its tar entries in order, described as text. */
final class LayoutReader {
    private LayoutReader() {
    }

    record Entry(String name, char type, int mode, long uid, long gid, long mtime, long size, String link, String content) {
    }

    static List<List<Entry>> layers(Path layout) {
        try {
            ObjectMapper json = new ObjectMapper();
            JsonNode index = json.readTree(layout.resolve("index.json").toFile());
            JsonNode manifest = json.readTree(blob(layout, index.get("manifests").get(0).get("digest").asText()).toFile());
            List<List<Entry>> out = new ArrayList<>();
            for (JsonNode l : manifest.get("layers")) {
                out.add(entries(blob(layout, l.get("digest").asText())));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path blob(Path layout, String digest) {
        return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    }

    static List<Entry> entries(Path gzipTar) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gzipTar));
             TarArchiveInputStream tar = new TarArchiveInputStream(in, "UTF-8")) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                String content = e.isFile() && e.getSize() < 4096 ? new String(tar.readAllBytes(), StandardCharsets.UTF_8) : null;
                out.add(new Entry(e.getName(), (char) e.getLinkFlag(), e.getMode(), e.getLongUserId(), e.getLongGroupId(),
                        e.getLastModifiedTime().toInstant().getEpochSecond(), e.getSize(), e.getLinkName(), content));
            }
        }
        return out;
    }

    /** All layers merged by name, the upper one winning, as an engine applies them (no whiteouts here). */
    static Map<String, Entry> merged(Path layout) {
        Map<String, Entry> all = new LinkedHashMap<>();
        layers(layout).forEach(layer -> layer.forEach(e -> all.put(e.name(), e)));
        return all;
    }
}
