package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real distribution registry ({@code docker-registry}, Debian's package) on 127.0.0.1 and a random free
 * port, with its own config and storage under {@code dir}: plain HTTP, or htpasswd auth + TLS with a
 * self-signed CA (made with openssl, SAN IP:127.0.0.1), or token auth. {@link #close()} stops it.
 */
public final class RegistryServer implements AutoCloseable {
    public static final String USER = "pusher";
    public static final String PASSWORD = "s3cret-Pa55word";

    public final Path dir;
    public final int port;
    public final boolean secure;
    /** The CA that signed the server certificate (PEM), and a dir with it as ca.crt (for skopeo --cert-dir). */
    public final Path caFile;
    public final Path certDir;
    public final Path logFile;
    private final Process process;

    private RegistryServer(Path dir, int port, boolean secure, Path caFile, Path certDir, Path logFile, Process process) {
        this.dir = dir;
        this.port = port;
        this.secure = secure;
        this.caFile = caFile;
        this.certDir = certDir;
        this.logFile = logFile;
        this.process = process;
    }

    public static RegistryServer plain(Path dir) {
        return start(dir, false);
    }

    /** htpasswd ({@link #USER}/{@link #PASSWORD}) and TLS. */
    public static RegistryServer secure(Path dir) {
        return start(dir, true);
    }

    /** TLS and htpasswd from the given files (e.g. a cluster PKI archcore made), CA {@code ca}. */
    public static RegistryServer secure(Path dir, Path ca, Path certificate, Path key, Path htpasswd) {
        return start(dir, true, new Path[]{ca, certificate, key, htpasswd});
    }

    /** {@link #secure(Path, Path, Path, Path, Path)} on a given port (known before the files are made for it). */
    public static RegistryServer secure(Path dir, int port, Path ca, Path certificate, Path key, Path htpasswd) {
        return start(dir, true, new Path[]{ca, certificate, key, htpasswd}, null, port);
    }

    /**
     * Token auth as Docker Hub does it: the registry (plain HTTP, or TLS with a test CA when {@code tls}) challenges
     * with {@code Bearer realm="<realm>",service="archcore-registry"} and accepts JWTs of the issuer
     * {@value #TOKEN_ISSUER} signed by a certificate in {@code rootCertBundle}.
     */
    public static RegistryServer token(Path dir, boolean tls, String realm, Path rootCertBundle) {
        return start(dir, tls, null, "auth: {token: {realm: \"" + realm + "\", service: " + TOKEN_SERVICE + ", issuer: "
                + TOKEN_ISSUER + ", rootcertbundle: " + rootCertBundle + "}}\n");
    }

    public static final String TOKEN_SERVICE = "archcore-registry";
    public static final String TOKEN_ISSUER = "archcore-test-issuer";

    public String host() {
        return "127.0.0.1:" + port;
    }

    private static RegistryServer start(Path dir, boolean secure) {
        return start(dir, secure, null, null);
    }

    private static RegistryServer start(Path dir, boolean secure, Path[] given) {
        return start(dir, secure, given, null);
    }

    /** {@code auth}: the registry's auth section; null for htpasswd ({@link #USER}) when secure. */
    private static RegistryServer start(Path dir, boolean secure, Path[] given, String auth) {
        try {
            return start(dir, secure, given, auth, freePort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RegistryServer start(Path dir, boolean secure, Path[] given, String auth, int port) {
        Tools.require("docker-registry", "skopeo");
        try {
            Files.createDirectories(dir);
            StringBuilder config = new StringBuilder("version: 0.1\nlog: {level: info, accesslog: {disabled: false}}\n"
                    + "storage: {filesystem: {rootdirectory: " + dir.resolve("data") + "}, delete: {enabled: true}}\n"
                    + "http:\n  addr: 127.0.0.1:" + port + "\n  secret: archcore-test-secret\n");
            Path ca = null;
            Path certDir = null;
            if (secure && given != null) {
                ca = given[0];
                config.append("  tls: {certificate: ").append(given[1]).append(", key: ").append(given[2]).append("}\n")
                        .append("auth: {htpasswd: {realm: archcore-test, path: ").append(given[3]).append("}}\n");
                certDir = Files.createDirectories(dir.resolve("certs"));
                Files.copy(ca, certDir.resolve("ca.crt"));
            } else if (secure) {
                Tools.require("openssl", "htpasswd");
                ca = dir.resolve("ca.crt");
                Tools.run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=archcore test CA").ok("openssl CA");
                Tools.run(dir, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1").ok("openssl csr");
                Files.writeString(dir.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
                Tools.run(dir, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf").ok("openssl sign");
                String htpasswd = Tools.run(dir, "htpasswd", "-Bbn", USER, PASSWORD).ok("htpasswd").text();
                Files.writeString(dir.resolve("htpasswd"), htpasswd.strip() + "\n");
                config.append("  tls: {certificate: ").append(dir.resolve("server.crt")).append(", key: ")
                        .append(dir.resolve("server.key")).append("}\n")
                        .append(auth != null ? "" : "auth: {htpasswd: {realm: archcore-test, path: " + dir.resolve("htpasswd") + "}}\n");
                certDir = Files.createDirectories(dir.resolve("certs"));
                Files.copy(ca, certDir.resolve("ca.crt"));
            }
            if (auth != null) {
                config.append(auth);
            }
            Files.writeString(dir.resolve("config.yml"), config);
            Path log = dir.resolve("registry.log");
            Process p = new ProcessBuilder(List.of(Tools.which("docker-registry").toString(), "serve",
                    dir.resolve("config.yml").toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    break;
                } catch (IOException e) {
                    if (!p.isAlive() || System.nanoTime() > until) {
                        p.destroyForcibly();
                        fail("docker-registry did not start:\n" + Files.readString(log));
                    }
                    Thread.sleep(50);
                }
            }
            return new RegistryServer(dir, port, secure, ca, certDir, log, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The registry's own log (one access line per request). */
    public String log() {
        try {
            return Files.readString(logFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
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
