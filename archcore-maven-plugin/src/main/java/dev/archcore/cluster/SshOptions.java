package dev.archcore.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How to authenticate to the master and check its host key.
 *
 * @param knownHosts      OpenSSH known_hosts file the master's key is checked against
 * @param trustOnFirstUse accept and record a master that is not in known_hosts yet (a changed key is still refused)
 * @param identity        a private key file to use (and only it); null: the agent, else {@code defaultIdentities}
 * @param passphrase      the key's passphrase, or null (a secret: never logged)
 * @param agentSocket     the ssh-agent's socket ({@code SSH_AUTH_SOCK}), or null
 * @param defaultIdentities keys tried when there is neither {@code identity} nor an agent (~/.ssh/id_*)
 */
public record SshOptions(Path knownHosts, boolean trustOnFirstUse, Path identity, String passphrase, Path agentSocket,
                         List<Path> defaultIdentities, Duration connectTimeout) {
    public SshOptions {
        defaultIdentities = defaultIdentities == null ? List.of() : List.copyOf(defaultIdentities);
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(20) : connectTimeout;
    }

    /** The user's defaults: ~/.ssh/known_hosts, ~/.ssh/id_ed25519, id_ecdsa, id_rsa, and SSH_AUTH_SOCK. */
    public static SshOptions defaults(Path home, String authSock) {
        Path ssh = home.resolve(".ssh");
        return new SshOptions(ssh.resolve("known_hosts"), false, null, null,
                authSock == null || authSock.isBlank() ? null : Path.of(authSock),
                List.of(ssh.resolve("id_ed25519"), ssh.resolve("id_ecdsa"), ssh.resolve("id_rsa")), null);
    }

    public SshOptions withKnownHosts(Path file, boolean tofu) {
        return new SshOptions(file, tofu, identity, passphrase, agentSocket, defaultIdentities, connectTimeout);
    }

    public SshOptions withIdentity(Path key, String keyPassphrase) {
        return new SshOptions(knownHosts, trustOnFirstUse, key, keyPassphrase, agentSocket, defaultIdentities, connectTimeout);
    }

    public SshOptions withAgent(Path socket) {
        return new SshOptions(knownHosts, trustOnFirstUse, identity, passphrase, socket, defaultIdentities, connectTimeout);
    }

    public SshOptions withPassphrase(String keyPassphrase) {
        return new SshOptions(knownHosts, trustOnFirstUse, identity, keyPassphrase, agentSocket, defaultIdentities, connectTimeout);
    }

    @Override
    public String toString() {
        // records print every component: keep the passphrase out of logs and messages
        return "SshOptions[knownHosts=" + knownHosts + ", trustOnFirstUse=" + trustOnFirstUse + ", identity=" + identity
                + ", agent=" + agentSocket + "]";
    }
}
