package dev.archcore.provision.digitalocean;

/**
 * A DigitalOcean failure with one clear message. API errors carry DigitalOcean's {@code id}, {@code message}
 * and {@code request_id} (what its support asks for). Messages never contain the token.
 */
public class DigitalOceanException extends RuntimeException {
    private final int status;
    private final String errorId;
    private final String requestId;

    public DigitalOceanException(String message) {
        this(message, 0, null, null, null);
    }

    public DigitalOceanException(String message, Throwable cause) {
        this(message, 0, null, null, cause);
    }

    public DigitalOceanException(String message, int status, String errorId, String requestId, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorId = errorId;
        this.requestId = requestId;
    }

    /** The HTTP status of an API error, 0 for other failures. */
    public int status() {
        return status;
    }

    /** DigitalOcean's error {@code id} (e.g. {@code unauthorized}, {@code unprocessable_entity}), or null. */
    public String errorId() {
        return errorId;
    }

    public String requestId() {
        return requestId;
    }
}
