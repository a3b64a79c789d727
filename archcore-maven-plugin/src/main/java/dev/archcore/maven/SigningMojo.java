package dev.archcore.maven;

import dev.archcore.pacman.PackageRequest;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.settings.crypto.SettingsDecrypter;

import java.io.File;

/** The signing parameters archcore:pkg and archcore:repo share: a key file, the key, and where the passphrase is. */
abstract class SigningMojo extends AbstractMojo {
    static final String GPG_PASSPHRASE_ENV = "ARCHCORE_GPG_PASSPHRASE";

    /** Also write detached OpenPGP signatures ({@code .sig}). */
    @Parameter(property = "archcore.sign", defaultValue = "false")
    private boolean sign;

    /** An exported secret key file ({@code gpg --export-secret-keys}, binary or armored). */
    @Parameter(property = "archcore.signKeyring")
    private File signKeyring;

    /** Fingerprint or key id of the signing key; defaults to the first signing key of the keyring. */
    @Parameter(property = "archcore.signKeyId")
    private String signKeyId;

    /** settings.xml server whose passphrase (or password) unlocks the key; else {@code $ARCHCORE_GPG_PASSPHRASE}. */
    @Parameter(property = "archcore.signServerId", defaultValue = "archcore-gpg")
    private String signServerId;

    @Parameter(defaultValue = "${session}", readonly = true)
    private MavenSession session;

    @Component
    private SettingsDecrypter settingsDecrypter;

    /** The key to sign with, or null when signing is off. */
    PackageRequest.Signing signing() throws MojoFailureException {
        if (!sign) {
            return null;
        }
        if (signKeyring == null) {
            throw new MojoFailureException("archcore.sign is on but no key is configured: set archcore.signKeyring to "
                    + "a file made by gpg --export-secret-keys KEYID (and archcore.signKeyId to choose a key).");
        }
        String passphrase = Secrets.password(session.getSettings(), settingsDecrypter, signServerId, GPG_PASSPHRASE_ENV);
        return new PackageRequest.Signing(signKeyring.toPath(), signKeyId,
                passphrase == null ? new char[0] : passphrase.toCharArray());
    }
}
