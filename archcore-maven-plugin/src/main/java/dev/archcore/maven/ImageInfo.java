package dev.archcore.maven;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.archcore.util.AtomicFiles;

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
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static void write(Path file, ImageInfo info) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(info);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** @return null when no image was built yet */
    static ImageInfo read(Path file) throws IOException {
        try {
            return JSON.readValue(Files.readAllBytes(file), ImageInfo.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
