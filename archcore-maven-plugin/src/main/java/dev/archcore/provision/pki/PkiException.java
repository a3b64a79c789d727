package dev.archcore.provision.pki;

/** The cluster PKI cannot be made or read; the message names the folder and what to do. */
public class PkiException extends Exception {
    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
