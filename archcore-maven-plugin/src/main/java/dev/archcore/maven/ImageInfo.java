package dev.archcore.maven;

import com.fasterxml.jackson.core.JsonParser;
import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * {@code target/archcore/image.json}: what archcore:image built, for the goals that come after it in another
 * Maven run ({@code archcore:load}, {@code archcore:push}).
 *
 * @param configDigest Docker's image id
 */
record ImageInfo(String reference, String manifestDigest, String configDigest, String dockerArchive, String ociLayout) {
    static void write(Path file, ImageInfo info) throws IOException {
        byte[] bytes = Json.prettyBytes(g -> {
            g.writeStartObject();
            g.writeStringField("reference", info.reference());
            g.writeStringField("manifestDigest", info.manifestDigest());
            g.writeStringField("configDigest", info.configDigest());
            g.writeStringField("dockerArchive", info.dockerArchive());
            g.writeStringField("ociLayout", info.ociLayout());
            g.writeEndObject();
        });
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** @return null when no image was built yet */
    static ImageInfo read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        try (JsonParser p = Json.startObject(Json.parser(bytes))) {
            String reference = null, manifestDigest = null, configDigest = null, dockerArchive = null, ociLayout = null;
            for (String field; (field = Json.nextField(p)) != null; ) {
                switch (field) {
                    case "reference" -> reference = Json.string(p);
                    case "manifestDigest" -> manifestDigest = Json.string(p);
                    case "configDigest" -> configDigest = Json.string(p);
                    case "dockerArchive" -> dockerArchive = Json.string(p);
                    case "ociLayout" -> ociLayout = Json.string(p);
                    default -> p.skipChildren();
                }
            }
            return new ImageInfo(reference, manifestDigest, configDigest, dockerArchive, ociLayout);
        }
    }
}
