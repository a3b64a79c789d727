package dev.archcore.image;

/** A package set or request the image engine refuses; the message names the package and entry at fault. */
public class ImageBuildException extends RuntimeException {
    public ImageBuildException(String message) {
        super(message);
    }

    public ImageBuildException(String message, Throwable cause) {
        super(message, cause);
    }
}
