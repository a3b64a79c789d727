package dev.archcore.pacman;

import dev.archcore.util.Log;

import java.nio.file.Path;
import java.util.Map;

/**
 * Everything {@link PackageBuilder} needs to turn a PKGBUILD into a package.
 *
 * @param buildDirectory  holds {@code src/} and {@code pkg/<pkgname>/}, makepkg's {@code $srcdir} and {@code $pkgdir}
 * @param sourceDateEpoch the one mtime of every entry and the {@code builddate}, for reproducible packages
 * @param signing         null for no signature
 * @param environment     extra variables for the PKGBUILD's functions
 * @param tool            name and version recorded as the build tool, e.g. {@code archcore 0.1.0}
 */
public record PackageRequest(Path pkgbuild, Path buildDirectory, Path outputDirectory, String carch,
                             Compression compression, int compressionLevel, long sourceDateEpoch, String packager,
                             Signing signing, Map<String, String> environment, String tool, Log log) {

    /** A detached signature made with a key from an exported secret keyring. */
    public record Signing(Path keyring, String keyId, char[] passphrase) {
    }
}
