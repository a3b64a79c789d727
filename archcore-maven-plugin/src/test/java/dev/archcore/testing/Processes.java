package dev.archcore.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Whether a process started by a test's shell script still runs. */
public final class Processes {
    private Processes() {
    }

    /** The process whose id is in {@code pidFile} is alive; false when there is no such file. */
    public static boolean alive(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }
}
