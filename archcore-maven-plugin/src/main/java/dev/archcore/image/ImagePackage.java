package dev.archcore.image;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One package file of the image, in install order (dependencies first). {@code app} packages go to the last
 * package layer and are recorded as explicitly installed; the others as dependencies. {@code origin} (the
 * repository it came from, or null) can group dependency layers; {@code validation} is what the caller
 * checked before handing the file over, as pacman records it ({@code none}, {@code sha256}, {@code pgp});
 * {@code sha256}, when the caller has just verified the file against it, saves hashing the file again.
 */
public record ImagePackage(Path file, boolean app, String origin, List<String> validation, String sha256) {
    public ImagePackage(Path file, boolean app, String origin, List<String> validation) {
        this(file, app, origin, validation, null);
    }

    public ImagePackage {
        Objects.requireNonNull(file, "file");
        validation = validation == null || validation.isEmpty() ? List.of("none") : List.copyOf(validation);
    }

    public static ImagePackage dependency(Path file) {
        return new ImagePackage(file, false, null, null);
    }

    public static ImagePackage app(Path file) {
        return new ImagePackage(file, true, null, null);
    }

    /** The app package whose SHA-256 the caller has just computed (reading it), so it is not hashed again. */
    public static ImagePackage app(Path file, String sha256) {
        return new ImagePackage(file, true, null, null, sha256);
    }
}
