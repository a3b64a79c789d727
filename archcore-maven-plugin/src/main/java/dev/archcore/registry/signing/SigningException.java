package dev.archcore.registry.signing;

import dev.archcore.registry.RegistryException;

/** A signing key that cannot be made, read or used; the message says which file and what to do. */
public final class SigningException extends RegistryException {
    public SigningException(String message) {
        super(message);
    }

    public SigningException(String message, Throwable cause) {
        super(message, cause);
    }
}
