package dev.archcore.repo;

/** A pacman.conf that cannot be used; the message names the file, the line and what to change. */
public class PacmanConfException extends RuntimeException {
    public PacmanConfException(String message) {
        super(message);
    }

    public PacmanConfException(String message, Throwable cause) {
        super(message, cause);
    }
}
