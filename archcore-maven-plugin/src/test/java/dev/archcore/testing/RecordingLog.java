package dev.archcore.testing;

import dev.archcore.util.Log;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link Log} that keeps every line, prefixed with its level ({@code INFO }, {@code WARN }, {@code DEBUG }). */
public final class RecordingLog implements Log {
    private final List<String> lines = new CopyOnWriteArrayList<>();

    @Override
    public void info(String message) {
        lines.add("INFO " + message);
    }

    @Override
    public void warn(String message) {
        lines.add("WARN " + message);
    }

    @Override
    public void debug(String message) {
        lines.add("DEBUG " + message);
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    public List<String> lines(String levelPrefix) {
        return lines.stream().filter(l -> l.startsWith(levelPrefix + " ")).toList();
    }

    @Override
    public String toString() {
        return String.join("\n", lines);
    }
}
