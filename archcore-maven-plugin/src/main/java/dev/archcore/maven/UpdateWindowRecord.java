package dev.archcore.maven;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.archcore.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code target/archcore/update-window.json}: the services archcore:push started on the master for this build
 * ({@code build} is the Maven session's start time), so that archcore:deploy, later in the same build, closes them.
 * A record of another build (one that was killed) is ignored.
 */
record UpdateWindowRecord(String cluster, List<String> started, long build) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static Path file(Path buildDirectory) {
        return buildDirectory.resolve("archcore").resolve("update-window.json");
    }

    void write(Path file) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(this);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** @return null when there is no record */
    static UpdateWindowRecord read(Path file) throws IOException {
        try {
            return JSON.readValue(Files.readAllBytes(file), UpdateWindowRecord.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
