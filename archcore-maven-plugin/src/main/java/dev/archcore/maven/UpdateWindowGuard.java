package dev.archcore.maven;

import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.SshOptions;
import dev.archcore.cluster.UpdateWindow;
import dev.archcore.util.Log;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The last line of defence for an update window archcore:push handed over: when the JVM exits and the record is
 * still there, no archcore:deploy closed it (the build failed between push and deploy, or was interrupted), so
 * this closes it, or prints what still runs and the command that stops it. archcore:deploy deletes the record
 * after closing, so a build that reached it leaves nothing for this to do. A JVM that outlives the build (mvnd)
 * runs it only when it stops.
 */
final class UpdateWindowGuard implements Runnable {
    private final Path recordFile;
    private final long build;
    private final SshEndpoint endpoint;
    private final SshOptions options;
    private final List<UpdateWindow.Service> services;
    private final PrintStream out;
    private final Log log;

    UpdateWindowGuard(Path recordFile, long build, SshEndpoint endpoint, SshOptions options,
                      List<UpdateWindow.Service> services, PrintStream out) {
        this.recordFile = recordFile;
        this.build = build;
        this.endpoint = endpoint;
        this.options = options;
        this.services = List.copyOf(services);
        this.out = out;
        this.log = new Log() {
            @Override
            public void info(String message) {
                out.println("[INFO] " + message);
            }

            @Override
            public void warn(String message) {
                out.println("[WARNING] " + message);
            }
        };
    }

    /**
     * Runs {@code guard} when the JVM exits. Maven may have closed the plugin's class loader by then, so what the
     * guard needs beyond what opening the window loaded is loaded now: reading the record, the messages.
     */
    static void register(UpdateWindowGuard guard) {
        try {
            UpdateWindowRecord.read(guard.recordFile);
        } catch (IOException e) {
            // the guard reports it when it runs
        }
        UpdateWindow.leftRunning(guard.endpoint, guard.services, guard.services.stream().map(UpdateWindow.Service::name).toList());
        guard.log.debug("");
        Runtime.getRuntime().addShutdownHook(new Thread(guard, "archcore-update-window-guard"));
    }

    @Override
    public void run() {
        UpdateWindowRecord record;
        try {
            record = UpdateWindowRecord.read(recordFile);
        } catch (IOException e) {
            out.println("[WARNING] archcore: cannot read " + recordFile + " (" + e.getMessage() + "): the update window "
                    + "archcore:push opened may still be open. " + UpdateWindow.leftRunning(endpoint, services,
                    services.stream().map(UpdateWindow.Service::name).toList()));
            return;
        }
        if (record == null || record.build() != build) {
            return;
        }
        out.println("[WARNING] archcore: the build ended before archcore:deploy closed the update window archcore:push "
                + "opened; closing it");
        String left = UpdateWindow.closeOrExplain(endpoint, options, services, record.started(), log);
        if (left != null) {
            out.println("[ERROR] " + left);
        }
        try {
            Files.deleteIfExists(recordFile);
        } catch (IOException e) {
            out.println("[WARNING] cannot remove " + recordFile + ": " + e.getMessage());
        }
    }
}
