package dev.archcore.testing;

import org.apache.maven.plugin.logging.SystemStreamLog;

import java.util.List;

/** A Mojo's Maven log that adds every line to the test's list, prefixed with its level, as {@link RecordingLog} does. */
public final class RecordingMavenLog extends SystemStreamLog {
    private final List<String> lines;

    /** Records into {@code lines}, which the test reads. */
    public RecordingMavenLog(List<String> lines) {
        this.lines = lines;
    }

    @Override
    public void debug(CharSequence content) {
        lines.add("DEBUG " + content);
    }

    @Override
    public void info(CharSequence content) {
        lines.add("INFO " + content);
    }

    @Override
    public void warn(CharSequence content) {
        lines.add("WARN " + content);
    }

    @Override
    public void error(CharSequence content) {
        lines.add("ERROR " + content);
    }
}
