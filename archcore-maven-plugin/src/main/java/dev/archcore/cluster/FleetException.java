package dev.archcore.cluster;

/** fleet answered with an error: its HTTP status and the message of its {@code {"error":{...}}} body. */
public class FleetException extends ClusterException {
    private final int status;

    public FleetException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
