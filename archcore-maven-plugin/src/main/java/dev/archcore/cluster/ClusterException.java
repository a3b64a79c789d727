package dev.archcore.cluster;

/**
 * A cluster operation failed: the message is one paragraph naming what (the master, the unit file and line, the
 * machines and their states) and what to do. Never carries a secret.
 */
public class ClusterException extends RuntimeException {
    public ClusterException(String message) {
        super(message);
    }

    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
