package dev.archcore.maven;

import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.settings.Proxy;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.building.SettingsProblem;
import org.apache.maven.settings.crypto.DefaultSettingsDecryptionRequest;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;

import java.util.ArrayList;
import java.util.List;

/** Secrets come from settings.xml servers (decrypted) or the environment, never from the pom. */
final class Secrets {
    private Secrets() {
    }

    /** The password (or passphrase) of settings.xml server {@code serverId}, else {@code envVar}, else null. */
    static String password(Settings settings, SettingsDecrypter decrypter, String serverId, String envVar)
            throws MojoFailureException {
        Server server = serverId == null ? null : settings.getServer(serverId);
        if (server != null) {
            Server decrypted = decrypt(decrypter, server);
            String secret = decrypted.getPassphrase() != null ? decrypted.getPassphrase() : decrypted.getPassword();
            if (secret != null) {
                return secret;
            }
        }
        return System.getenv(envVar);
    }

    /**
     * The user name and decrypted password of settings.xml server {@code serverId} (for a registry: its
     * {@code host[:port]}), or null when there is no such server or it has no password.
     */
    static dev.archcore.registry.Credentials server(Settings settings, SettingsDecrypter decrypter, String serverId)
            throws MojoFailureException {
        Server server = serverId == null || settings == null ? null : settings.getServer(serverId);
        if (server == null) {
            return null;
        }
        Server decrypted = decrypt(decrypter, server);
        if (decrypted.getPassword() == null) {
            return null;
        }
        return new dev.archcore.registry.Credentials(decrypted.getUsername(), decrypted.getPassword(),
                "settings.xml server " + serverId);
    }

    /** An SSH private key file and its passphrase from a settings.xml server ({@code <privateKey>}, {@code <passphrase>}). */
    record SshKey(String privateKey, String passphrase, String username) {
        @Override
        public String toString() {
            return "SshKey[" + privateKey + "]";
        }
    }

    /** The SSH key of settings.xml server {@code serverId} (the cluster's {@code host:port}), or null. */
    static SshKey sshKey(Settings settings, SettingsDecrypter decrypter, String serverId) throws MojoFailureException {
        Server server = serverId == null || settings == null ? null : settings.getServer(serverId);
        if (server == null) {
            return null;
        }
        Server decrypted = decrypt(decrypter, server);
        return new SshKey(decrypted.getPrivateKey(), decrypted.getPassphrase(), decrypted.getUsername());
    }

    /**
     * The active {@code <proxies>} of settings.xml, in their order, with their passwords decrypted (a proxy whose
     * password cannot be decrypted fails, naming it). Inactive ones are left out, as Maven leaves them out.
     */
    static dev.archcore.util.HttpProxies proxies(Settings settings, SettingsDecrypter decrypter)
            throws MojoFailureException {
        List<dev.archcore.util.HttpProxies.Entry> entries = new ArrayList<>();
        for (Proxy proxy : settings == null ? List.<Proxy>of() : settings.getProxies()) {
            if (!proxy.isActive()) {
                continue;
            }
            Proxy decrypted = proxy;
            if (proxy.getPassword() != null && decrypter != null) {
                SettingsDecryptionResult result = decrypter.decrypt(new DefaultSettingsDecryptionRequest(proxy));
                fail(result, "proxy '" + proxy.getId() + "'");
                decrypted = result.getProxy();
            }
            try {
                entries.add(new dev.archcore.util.HttpProxies.Entry(decrypted.getProtocol(), decrypted.getHost(),
                        decrypted.getPort(), blankToNull(decrypted.getUsername()), decrypted.getPassword(),
                        blankToNull(decrypted.getNonProxyHosts())));
            } catch (IllegalArgumentException e) {
                throw new MojoFailureException("settings.xml proxy '" + proxy.getId() + "' is not usable: "
                        + e.getMessage() + ". Give it a <host> and a <port>, or set <active>false</active>.");
            }
        }
        return new dev.archcore.util.HttpProxies(entries);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /**
     * The server with its {@code {...}} secrets decrypted. Maven's decrypter reports a failure as a problem and
     * hands back the encrypted text, which would then be used as the password: fail instead, as Jib does.
     */
    private static Server decrypt(SettingsDecrypter decrypter, Server server) throws MojoFailureException {
        SettingsDecryptionResult result = decrypter.decrypt(new DefaultSettingsDecryptionRequest(server));
        fail(result, "server '" + server.getId() + "'");
        return result.getServer();
    }

    private static void fail(SettingsDecryptionResult result, String what) throws MojoFailureException {
        for (SettingsProblem problem : result.getProblems()) {
            if (problem.getSeverity() == SettingsProblem.Severity.ERROR || problem.getSeverity() == SettingsProblem.Severity.FATAL) {
                throw new MojoFailureException("cannot decrypt the secrets of settings.xml " + what + ": "
                        + problem.getMessage() + ". Check ~/.m2/settings-security.xml (its master password must be the one "
                        + "the password was encrypted with: mvn --encrypt-password), or give the password unencrypted.");
            }
        }
    }
}
