package dev.archcore.provision.iso;

/** Input the ISO writer refuses; the message names the path or field at fault and what to do. */
public class IsoException extends RuntimeException {
    public IsoException(String message) {
        super(message);
    }
}
