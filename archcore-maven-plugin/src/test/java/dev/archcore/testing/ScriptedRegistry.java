package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real docker-registry (plain HTTP, on 127.0.0.1 and a free port) started and stopped by shell scripts, the way
 * the master's systemctl would run it: {@link #startCommand()} / {@link #stopCommand()} are the update window's
 * registry commands, run over SSH. The stop script waits until the process is gone.
 */
public final class ScriptedRegistry implements AutoCloseable {
    public final Path dir;
    public final int port;
    private final Path start;
    private final Path stop;

    public ScriptedRegistry(Path dir) {
        // writes the config (storage, address) and checks the registry starts with it
        RegistryServer made = RegistryServer.plain(dir);
        made.close();
        this.dir = made.dir;
        this.port = made.port;
        try {
            start = dir.resolve("start-registry.sh");
            stop = dir.resolve("stop-registry.sh");
            Files.writeString(start, "#!/bin/sh\nset -e\ncd " + dir + "\nsetsid docker-registry serve " + dir.resolve("config.yml")
                    + " > serve.log 2>&1 < /dev/null &\necho $! > registry.pid\n");
            Files.writeString(stop, "#!/bin/sh\ncd " + dir + "\n[ -f registry.pid ] || exit 0\n"
                    + "pid=$(cat registry.pid); kill $pid 2>/dev/null; rm -f registry.pid\n"
                    + "i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String startCommand() {
        return "sh " + start;
    }

    public String stopCommand() {
        return "sh " + stop;
    }

    public String host() {
        return "127.0.0.1:" + port;
    }

    /** Its process runs (the start script's pid file is there and the process is alive). */
    public boolean running() {
        return Processes.alive(dir.resolve("registry.pid"));
    }

    @Override
    public void close() {
        Tools.run(dir, "sh", stop.toString());
    }
}
