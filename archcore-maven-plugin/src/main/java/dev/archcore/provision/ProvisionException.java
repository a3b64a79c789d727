package dev.archcore.provision;

/**
 * Bad input for the node files (a template, a key file, a port, a host name) or a rendered config that fails the
 * lint or the validator. The message is one paragraph naming the file and line and what to do.
 */
public class ProvisionException extends Exception {
    public ProvisionException(String message) {
        super(message);
    }

    public ProvisionException(String message, Throwable cause) {
        super(message, cause);
    }
}
