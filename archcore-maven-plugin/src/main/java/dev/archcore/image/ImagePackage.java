package dev.archcore.image;

import dev.archcore.util.VerifiedFile;

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
 * {@code .PKGINFO} must agree, as pacman requires of a package it downloaded; {@code verified}, for a package the
 * caller has just downloaded and hashed, is that file's bytes through the descriptor they were written with: the
 * image reads them from there without hashing them again (whatever is renamed over {@code file} meanwhile).
 */
public record ImagePackage(Path file, boolean app, String origin, List<String> validation, String sha256,
                           Listed listed, VerifiedFile verified) {

    /** A sync database entry's {@code %NAME%}, {@code %VERSION%} and {@code %ARCH%} (arch may be empty). */
    public record Listed(String name, String version, String arch) {
        public Listed {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(version, "version");
            arch = arch == null ? "" : arch;
        }
    }

    public ImagePackage(Path file, boolean app, String origin, List<String> validation) {
        this(file, app, origin, validation, null, null, null);
    }

    public ImagePackage(Path file, boolean app, String origin, List<String> validation, String sha256) {
        this(file, app, origin, validation, sha256, null, null);
    }

    public ImagePackage(Path file, boolean app, String origin, List<String> validation, String sha256, Listed listed) {
        this(file, app, origin, validation, sha256, listed, null);
    }

    public ImagePackage {
        Objects.requireNonNull(file, "file");
        validation = validation == null || validation.isEmpty() ? List.of("none") : List.copyOf(validation);
        if (verified != null && (sha256 == null || !sha256.equalsIgnoreCase(verified.sha256()))) {
            throw new IllegalArgumentException(file + ": the open bytes were verified as " + verified.sha256()
                    + ", not as " + sha256);
        }
    }

    /** This package, whose database entry says it is {@code listed}. */
    public ImagePackage listedAs(Listed listed) {
        return new ImagePackage(file, app, origin, validation, sha256, listed, verified);
    }

    /** This package, read from {@code verified} (when not null) instead of {@code file}: see the class comment. */
    public ImagePackage readFrom(VerifiedFile verified) {
        return new ImagePackage(file, app, origin, validation, sha256, listed, verified);
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
