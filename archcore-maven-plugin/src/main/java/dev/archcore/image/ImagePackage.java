package dev.archcore.image;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One package file of the image, in install order (dependencies first). {@code app} packages go to the last
 * package layer and are recorded as explicitly installed; the others as dependencies. {@code origin} (the
 * repository it came from, or null) can group dependency layers; {@code validation} is what the caller
 * checked before handing the file over, as pacman records it ({@code none}, {@code sha256}, {@code pgp});
 * {@code sha256}, when the caller has just verified the file against it, saves hashing the file again;
 * {@code listed}, for a package from a repository, is what its database entry says it is: the package's
 * {@code .PKGINFO} must agree, as pacman requires of a package it downloaded.
 */
public record ImagePackage(Path file, boolean app, String origin, List<String> validation, String sha256,
                           Listed listed) {

    /** A sync database entry's {@code %NAME%}, {@code %VERSION%} and {@code %ARCH%} (arch may be empty). */
    public record Listed(String name, String version, String arch) {
        public Listed {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(version, "version");
            arch = arch == null ? "" : arch;
        }
    }

    public ImagePackage(Path file, boolean app, String origin, List<String> validation) {
        this(file, app, origin, validation, null, null);
    }

    public ImagePackage(Path file, boolean app, String origin, List<String> validation, String sha256) {
        this(file, app, origin, validation, sha256, null);
    }

    public ImagePackage {
        Objects.requireNonNull(file, "file");
        validation = validation == null || validation.isEmpty() ? List.of("none") : List.copyOf(validation);
    }

    /** This package, whose database entry says it is {@code listed}. */
    public ImagePackage listedAs(Listed listed) {
        return new ImagePackage(file, app, origin, validation, sha256, listed);
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
