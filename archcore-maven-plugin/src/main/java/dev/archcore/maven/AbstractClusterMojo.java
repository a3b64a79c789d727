package dev.archcore.maven;

import dev.archcore.cluster.ClusterConnection;
import dev.archcore.cluster.EtcdTls;
import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.SshOptions;
import dev.archcore.cluster.UpdateWindow;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.registry.Credentials;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the cluster goals share: the master's SSH endpoint and how to log in, fleet's socket, and the update window
 * (etcd and the registry, started on the master only for an update).
 */
abstract class AbstractClusterMojo extends AbstractClusterPkiMojo {
    static final String ETCD = "etcd";
    static final String REGISTRY = "registry";

    /** The master's SSH endpoint, {@code user@host:port} (set by the staging/production profiles). */
    @Parameter(property = "archcore.cluster")
    String cluster;

    /** The known_hosts file the master's host key is checked against. */
    @Parameter(property = "archcore.ssh.knownHosts", defaultValue = "${user.home}/.ssh/known_hosts")
    File knownHosts;

    /** Accept a master that is not in known_hosts yet, and record it there (a changed key is still refused). */
    @Parameter(property = "archcore.ssh.trustOnFirstUse", defaultValue = "false")
    boolean trustOnFirstUse;

    /** A private key to log in with (then only it is used); default: the settings.xml server, ssh-agent, ~/.ssh/id_*. */
    @Parameter(property = "archcore.ssh.identity")
    File identity;

    /**
     * The settings.xml server with the SSH key ({@code <privateKey>}, {@code <passphrase>}, optionally
     * {@code <username>}); default: the cluster's {@code host:port}.
     */
    @Parameter(property = "archcore.ssh.serverId")
    String sshServerId;

    /** fleet's API socket on the master. */
    @Parameter(property = "archcore.fleet.socket", defaultValue = ClusterConnection.DEFAULT_FLEET_SOCKET)
    String fleetSocket;

    /** etcd's client port on the master (reached through the tunnel at 127.0.0.1). */
    @Parameter(property = "archcore.etcdPort", defaultValue = "2479")
    int etcdPort;

    /**
     * The master's etcd answers plain HTTP: a cluster whose node files were made before etcd used TLS. The update
     * window's health check then sends no client certificate. Provision the master again with archcore:iso's
     * files instead: its etcd is reachable from other hosts while it runs.
     */
    @Parameter(property = "archcore.etcd.plainHttp", defaultValue = "false")
    boolean etcdPlainHttp;

    @Parameter(property = "archcore.window.etcdStart", defaultValue = "sudo systemctl start etcd-member.service")
    String etcdStart;

    @Parameter(property = "archcore.window.etcdStop", defaultValue = "sudo systemctl stop etcd-member.service")
    String etcdStop;

    @Parameter(property = "archcore.window.registryStart", defaultValue = "sudo systemctl start archcore-registry.service")
    String registryStart;

    @Parameter(property = "archcore.window.registryStop", defaultValue = "sudo systemctl stop archcore-registry.service")
    String registryStop;

    /** How long etcd and the registry may take to answer once started. */
    @Parameter(property = "archcore.window.timeoutSeconds", defaultValue = "120")
    int windowTimeoutSeconds;

    @Parameter(defaultValue = "${project.build.directory}", readonly = true)
    File buildDirectory;

    /**
     * Where the app runs: {@code fleet} (a global fleet unit through the master) or {@code systemd} (the image and a
     * unit on each node over SSH; no fleet, etcd, Docker or registry on the nodes). See docs/cluster.md.
     */
    @Parameter(property = "archcore.deploy.target", defaultValue = "fleet")
    String deployTarget;

    /**
     * The systemd target's nodes, {@code [user@]host[:port]} separated by commas; default: archcore:provision's
     * {@code target/archcore/nodes.json}, else fleet's machines (through {@code archcore.cluster}).
     */
    @Parameter(property = "archcore.deploy.nodes")
    String deployNodes;

    /** The systemd target's login on nodes listed without one; default: archcore.cluster's user, else core. */
    @Parameter(property = "archcore.deploy.user")
    String deployUser;

    /** The nodes' SSH port where a node is listed without one: the node files' sshd ($SSH_PORT). */
    @Parameter(property = "archcore.sshPort", defaultValue = "2222")
    int sshPort;

    /** The systemd target: SSH connections and commands at the same time, at most. */
    @Parameter(property = "archcore.deploy.parallel", defaultValue = "16")
    int deployParallel;

    boolean clusterConfigured() {
        return cluster != null && !cluster.isBlank();
    }

    SshEndpoint endpoint() throws MojoFailureException {
        if (!clusterConfigured()) {
            throw new MojoFailureException("no cluster: choose one with a profile (mvn deploy -Pstaging) or set "
                    + "archcore.cluster to the master's SSH endpoint, user@host:port (e.g. -Darchcore.cluster=core@master.example.com:2222)");
        }
        try {
            SshEndpoint e = SshEndpoint.parse(cluster);
            Secrets.SshKey key = key(e);
            return key != null && key.username() != null && !cluster.contains("@") ? new SshEndpoint(key.username(), e.host(), e.port()) : e;
        } catch (dev.archcore.cluster.ClusterException ex) {
            throw new MojoFailureException(ex.getMessage());
        }
    }

