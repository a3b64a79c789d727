package dev.archcore.pacman;

import java.nio.file.Path;

/** A package written by {@link PackageBuilder}; {@code signature} is null when it was not signed. */
public record BuiltPackage(Path file, Path signature, PackageMetadata metadata) {
}
