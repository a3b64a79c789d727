package dev.archcore.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.util.Log;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster's secrets, written to a node over SSH when the update window opens instead of travelling in user
 * data (which a cloud's metadata service serves to every process on the machine): the master's registry
 * certificate and key, its two htpasswd files (the push side's with only the push user, the read-only side's with
 * only the pull user) and etcd's certificate and key; on every node the registry's pull login (a Docker
 * {@code config.json} with only the pull user) and the CA for the registry's address. Each file is written only
 * when its content, mode or owner differ (compared by SHA-256 on the node), through a temporary file in the same
 * folder moved into place, root-owned, so a half-written key is never read. The push password is never among
 * them. Used by the fleet target's update window and by any target that reaches nodes over SSH.
 */
public final class RegistrySecrets {
    /** Where the registry's files are on the master (mounted into the registry container). */
    public static final String REGISTRY_DIR = "/etc/archcore/registry";
    /** The push side's htpasswd in {@link #REGISTRY_DIR}: only the push user. */
    public static final String PUSH_HTPASSWD = "htpasswd-push";
    /** The read-only side's htpasswd in {@link #REGISTRY_DIR}: only the nodes' pull user. */
    public static final String PULL_HTPASSWD = "htpasswd-pull";
    /** etcd's TLS folder on the master (etcd-member's ETCD_SSL_DIR). */
    public static final String ETCD_DIR = "/etc/ssl/etcd";
    /** The Docker client configuration the app's unit pulls with ({@code docker --config /etc/archcore/docker pull}). */
    public static final String DOCKER_CONFIG_DIR = "/etc/archcore/docker";
    private static final String SERVICE_REGISTRY = "registry";
    private static final String SERVICE_ETCD = "etcd";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RegistrySecrets() {
    }

    /**
     * A file for a node.
     *
     * @param path    absolute path on the node
     * @param mode    octal mode, e.g. {@code 0600}
     * @param owners  {@code user:group} to give it, the first that exists on the node ({@code etcd:etcd}, else root)
     * @param content the bytes
     * @param service the window service that must restart when it changes ({@code registry}, {@code etcd}), or null
     */
    public record NodeFile(String path, String mode, List<String> owners, byte[] content, String service) {
        @Override
        public String toString() {
            return "NodeFile[" + path + " " + mode + "]"; // never the content: most are secrets
        }
    }

    /** The master's files: the registry's and etcd's TLS material and htpasswd files, and what every node gets. */
    public static List<NodeFile> masterFiles(ClusterPki.Material pki, String pullRegistry) {
        List<NodeFile> files = new ArrayList<>();
        files.add(file(REGISTRY_DIR + "/registry.crt", "0644", pki.registryCertificatePem(), SERVICE_REGISTRY));
        files.add(file(REGISTRY_DIR + "/registry.key", "0600", pki.registryKeyPem(), SERVICE_REGISTRY));
        // one file per side: docker-registry lets every user its htpasswd knows push, so the read-only side the
        // nodes pull from knows only the pull user, and the push side (on the master's 127.0.0.1) only the push user
        files.add(file(REGISTRY_DIR + "/" + PUSH_HTPASSWD, "0600", pki.pushHtpasswd(), SERVICE_REGISTRY));
        files.add(file(REGISTRY_DIR + "/" + PULL_HTPASSWD, "0600", pki.pullHtpasswd(), SERVICE_REGISTRY));
        files.add(file(ETCD_DIR + "/etcd.crt", "0644", pki.etcdCertificatePem(), SERVICE_ETCD));
        // etcd runs as the user etcd where the image has one (etcd-member's rkt/docker wrappers)
        files.add(new NodeFile(ETCD_DIR + "/etcd.key", "0600", List.of("etcd:etcd", "root:root"),
                pki.etcdKeyPem().getBytes(StandardCharsets.UTF_8), SERVICE_ETCD));
        files.addAll(nodeFiles(pki, pullRegistry));
        return files;
    }

    /**
     * What every node gets: the pull login for {@code pullRegistry} ({@code host:port} as the units name the image)
     * and the cluster CA under Docker's {@code certs.d} for that address.
     */
    public static List<NodeFile> nodeFiles(ClusterPki.Material pki, String pullRegistry) {
        return List.of(new NodeFile(DOCKER_CONFIG_DIR + "/config.json", "0600", List.of("root:root"),
                        dockerConfig(pullRegistry, pki.pullUsername(), pki.pullPassword()), null),
                file("/etc/docker/certs.d/" + pullRegistry + "/ca.crt", "0644", pki.caCertificatePem(), null));
    }

    /** Docker's {@code config.json} with one login: {@code {"auths": {"<registry>": {"auth": base64(user:password)}}}}. */
    public static byte[] dockerConfig(String registry, String user, String password) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("auths").putObject(registry).put("auth", Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        try {
            return (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static NodeFile file(String path, String mode, String text, String service) {
        return new NodeFile(path, mode, List.of("root:root"), text.getBytes(StandardCharsets.UTF_8), service);
    }

    /**
     * Writes the files that differ on the node {@code ssh} is connected to, as root ({@code sudo -n} unless the SSH
     * user is root).
     *
     * @param root a folder the paths are taken under, {@code /} on a real node
     * @return the services whose files changed (their running instance must restart to read them)
     */
    public static Set<String> install(SshTunnel ssh, String root, List<NodeFile> files, Log log) {
        String prefix = root == null || root.isBlank() || root.equals("/") ? "" : root.replaceFirst("/+$", "");
        Map<String, String> present = remoteState(ssh, prefix, files);
        Set<String> changed = new LinkedHashSet<>();
        List<String> written = new ArrayList<>();
        for (NodeFile f : files) {
            String target = prefix + f.path();
            String want = sha256(f.content());
            String have = present.get(target);
            if (have != null && have.startsWith(want + " " + Integer.parseInt(f.mode(), 8) + " ")
                    && f.owners().stream().anyMatch(o -> have.endsWith(" " + o))) {
                continue;
            }
            write(ssh, target, f);
            written.add(f.path());
            if (f.service() != null) {
                changed.add(f.service());
            }
        }
        log.info(written.isEmpty() ? "Secrets on " + ssh.endpoint() + " are up to date (" + files.size() + " files)"
                : "Wrote " + String.join(", ", written) + " on " + ssh.endpoint() + " over SSH (root-owned)");
        return changed;
    }

    /**
     * {@link #install} on each node, several at once (each its own SSH connection); fails naming every node that
     * could not be written.
     */
    public static void installOnAll(List<SshEndpoint> nodes, SshOptions options, String root, List<NodeFile> files, Log log) {
        if (nodes.isEmpty()) {
            return;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.min(8, nodes.size()));
        try {
            List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
            for (SshEndpoint node : nodes) {
                runs.add(pool.submit(() -> {
                    try (SshTunnel ssh = SshTunnel.connect(node, options, log)) {
                        install(ssh, root, files, log);
                    }
                }));
            }
            List<String> failed = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                try {
                    runs.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failed.add(nodes.get(i) + ": " + e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ClusterException("interrupted while writing the pull login to the nodes", e);
                }
            }
            if (!failed.isEmpty()) {
                throw new ClusterException("could not write the registry's pull login to " + failed.size() + " node(s) "
                        + "(they could not pull the image): " + String.join("; ", failed));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code path → "sha256 mode(decimal) user:group"} of the files that exist, in one command. */
    private static Map<String, String> remoteState(SshTunnel ssh, String prefix, List<NodeFile> files) {
        StringBuilder script = new StringBuilder("for f in");
        for (NodeFile f : files) {
            script.append(' ').append(quote(prefix + f.path()));
        }
        // stat's %a is octal without a leading zero: print it as decimal to compare without parsing octal twice
        script.append("; do if [ -f \"$f\" ]; then printf '%s %s %d %s\\n' \"$f\" \"$(sha256sum < \"$f\" | cut -d' ' -f1)\""
                + " \"0$(stat -c %a \"$f\")\" \"$(stat -c %U:%G \"$f\")\"; fi; done");
        SshTunnel.ExecResult r = ssh.exec(asRoot(ssh, script.toString()), null, Duration.ofMinutes(1));
        if (r.exitCode() != 0) {
            throw new ClusterException("cannot read the cluster's secret files on " + ssh.endpoint() + " (exit "
                    + r.exitCode() + (r.output().isEmpty() ? "" : ": " + r.output()) + "): the SSH user must be root "
                    + "or run sudo without a password, as for the update window's commands");
        }
        Map<String, String> state = new LinkedHashMap<>();
        for (String line : r.output().split("\n")) {
            int space = line.indexOf(' ');
            if (space > 0) {
                state.put(line.substring(0, space), line.substring(space + 1));
            }
        }
        return state;
    }

    private static void write(SshTunnel ssh, String target, NodeFile f) {
        String dir = target.substring(0, target.lastIndexOf('/'));
        StringBuilder chown = new StringBuilder();
        for (String owner : f.owners()) {
            chown.append(chown.length() == 0 ? "" : " || ").append("chown ").append(quote(owner)).append(" \"$t\" 2>/dev/null");
        }
        // new folders 0755 (etcd and the registry container read below them); the file is 0600 from its first byte
        String script = "set -e; umask 022; mkdir -p " + quote(dir) + "; umask 077; t=$(mktemp " + quote(dir + "/.archcore.XXXXXX")
                + "); trap 'rm -f \"$t\"' EXIT; cat > \"$t\"; { " + chown + "; } || { echo 'cannot chown'; exit 1; }; chmod "
                + f.mode() + " \"$t\"; mv -f \"$t\" " + quote(target) + "; trap - EXIT";
        SshTunnel.ExecResult r = ssh.exec(asRoot(ssh, script), f.content(), Duration.ofMinutes(1));
        if (r.exitCode() != 0) {
            throw new ClusterException("cannot write " + target + " on " + ssh.endpoint() + " (exit " + r.exitCode()
                    + (r.output().isEmpty() ? "" : ": " + r.output()) + "): the SSH user must be root or run sudo "
                    + "without a password, and the folder must be writable");
        }
    }

    private static String asRoot(SshTunnel ssh, String script) {
        return ssh.endpoint().user().equals("root") ? "sh -c " + quote(script) : "sudo -n sh -c " + quote(script);
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
