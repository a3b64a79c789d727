package dev.archcore.cluster;

import com.jcraft.jsch.AgentIdentityRepository;
import com.jcraft.jsch.AgentProxyException;
import com.jcraft.jsch.Channel;
import com.jcraft.jsch.ChannelDirectStreamLocal;
import com.jcraft.jsch.ChannelDirectTCPIP;
import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.HostKey;
import com.jcraft.jsch.HostKeyRepository;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchChangedHostKeyException;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.JSchUnknownHostKeyException;
import com.jcraft.jsch.KeyPair;
import com.jcraft.jsch.SSHAgentConnector;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.UnixDomainSocketFactory;
import com.jcraft.jsch.UserInfo;
import dev.archcore.util.Log;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One SSH connection to the cluster's master (jsch), as {@code fleetctl --tunnel} makes it: public-key auth from a
 * given key, the ssh-agent or ~/.ssh; the host key checked against known_hosts (strict; trust on first use only
 * when asked, and then recorded). Channels to a Unix socket on the master ({@code direct-streamlocal@openssh.com},
 * fleet's API), to a TCP port on it ({@code direct-tcpip}, etcd), and commands ({@code exec}).
 */
public final class SshTunnel implements AutoCloseable {
    private final SshEndpoint endpoint;
    private final Session session;
    private final int timeoutMillis;

    private SshTunnel(SshEndpoint endpoint, Session session, int timeoutMillis) {
        this.endpoint = endpoint;
        this.session = session;
        this.timeoutMillis = timeoutMillis;
    }

    public SshEndpoint endpoint() {
        return endpoint;
    }

    public static SshTunnel connect(SshEndpoint endpoint, SshOptions options, Log log) {
        JSch jsch = new JSch();
        String how = identities(jsch, endpoint, options);
        Path knownHosts = options.knownHosts();
        try {
            if (options.trustOnFirstUse() && !Files.exists(knownHosts)) {
                Files.createDirectories(knownHosts.toAbsolutePath().getParent());
                Files.createFile(knownHosts);
            }
            if (Files.exists(knownHosts)) {
                jsch.setKnownHosts(knownHosts.toString());
            }
        } catch (IOException | JSchException e) {
            throw new ClusterException("cannot read the known hosts file " + knownHosts + ": " + e.getMessage(), e);
        }
        HostKeyRepository known = jsch.getHostKeyRepository();
        TrustOnFirstUse recorder = new TrustOnFirstUse(known, options.trustOnFirstUse(), log);
        jsch.setHostKeyRepository(recorder);
        int timeout = (int) options.connectTimeout().toMillis();
        try {
            Session session = jsch.getSession(endpoint.user(), endpoint.host(), endpoint.port());
            session.setConfig("StrictHostKeyChecking", "yes");
            session.setConfig("PreferredAuthentications", "publickey");
            session.setServerAliveInterval(15_000);
            session.connect(timeout);
            log.debug("SSH: connected to " + endpoint + " (" + how + ")");
            return new SshTunnel(endpoint, session, timeout);
        } catch (JSchUnknownHostKeyException e) {
            // whatever answered on the network is not evidence: only a fingerprint from the master itself is
            throw new ClusterException("the host key of " + endpoint + " is not in " + knownHosts + ", so the master "
                    + "cannot be trusted yet. It offered " + recorder.offered() + ". Compare that fingerprint with the "
                    + "master's own, read out of band (on its console or the provider's: ssh-keygen -lf "
                    + "/etc/ssh/ssh_host_" + recorder.offeredFileType() + "_key.pub); only if they match, connect once "
                    + "with ssh (it shows the same fingerprint and records the key in known_hosts) or let archcore "
                    + "record it with -Darchcore.ssh.trustOnFirstUse=true");
        } catch (JSchChangedHostKeyException e) {
            throw new ClusterException("the host key of " + endpoint + " has CHANGED from the one recorded in "
                    + knownHosts + " (it offered " + recorder.offered() + "): someone may be in the middle, or the "
                    + "master was rebuilt. Nothing was sent. "
                    + "If the master was rebuilt, check the new key's fingerprint, remove the old line (ssh-keygen -R '"
                    + (endpoint.port() == 22 ? endpoint.host() : "[" + endpoint.host() + "]:" + endpoint.port())
                    + "' -f " + knownHosts + ") and connect again");
        } catch (JSchException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConnectException || cause instanceof NoRouteToHostException
                    || cause instanceof UnknownHostException || cause instanceof SocketTimeoutException
                    || String.valueOf(e.getMessage()).contains("timeout")) {
                throw new ClusterException("cannot reach the master " + endpoint + " over SSH ("
                        + (cause == null ? e.getMessage() : cause.getClass().getSimpleName() + ": " + cause.getMessage())
                        + "). Check archcore.cluster (user@host:port: the master's SSH port is archcore.sshPort, not 22), "
                        + "and that the machine is up and reachable from here", e);
            }
            if (String.valueOf(e.getMessage()).contains("Auth fail") || String.valueOf(e.getMessage()).contains("USERAUTH")) {
                throw new ClusterException("the master " + endpoint + " refused the SSH key (" + how + "). Give a key "
                        + "it accepts: add its public key to the user's authorized keys on the master (the cloud-config's "
                        + "$SSH_AUTHORIZED_KEYS), load it into ssh-agent, or name it with -Darchcore.ssh.identity or a "
                        + "settings.xml server '" + endpoint.hostPort() + "' with <privateKey>", e);
            }
            throw new ClusterException("SSH to " + endpoint + " failed: " + e.getMessage(), e);
        }
    }

    /** Chooses the keys; returns how, for messages (never the passphrase). */
    private static String identities(JSch jsch, SshEndpoint endpoint, SshOptions options) {
        try {
            if (options.identity() != null) {
                addKey(jsch, options.identity(), options.passphrase(), endpoint);
                return "key " + options.identity();
            }
            if (options.agentSocket() != null && Files.exists(options.agentSocket())) {
                AgentIdentityRepository agent = new AgentIdentityRepository(
                        new SSHAgentConnector(new UnixDomainSocketFactory(), options.agentSocket()));
                if (!agent.getIdentities().isEmpty()) {
                    jsch.setIdentityRepository(agent);
                    return "ssh-agent at " + options.agentSocket();
                }
            }
            List<Path> keys = options.defaultIdentities().stream().filter(Files::isRegularFile).toList();
            if (keys.isEmpty()) {
                throw new ClusterException("no SSH key to log in to " + endpoint + ": no ssh-agent with keys (SSH_AUTH_SOCK), "
                        + "and none of " + options.defaultIdentities() + " exists. Load a key into ssh-agent, or name one "
                        + "with -Darchcore.ssh.identity or a settings.xml server '" + endpoint.hostPort()
                        + "' with <privateKey> (and <passphrase>)");
            }
            for (Path key : keys) {
                addKey(jsch, key, options.passphrase(), endpoint);
            }
            return "keys " + keys;
        } catch (AgentProxyException e) {
            throw new ClusterException("cannot use the ssh-agent at " + options.agentSocket() + ": " + e.getMessage(), e);
        }
    }

    private static void addKey(JSch jsch, Path key, String passphrase, SshEndpoint endpoint) {
        if (!Files.isReadable(key)) {
            throw new ClusterException("the SSH key " + key + " for " + endpoint + " does not exist or cannot be read: "
                    + "check archcore.ssh.identity or the settings.xml server's <privateKey>");
        }
        try {
            KeyPair pair = KeyPair.load(jsch, key.toString());
            if (pair.isEncrypted()) {
                if (passphrase == null) {
                    throw new ClusterException("the SSH key " + key + " is protected by a passphrase and none was given: put it "
                            + "in the settings.xml server '" + endpoint.hostPort() + "' as <passphrase> (mvn "
                            + "--encrypt-password encrypts it), set ARCHCORE_SSH_PASSPHRASE, or load the key into ssh-agent");
                }
                if (!pair.decrypt(passphrase)) {
                    throw new ClusterException("the passphrase given for the SSH key " + key + " is wrong (from the "
                            + "settings.xml server '" + endpoint.hostPort() + "' <passphrase> or ARCHCORE_SSH_PASSPHRASE): "
                            + "correct it there; nothing was sent to " + endpoint);
                }
            }
            pair.dispose();
            jsch.addIdentity(key.toString(), passphrase == null ? null : passphrase.getBytes(StandardCharsets.UTF_8));
        } catch (JSchException e) {
            throw new ClusterException("cannot read the SSH key " + key + ": " + e.getMessage()
                    + " (an OpenSSH, PEM or PuTTY private key is needed)", e);
        }
    }

    /** A channel to the Unix socket {@code path} on the master. */
    public StreamConnection openUnixSocket(String path) throws IOException {
        try {
            ChannelDirectStreamLocal channel = (ChannelDirectStreamLocal) session.openChannel("direct-streamlocal@openssh.com");
            channel.setSocketPath(path);
            return open(channel);
        } catch (JSchException e) {
            throw new IOException("the master " + endpoint + " could not open the Unix socket " + path + " ("
                    + e.getMessage() + ")", e);
        }
    }

    /** A channel to {@code host:port} as the master sees it (127.0.0.1 is the master itself). */
    public StreamConnection openTcp(String host, int port) throws IOException {
        try {
            ChannelDirectTCPIP channel = (ChannelDirectTCPIP) session.openChannel("direct-tcpip");
            channel.setHost(host);
            channel.setPort(port);
            return open(channel);
        } catch (JSchException e) {
            throw new IOException("the master " + endpoint + " could not connect to " + host + ":" + port + " ("
                    + e.getMessage() + ")", e);
        }
    }

    /**
     * Listens on a free port of this machine's 127.0.0.1 and forwards each connection to it through this SSH
     * connection to {@code host:port} as the master sees it (as {@code ssh -L}); it ends with the connection.
     *
     * @return the local port
     */
    public int forwardLocal(String host, int port) {
        try {
            return session.setPortForwardingL("127.0.0.1", 0, host, port);
        } catch (JSchException e) {
            throw new ClusterException("cannot forward a local port through SSH to " + host + ":" + port + " on "
                    + endpoint + ": " + e.getMessage(), e);
        }
    }

    private StreamConnection open(Channel channel) throws JSchException, IOException {
        InputStream in = new BufferedInputStream(channel.getInputStream(), 32 * 1024);
        OutputStream out = channel.getOutputStream();
        channel.connect(timeoutMillis);
        return StreamConnection.of(in, out, channel::disconnect);
    }

    /** The exit code and what the command printed (stdout and stderr). */
    public record ExecResult(int exitCode, String output) {
    }

    /** Runs {@code command} on the master and waits for it to end, at most {@code timeout}. */
    public ExecResult exec(String command, Duration timeout) {
        return exec(command, null, timeout);
    }

    /**
     * {@link #exec(String, Duration)} with {@code stdin} as the command's standard input (a secret never goes on a
     * command line); without it, the command's standard input is empty.
     */
    public ExecResult exec(String command, byte[] stdin, Duration timeout) {
        return execStreaming(command, stdin == null ? InputStream.nullInputStream() : new ByteArrayInputStream(stdin),
                timeout);
    }

    /**
     * Runs {@code command} with {@code stdin} as its standard input (sent to the end, then EOF) and waits for it to
     * end, at most {@code timeout}: how files reach a node without SFTP or scp. Output (stdout and stderr) is
     * collected directly, never through a pipe a silent reader could fill.
     */
    public ExecResult execStreaming(String command, InputStream stdin, Duration timeout) {
        ChannelExec channel = null;
        try {
            channel = (ChannelExec) session.openChannel("exec");
            channel.setCommand(command);
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            channel.setOutputStream(output, true);
            channel.setErrStream(output, true);
            OutputStream remoteIn = channel.getOutputStream();
            channel.connect(timeoutMillis);
            long until = System.nanoTime() + timeout.toNanos();
            try (remoteIn) {
                stdin.transferTo(remoteIn);
            } catch (IOException e) {
                // the command ended before reading everything (it refused the input): its exit code says why
                if (!channel.isClosed()) {
                    throw e;
                }
            }
            while (!channel.isClosed()) {
                if (System.nanoTime() > until) {
                    throw new ClusterException("'" + command + "' on " + endpoint + " did not finish within "
                            + timeout.toSeconds() + " s; output so far:\n" + output.toString(StandardCharsets.UTF_8));
                }
                Thread.sleep(20);
            }
            return new ExecResult(channel.getExitStatus(), output.toString(StandardCharsets.UTF_8).strip());
        } catch (JSchException | IOException e) {
            throw new ClusterException("cannot run '" + command + "' on " + endpoint + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted while running '" + command + "' on " + endpoint, e);
        } finally {
            if (channel != null) {
                channel.disconnect();
            }
        }
    }

    @Override
    public void close() {
        session.disconnect();
    }

    /**
     * known_hosts, strict; with trust on first use, a host that is not there at all is accepted once and recorded.
     * A host known under any key type is a known host: another key, of its type or another, is a changed key and
     * refused (jsch alone says NOT_INCLUDED for a key of a type known_hosts has none of for that host, which trust
     * on first use would have accepted: an attacker would only need to offer another key type).
     */
    private static final class TrustOnFirstUse implements HostKeyRepository {
        private final HostKeyRepository known;
        private final boolean tofu;
        private final Log log;
        private HostKey offered;

        TrustOnFirstUse(HostKeyRepository known, boolean tofu, Log log) {
            this.known = known;
            this.tofu = tofu;
            this.log = log;
        }

        @Override
        public int check(String host, byte[] key) {
            try {
                offered = new HostKey(host, key);
            } catch (JSchException e) {
                offered = null;
            }
            int result = known.check(host, key);
            if (result != NOT_INCLUDED) {
                return result;
            }
            HostKey[] recorded = known.getHostKey(host, null);
            if (recorded != null && recorded.length > 0) {
                return CHANGED;
            }
            if (tofu && offered != null) {
                known.add(offered, YES);
                log.warn("SSH: trusted " + host + " on first use (" + offered.getType() + " " + fingerprint(offered)
                        + "), recorded in " + known.getKnownHostsRepositoryID());
                return OK;
            }
            return result;
        }

        /** The key the master offered, as ssh-keygen -l names it: "the ED25519 key SHA256:...". */
        String offered() {
            if (offered == null) {
                return "a key of a type archcore does not know";
            }
            return "the " + offeredFileType().toUpperCase(java.util.Locale.ROOT) + " key " + fingerprint(offered);
        }

        /** The key type as in the master's file name /etc/ssh/ssh_host_TYPE_key.pub. */
        String offeredFileType() {
            String type = offered == null ? "" : offered.getType();
            return type.startsWith("ecdsa") ? "ecdsa" : type.startsWith("ssh-") ? type.substring(4) : type.isEmpty() ? "ed25519" : type;
        }

        private static String fingerprint(HostKey key) {
            return key.getFingerPrint(new JSch());
        }

        @Override
        public void add(HostKey hostkey, UserInfo ui) {
            known.add(hostkey, ui);
        }

        @Override
        public void remove(String host, String type) {
            known.remove(host, type);
        }

        @Override
        public void remove(String host, String type, byte[] key) {
            known.remove(host, type, key);
        }

        @Override
        public String getKnownHostsRepositoryID() {
            return known.getKnownHostsRepositoryID();
        }

        @Override
        public HostKey[] getHostKey() {
            return known.getHostKey();
        }

        @Override
        public HostKey[] getHostKey(String host, String type) {
            return known.getHostKey(host, type);
        }
    }

    /** Says yes to jsch's "create the known_hosts file?" when recording a trusted-on-first-use key. */
    private static final UserInfo YES = new UserInfo() {
        @Override
        public String getPassphrase() {
            return null;
        }

        @Override
        public String getPassword() {
            return null;
        }

        @Override
        public boolean promptPassword(String message) {
            return false;
        }

        @Override
        public boolean promptPassphrase(String message) {
            return false;
        }

        @Override
        public boolean promptYesNo(String message) {
            return true;
        }

        @Override
        public void showMessage(String message) {
        }
    };
}
