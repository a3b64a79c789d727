package dev.archcore.maven;

import dev.archcore.cluster.ClusterConnection;
import dev.archcore.cluster.EtcdTls;
import dev.archcore.cluster.FleetCredentials;
import dev.archcore.cluster.NodeList;
import dev.archcore.cluster.RegistrySecrets;
import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.SshOptions;
import dev.archcore.cluster.UpdateWindow;
import dev.archcore.cluster.systemd.NodeSources;
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

    @Parameter(property = "archcore.window.etcdRestart", defaultValue = "sudo systemctl restart etcd-member.service")
    String etcdRestart;

    @Parameter(property = "archcore.window.registryRestart", defaultValue = "sudo systemctl restart archcore-registry.service")
    String registryRestart;

    /** Restarts fleet on a node whose etcd client certificate the window just wrote (fleet reads it only at start). */
    @Parameter(property = "archcore.window.fleetRestart", defaultValue = "sudo systemctl restart fleet.service")
    String fleetRestart;

    /**
     * A folder every path written on the nodes is taken under ({@code /}: the nodes' own files). The secrets go
     * over SSH when the window opens: the master's registry and etcd key, certificate and htpasswd, every
     * node's pull login and each fleet node's etcd client certificate and key.
     */
    @Parameter(property = "archcore.secrets.root", defaultValue = "/")
    String secretsRoot;

    /**
     * The master's address as the nodes reach it; optional after archcore:provision, whose
     * {@code target/archcore/nodes.json} gives the master's actual public and private IPv4.
     */
    @Parameter(property = "archcore.registryIp")
    String registryIp;

    @Parameter(property = "archcore.registryPort", defaultValue = "5443")
    int registryPort;

    /**
     * The registry as the machines reach it; default {@code archcore.registryIp:archcore.registryPort} (the master's
     * address inside the cluster), else the master's public IPv4 from archcore:provision's nodes.json, else
     * {@code archcore.registry}.
     */
    @Parameter(property = "archcore.deploy.pullRegistry")
    String pullRegistry;

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
    File caFile(File given, boolean insecure) throws MojoFailureException {
        if (given != null || insecure) {
            return given;
        }
        File ca = ClusterPki.caCertificate(pkiDir()).toFile();
        if (!ca.isFile()) {
            return null;
        }
        getLog().info("Trusting the cluster CA " + ca + " for the registry (archcore:iso made it; "
                + "archcore.registry.caFile chooses another)");
        return ca;
    }

    /** The cluster PKI's registry user and generated password, or null when there is none. */
    Credentials pkiCredentials() throws MojoExecutionException, MojoFailureException {
        Path dir = pkiDir();
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
        return window(registry, insecure, caFile, false);
    }

    /**
     * The window; with {@code writeSecrets} its services first bring their secrets up to date over SSH (and restart
     * when they changed while running): the master's, and the pull login on every node of nodes.json.
     */
    List<UpdateWindow.Service> window(String registry, boolean insecure, File caFile, boolean writeSecrets)
            throws MojoFailureException {
        UpdateWindow.Preparation etcdFiles = null;
        UpdateWindow.Preparation registryFiles = null;
        if (writeSecrets) {
            ClusterSecrets secrets = clusterSecrets(registry);
            etcdFiles = secrets.etcd();
            registryFiles = secrets.registry();
        }
        List<UpdateWindow.Service> services = new ArrayList<>();
        services.add(new UpdateWindow.Service(ETCD, etcdStart, etcdStop, UpdateWindow.etcd(etcdPort, etcdTls()),
                etcdRestart, etcdFiles));
        if (registry != null && !registry.isBlank()) {
            services.add(new UpdateWindow.Service(REGISTRY, registryStart, registryStop, UpdateWindow.registry(
                    registry.trim().replaceFirst("^[a-z]+://", "").replaceFirst("/+$", ""), insecure,
                    caFile == null ? null : caFile.toPath(), proxies()), registryRestart, registryFiles));
        } else if (registryFiles != null) {
            // no registry to probe from here: the files still go out with etcd's
            UpdateWindow.Preparation etcdOnly = etcdFiles;
            UpdateWindow.Preparation both = registryFiles;
            etcdFiles = ssh -> both.prepare(ssh) | etcdOnly.prepare(ssh);
            services.set(0, new UpdateWindow.Service(ETCD, etcdStart, etcdStop, services.get(0).probe(), etcdRestart, etcdFiles));
        }
        return services;
    }

    /** What the window writes: etcd's files on the master; the registry's on the master and the pull login everywhere. */
    record ClusterSecrets(UpdateWindow.Preparation etcd, UpdateWindow.Preparation registry) {
    }

    ClusterSecrets clusterSecrets(String registry) throws MojoFailureException {
        SshEndpoint master = endpoint();
        SshOptions options = sshOptions(master);
        NodeList nodes = nodeList();
        String pull = pullRegistryHost(registry, nodes);
        if (pull == null) {
            throw new MojoFailureException("cannot tell where the machines pull the image from, for their registry login: "
                    + "set archcore.registryIp (the staging and production profiles do), archcore.deploy.pullRegistry, "
                    + "or run archcore:provision first (its target/archcore/nodes.json names the master's address)");
        }
        ClusterPki.Material pki = pkiMaterial(registryNames(master, registry, pull, registryIp, nodes), registry);
        List<RegistrySecrets.NodeFile> all = RegistrySecrets.masterFiles(pki, pull);
        List<RegistrySecrets.NodeFile> etcdFiles = all.stream().filter(f -> ETCD.equals(f.service())).toList();
        List<RegistrySecrets.NodeFile> masterFiles = all.stream().filter(f -> !ETCD.equals(f.service())).toList();
        List<SshEndpoint> workers = nodes.workers().stream().filter(n -> n.publicIpv4() != null)
                .map(n -> new SshEndpoint(master.user(), n.publicIpv4(), master.port())).toList();
        MavenLog log = new MavenLog(getLog());
        if (nodes.nodes().isEmpty()) {
            getLog().info("The pull login goes to the master " + master + " only: there is no " + nodesFile()
                    + " (archcore:provision writes it) naming the other nodes; give them " + RegistrySecrets.DOCKER_CONFIG_DIR
                    + "/config.json yourself or provision them with archcore:provision");
        }
        UpdateWindow.Preparation fleet = fleetCredentials(master, options, nodes, log);
        return new ClusterSecrets(
                ssh -> {
                    boolean changed = RegistrySecrets.install(ssh, secretsRoot, etcdFiles, log).contains(ETCD);
                    fleet.prepare(ssh);
                    return changed;
                },
                ssh -> {
                    boolean changed = RegistrySecrets.install(ssh, secretsRoot, masterFiles, log).contains(REGISTRY);
                    RegistrySecrets.installOnAll(workers, options, secretsRoot, RegistrySecrets.nodeFiles(pki, pull), log);
                    return changed;
                });
    }

    /**
     * fleet's etcd client certificates, one per node, for the etcd side of the window: the master's through the
     * window's connection, the other nodes' (nodes.json's, and archcore.deploy.nodes') each over its own. Nothing
     * for the systemd target, which runs no fleet.
     */
    private UpdateWindow.Preparation fleetCredentials(SshEndpoint master, SshOptions options, NodeList nodes, MavenLog log)
            throws MojoFailureException {
        if ("systemd".equals(deployTarget)) {
            return ssh -> false;
        }
        String masterName = nodes.master().map(NodeList.Node::name).orElse(master.host());
        java.util.Map<String, FleetCredentials.Node> others = new java.util.LinkedHashMap<>();
        for (NodeList.Node n : nodes.workers()) {
            if (n.publicIpv4() != null) {
                SshEndpoint e = new SshEndpoint(master.user(), n.publicIpv4(), master.port());
                others.putIfAbsent(e.hostPort(), new FleetCredentials.Node(n.name() == null ? n.publicIpv4() : n.name(), e));
            }
        }
        if (deployNodes != null && !deployNodes.isBlank()) {
            try {
                for (NodeSources.Entry n : NodeSources.parse(deployNodes, master.user(), sshPort)) {
                    others.putIfAbsent(n.endpoint().hostPort(), new FleetCredentials.Node(n.endpoint().host(), n.endpoint()));
                }
            } catch (dev.archcore.cluster.ClusterException e) {
                throw new MojoFailureException(e.getMessage(), e);
            }
        }
        others.remove(master.hostPort());
        List<FleetCredentials.Node> workers = List.copyOf(others.values());
        if (workers.isEmpty()) {
            getLog().info("fleet's etcd client certificate goes to the master " + master + " only: neither " + nodesFile()
                    + " nor archcore.deploy.nodes names other nodes. A worker without one runs no fleet (it waits for "
                    + "its key) and gets no deploy: list the workers in archcore.deploy.nodes, or provision them with "
                    + "archcore:provision");
        }
        List<String> names = new ArrayList<>();
        names.add(masterName);
        workers.forEach(w -> names.add(w.name()));
        if (new java.util.HashSet<>(names).size() != names.size()) {
            throw new MojoFailureException("two nodes share a name in " + nodesFile() + " or archcore.deploy.nodes "
                    + names + ": fleet's etcd client certificate of each node is named after it; give every node its own name");
        }
        List<ClusterPki.ClientCertificate> certificates;
        try {
            certificates = ClusterPki.fleetClients(new ClusterPki.Request(pkiDir(), projectArtifactId == null ? "cluster"
                    : projectArtifactId, List.of(master.host()), registryUser, null, log), names);
        } catch (dev.archcore.provision.pki.PkiException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
        return ssh -> {
            boolean changed = FleetCredentials.install(ssh, secretsRoot, certificates.get(0), fleetRestart, log);
            FleetCredentials.installOnAll(workers, certificates, options, secretsRoot, fleetRestart, log);
            return changed;
        };
    }

    File nodesFile() {
        return new File(buildDirectory, "archcore/nodes.json");
    }

    NodeList nodeList() throws MojoFailureException {
        try {
            return NodeList.read(nodesFile().toPath());
        } catch (dev.archcore.cluster.ClusterException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
    }

    /**
     * The registry as the machines name it: archcore.deploy.pullRegistry, archcore.registryIp:registryPort, the
     * master's public IPv4 from nodes.json with registryPort, else archcore.registry; null when none is known.
     */
    String pullRegistryHost(String registry, NodeList nodes) {
        if (pullRegistry != null && !pullRegistry.isBlank()) {
            return pullRegistry.strip();
        }
        if (registryIp != null && !registryIp.isBlank()) {
            return registryIp.strip() + ":" + registryPort;
        }
        String provisioned = nodes.master().map(NodeList.Node::publicIpv4).orElse(null);
        if (provisioned != null) {
            return provisioned + ":" + registryPort;
        }
        return registry == null || registry.isBlank() ? null
                : registry.strip().replaceFirst("^[a-z]+://", "").replaceFirst("/+$", "");
    }

    /**
     * The names the registry (and etcd) certificate must carry: every address the nodes and archcore use for the
     * master. The pull address first (the certificate's common name), then archcore.registryIp, the master's public
     * and private IPv4 from nodes.json, archcore.registry's host and the host SSH reaches.
     */
    static List<String> registryNames(SshEndpoint master, String registry, String pull, String registryIp, NodeList nodes) {
        java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
        names.add(hostOf(pull));
        if (registryIp != null && !registryIp.isBlank()) {
            names.add(registryIp.strip());
        }
        nodes.master().ifPresent(m -> {
            if (m.publicIpv4() != null) {
                names.add(m.publicIpv4());
            }
            if (m.privateIpv4() != null) {
                names.add(m.privateIpv4());
            }
        });
        if (registry != null && !registry.isBlank()) {
            names.add(hostOf(registry.strip().replaceFirst("^[a-z]+://", "").replaceFirst("/.*$", "")));
        }
        names.add(master.host());
        return List.copyOf(names);
    }

    private static String hostOf(String hostPort) {
        if (hostPort.startsWith("[")) {
            return hostPort.substring(1, hostPort.indexOf(']'));
        }
        return hostPort.replaceFirst(":[0-9]+$", "");
    }

    /** The cluster PKI for these names (issuing what they need), with the push password archcore:iso used. */
    ClusterPki.Material pkiMaterial(List<String> names, String registry) throws MojoFailureException {
        String serverId = registry == null ? null : registry.strip();
        Credentials server = session == null || serverId == null ? null
                : Secrets.server(session.getSettings(), settingsDecrypter, serverId);
        String user = server != null && server.username() != null && !server.username().isBlank()
                ? server.username() : registryUser;
        try {
            return ClusterPki.ensure(new ClusterPki.Request(pkiDir(), projectArtifactId == null ? "cluster" : projectArtifactId,
                    names, user, server == null ? null : server.password(), new MavenLog(getLog())));
        } catch (dev.archcore.provision.pki.PkiException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
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
        Path dir = pkiDir();
        List<Path> files = List.of(ClusterPki.caCertificate(dir),
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
