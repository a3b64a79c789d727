package dev.archcore.util;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs an external command with stderr merged into stdout, streaming lines and keeping the last few for errors. */
public final class Command {
    private static final int TAIL_LINES = 25;

    private Command() {
    }

    /** The exit code and the last lines a command printed. */
    public record Result(int exitCode, List<String> tail) {
        public boolean ok() {
            return exitCode == 0;
        }

        public String tailText() {
            return tail.isEmpty() ? "(no output)" : "    " + String.join("\n    ", tail);
        }
    }

    public static Result run(List<String> command, Path workDir, Map<String, String> environment,
                             Consumer<String> lines) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Deque<String> tail = new ArrayDeque<>();
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    lines.accept(line);
                    if (tail.size() == TAIL_LINES) {
                        tail.removeFirst();
                    }
                    tail.addLast(line);
                }
            }
            return new Result(process.waitFor(), List.copyOf(tail));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }
}
