package dev.archcore.pacman;

/** A package cannot be built; the message is one paragraph a user can act on (file, field, what to do). */
public class PackageBuildException extends RuntimeException {
    public PackageBuildException(String message) {
        super(message);
    }

    public PackageBuildException(String message, Throwable cause) {
        super(message, cause);
    }
}
