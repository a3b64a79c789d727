package dev.archcore.maven;

import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.crypto.DefaultSettingsDecryptionRequest;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;

/** Secrets come from settings.xml servers (decrypted) or the environment, never from the pom. */
final class Secrets {
    private Secrets() {
    }

    /** The password (or passphrase) of settings.xml server {@code serverId}, else {@code envVar}, else null. */
    static String password(Settings settings, SettingsDecrypter decrypter, String serverId, String envVar) {
        Server server = serverId == null ? null : settings.getServer(serverId);
        if (server != null) {
            SettingsDecryptionResult result = decrypter.decrypt(new DefaultSettingsDecryptionRequest(server));
            Server decrypted = result.getServer();
            String secret = decrypted.getPassphrase() != null ? decrypted.getPassphrase() : decrypted.getPassword();
            if (secret != null) {
                return secret;
            }
        }
        return System.getenv(envVar);
    }
}
