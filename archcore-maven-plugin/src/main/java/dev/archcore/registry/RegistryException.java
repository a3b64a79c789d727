package dev.archcore.registry;

/** A push failed; the message says what and what to do, and never contains a secret. */
public class RegistryException extends RuntimeException {
    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
