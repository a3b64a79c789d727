package dev.archcore.cluster;

import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.util.Log;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * fleet's etcd client certificate and key, written to each node over SSH when the update window opens instead of
 * travelling in user data: fleet needs them only to reach the master's etcd, which runs only during the window.
 * The files are written as {@link RegistrySecrets#install} writes the master's (only when they differ, root-owned,
 * the key 0600, through a temporary file moved into place); fleet is restarted on a node only when they changed,
 * since fleet v1.0.0 reads them once, when its server starts ({@code pkg.ReadTLSConfigFiles} in
 * {@code server.New}), and dies when they are missing, which the templates' {@code ConditionPathExists} on the key
 * turns into "not started yet". A node whose node files carry no fleet (no {@value #FLEET_CA}) gets nothing.
 */
public final class FleetCredentials {
    /** Where fleet's TLS files are on a node; the fleet part of the node files writes the CA here. */
    public static final String DIR = "/etc/archcore/fleet";
    /** The CA the node files write in the fleet part: its presence says the node runs fleet. */
    public static final String FLEET_CA = DIR + "/ca.crt";
    public static final String CERTIFICATE = DIR + "/etcd-client.crt";
    public static final String KEY = DIR + "/etcd-client.key";
    private static final String SERVICE = "fleet";

    private FleetCredentials() {
    }

    /** A node to write: its name (the certificate's common name) and where SSH reaches it. */
    public record Node(String name, SshEndpoint endpoint) {
    }

    /** What a node gets: its certificate (0644) and key (0600), root-owned. */
    public static List<RegistrySecrets.NodeFile> files(ClusterPki.ClientCertificate client) {
        return List.of(
                new RegistrySecrets.NodeFile(CERTIFICATE, "0644", List.of("root:root"),
                        client.certificatePem().getBytes(StandardCharsets.UTF_8), SERVICE),
                new RegistrySecrets.NodeFile(KEY, "0600", List.of("root:root"),
                        client.keyPem().getBytes(StandardCharsets.UTF_8), SERVICE));
    }

    /**
     * Writes {@code client}'s files on the node {@code ssh} is connected to when it runs fleet, and runs
     * {@code restartCommand} there when they changed.
     *
     * @param root a folder the paths are taken under, {@code /} on a real node
     * @return true when the files changed (and fleet was restarted), false when they were up to date or the node has
     * no fleet
     */
    public static boolean install(SshTunnel ssh, String root, ClusterPki.ClientCertificate client, String restartCommand,
                                  Log log) {
        String prefix = root == null || root.isBlank() || root.equals("/") ? "" : root.replaceFirst("/+$", "");
        SshTunnel.ExecResult probe = ssh.exec("test -f " + RegistrySecrets.quote(prefix + FLEET_CA), Duration.ofMinutes(1));
        if (probe.exitCode() != 0) {
            log.info("No fleet on " + ssh.endpoint() + " (its node files wrote no " + FLEET_CA + "): fleet's etcd "
                    + "client key is not sent there");
            return false;
        }
        if (!RegistrySecrets.install(ssh, root, files(client), log).contains(SERVICE)) {
            return false;
        }
        // fleet reads its TLS files only when it starts; it retries etcd by itself while the window is not open yet
        log.info("Restarting fleet on " + ssh.endpoint() + " (its etcd client certificate for " + client.node()
                + " changed): " + restartCommand);
        SshTunnel.ExecResult r = ssh.exec(restartCommand, Duration.ofMinutes(2));
        if (r.exitCode() != 0) {
            throw new ClusterException("could not restart fleet on " + ssh.endpoint() + " after writing its etcd client "
                    + "certificate: '" + restartCommand + "' exited " + r.exitCode() + (r.output().isEmpty() ? ""
                    : ":\n" + r.output()) + "\nCheck the command (archcore.window.fleetRestart) and that the user may "
                    + "run it (sudo without a password)");
        }
        return true;
    }

    /**
     * {@link #install} on each node, several at once (each its own SSH connection), each with its own certificate;
     * fails naming every node that could not be written.
     */
    public static void installOnAll(List<Node> nodes, List<ClusterPki.ClientCertificate> clients, SshOptions options,
                                    String root, String restartCommand, Log log) {
        if (nodes.isEmpty()) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(8, nodes.size()));
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (Node node : nodes) {
                ClusterPki.ClientCertificate client = clients.stream().filter(c -> c.node().equals(node.name()))
                        .findFirst().orElseThrow(() -> new IllegalArgumentException("no certificate for " + node.name()));
                runs.add(pool.submit(() -> {
                    try (SshTunnel ssh = SshTunnel.connect(node.endpoint(), options, log)) {
                        install(ssh, root, client, restartCommand, log);
                    }
                }));
            }
            List<String> failed = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                try {
                    runs.get(i).get();
                } catch (ExecutionException e) {
                    failed.add(nodes.get(i).name() + " (" + nodes.get(i).endpoint() + "): " + e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ClusterException("interrupted while writing fleet's etcd client certificates", e);
                }
            }
            if (!failed.isEmpty()) {
                throw new ClusterException("could not write fleet's etcd client certificate to " + failed.size()
                        + " node(s), whose fleet cannot reach etcd until it is there: " + String.join("; ", failed));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
