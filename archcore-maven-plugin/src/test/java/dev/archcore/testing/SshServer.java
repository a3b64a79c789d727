package dev.archcore.testing;

import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.SshOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real OpenSSH server on 127.0.0.1 and a free port, with its own config, host key and authorized_keys under
 * {@code dir}: public keys only, Unix-socket and TCP forwarding allowed (what fleetctl --tunnel needs). Logs in as
 * the user running the tests. {@link #close()} stops it.
 */
public final class SshServer implements AutoCloseable {
    public final Path dir;
    public final int port;
    public final String user = System.getProperty("user.name");
    /** A key sshd accepts (no passphrase). */
    public final Path clientKey;
    /** A known_hosts file with this server's host key, as ssh-keyscan writes it. */
    public final Path knownHosts;
    private final Path authorizedKeys;
    private final Process process;
    private final Path log;

    private SshServer(Path dir, int port, Path clientKey, Path knownHosts, Path authorizedKeys, Process process, Path log) {
        this.dir = dir;
        this.port = port;
        this.clientKey = clientKey;
        this.knownHosts = knownHosts;
        this.authorizedKeys = authorizedKeys;
        this.process = process;
        this.log = log;
    }

    public static SshServer start(Path dir) {
        return start(dir, "ed25519");
    }

    /**
     * With a host key of each of {@code hostKeyTypes} ({@code ssh-keygen -t}: ed25519, ecdsa, rsa), as files
     * {@code host_<type>} and {@code host_<type>.pub} under {@code dir}; {@link #knownHosts} lists them all.
     */
    public static SshServer start(Path dir, String... hostKeyTypes) {
        Tools.require("sshd", "ssh-keygen");
        try {
            Files.createDirectories(dir);
            Files.createDirectories(Path.of("/run/sshd"));
            List<Path> hostKeys = new java.util.ArrayList<>();
            for (String type : hostKeyTypes) {
                Path hostKey = dir.resolve("host_" + type);
                keygen(dir, hostKey, "", type);
                hostKeys.add(hostKey);
            }
            Path clientKey = dir.resolve("client_ed25519");
            keygen(dir, clientKey, "", "ed25519");
            Path authorized = dir.resolve("authorized_keys");
            Files.copy(Path.of(clientKey + ".pub"), authorized);
            int port = RegistryServer.freePort();
            Path config = dir.resolve("sshd_config");
            Files.writeString(config, String.join("\n",
                    "Port " + port, "ListenAddress 127.0.0.1", hostKeys.stream().map(k -> "HostKey " + k)
                            .collect(java.util.stream.Collectors.joining("\n")), "PidFile " + dir.resolve("sshd.pid"),
                    "AuthorizedKeysFile " + authorized, "PermitRootLogin prohibit-password", "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "AllowStreamLocalForwarding yes",
                    "AllowTcpForwarding yes", "LogLevel VERBOSE", ""));
            Tools.run(dir, "/usr/sbin/sshd", "-t", "-f", config.toString()).ok("sshd -t");
            Path log = dir.resolve("sshd.log");
            Process p = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    break;
                } catch (IOException e) {
                    if (!p.isAlive() || System.nanoTime() > until) {
                        p.destroyForcibly();
                        fail("sshd did not start:\n" + Files.readString(log));
                    }
                    Thread.sleep(30);
                }
            }
            Path knownHosts = dir.resolve("known_hosts");
            StringBuilder lines = new StringBuilder();
            for (Path hostKey : hostKeys) {
                String[] pub = Files.readString(Path.of(hostKey + ".pub")).trim().split(" ");
                lines.append("[127.0.0.1]:").append(port).append(' ').append(pub[0]).append(' ').append(pub[1]).append('\n');
            }
            Files.writeString(knownHosts, lines.toString());
            return new SshServer(dir, port, clientKey, knownHosts, authorized, p, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A new key pair {@code name} (and {@code name.pub}) under this server's dir; not authorized yet. */
    public Path newKey(String name, String passphrase) {
        return newKey(name, passphrase, "ed25519");
    }

    /** A new key pair of {@code type} (ssh-keygen -t). */
    public Path newKey(String name, String passphrase, String type) {
        Path key = dir.resolve(name);
        keygen(dir, key, passphrase, type);
        return key;
    }

    /** The public host key file of {@code type} ({@code host_<type>.pub}). */
    public Path hostKey(String type) {
        return dir.resolve("host_" + type + ".pub");
    }

    public void authorize(Path key) {
        try {
            Files.writeString(authorizedKeys, Files.readString(Path.of(key + ".pub")), java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code user@127.0.0.1:port}, as archcore.cluster is written. */
    public String endpoint() {
        return user + "@127.0.0.1:" + port;
    }

    public SshEndpoint sshEndpoint() {
        return SshEndpoint.parse(endpoint());
    }

    /** How a client logs in here: {@link #clientKey}, this server's host key in {@link #knownHosts}, a 10 s timeout. */
    public SshOptions options() {
        return new SshOptions(knownHosts, false, clientKey, null, null, List.of(), Duration.ofSeconds(10));
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void keygen(Path dir, Path key, String passphrase, String type) {
        Tools.run(dir, Tools.which("ssh-keygen").toString(), "-q", "-t", type, "-N", passphrase, "-C", "archcore-test",
                "-f", key.toString()).ok("ssh-keygen");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
