package dev.archcore.pacman;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A bash script shipped as a resource, run as {@code bash -c SCRIPT NAME ARGS...} so no temp file is needed. */
final class BashScript {
    private BashScript() {
    }

    static List<String> command(String resource, String... args) {
        String text;
        try (InputStream in = BashScript.class.getResourceAsStream(resource)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("missing resource " + resource, e);
        }
        List<String> command = new ArrayList<>(List.of("bash", "-c", text, "archcore-" + resource));
        command.addAll(List.of(args));
        return command;
    }
}