    private Secrets.SshKey key(SshEndpoint e) throws MojoFailureException {
        String id = sshServerId != null && !sshServerId.isBlank() ? sshServerId : e.hostPort();
        return session == null ? null : Secrets.sshKey(session.getSettings(), settingsDecrypter, id);
    }

    /** Key, passphrase and known_hosts: settings.xml server, then -Darchcore.ssh.identity, agent, ~/.ssh. */
    SshOptions sshOptions(SshEndpoint e) throws MojoFailureException {
        SshOptions o = SshOptions.defaults(Path.of(System.getProperty("user.home")), System.getenv("SSH_AUTH_SOCK"))
                .withKnownHosts(knownHosts.toPath(), trustOnFirstUse);
        Secrets.SshKey key = key(e);
        String passphrase = key != null && key.passphrase() != null ? key.passphrase() : System.getenv("ARCHCORE_SSH_PASSPHRASE");
        if (identity != null) {
            return o.withIdentity(identity.toPath(), passphrase);
        }
        if (key != null && key.privateKey() != null) {
            return o.withIdentity(Path.of(key.privateKey()), passphrase);
        }
        return o.withPassphrase(passphrase);
    }

    /** The CA file given, else the cluster PKI's CA when archcore:iso made one (and the registry is not plain HTTP). */
    File caFile(File given, boolean insecure) {
        if (given != null || insecure || pkiDirectory == null) {
            return given;
        }
        File ca = ClusterPki.caCertificate(pkiDirectory.toPath()).toFile();
        if (!ca.isFile()) {
            return null;
        }
        getLog().info("Trusting the cluster CA " + ca + " for the registry (archcore:iso made it; "
                + "archcore.registry.caFile chooses another)");
        return ca;
    }

    /** The cluster PKI's registry user and generated password, or null when there is none. */
    Credentials pkiCredentials() throws MojoExecutionException {
        if (pkiDirectory == null) {
            return null;
        }
        Path dir = pkiDirectory.toPath();
        try {
            return ClusterPki.storedPassword(dir).filter(p -> !p.isEmpty())
                    .map(p -> new Credentials(registryUser, p, "the cluster PKI's " + ClusterPki.passwordFile(dir)))
                    .orElse(null);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot read " + ClusterPki.passwordFile(dir) + ": " + e.getMessage(), e);
        }
    }

    /** etcd, and the registry when {@code registry} is given (probed from here as archcore:push reaches it). */
    List<UpdateWindow.Service> window(String registry, boolean insecure, File caFile) throws MojoFailureException {
        List<UpdateWindow.Service> services = new ArrayList<>();
        services.add(new UpdateWindow.Service(ETCD, etcdStart, etcdStop, UpdateWindow.etcd(etcdPort, etcdTls())));
        if (registry != null && !registry.isBlank()) {
            services.add(new UpdateWindow.Service(REGISTRY, registryStart, registryStop, UpdateWindow.registry(
                    registry.trim().replaceFirst("^[a-z]+://", "").replaceFirst("/+$", ""), insecure,
                    caFile == null ? null : caFile.toPath(), proxies())));
        }
        return services;
    }

    /**
     * TLS to the master's etcd with archcore's client certificate from the cluster PKI (archcore:iso makes it), or
     * null with {@code archcore.etcd.plainHttp}.
     */
    EtcdTls etcdTls() throws MojoFailureException {
        if (etcdPlainHttp) {
            getLog().warn("archcore.etcd.plainHttp is set: the update window reaches etcd without TLS. While it runs, "
                    + "the master's etcd answers anyone who reaches it; provision the master again with archcore:iso's files");
            return null;
        }
        Path dir = pkiDirectory == null ? null : pkiDirectory.toPath();
        List<Path> files = dir == null ? List.of() : List.of(ClusterPki.caCertificate(dir),
                ClusterPki.archcoreEtcdCertificate(dir), ClusterPki.archcoreEtcdKey(dir));
        if (files.isEmpty() || !files.stream().allMatch(Files::isRegularFile)) {
            throw new MojoFailureException("archcore's etcd client certificate is not in the cluster PKI " + dir
                    + " (ca.crt, etcd-archcore.crt and etcd-archcore.key): the master's etcd asks every client for a "
                    + "certificate from the cluster CA. Run mvn archcore:iso with the archcore.pkiDirectory the cluster's "
                    + "node files were made with (it adds what is missing and keeps the CA). A master provisioned before "
                    + "etcd used TLS answers plain HTTP: provision it again with the new files, or set "
                    + "-Darchcore.etcd.plainHttp=true until then");
        }
        try {
            return EtcdTls.load(files.get(0), files.get(1), files.get(2));
        } catch (dev.archcore.cluster.ClusterException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
    }

    /**
     * The window's services with their stop commands, to close what archcore:push opened: both, whatever this goal's
     * parameters say (the record names which to stop); their probes are never asked.
     */
    List<UpdateWindow.Service> windowToClose() {
        UpdateWindow.Probe unused = ssh -> {
            throw new IllegalStateException("not probed when closing");
        };
        return List.of(new UpdateWindow.Service(ETCD, etcdStart, etcdStop, unused),
                new UpdateWindow.Service(REGISTRY, registryStart, registryStop, unused));
    }

    Duration windowTimeout() {
        return Duration.ofSeconds(Math.max(1, windowTimeoutSeconds));
    }

    long buildId() {
        return session == null || session.getRequest().getStartTime() == null ? 0 : session.getRequest().getStartTime().getTime();
    }
}
