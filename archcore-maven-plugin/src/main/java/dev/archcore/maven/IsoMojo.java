package dev.archcore.maven;

import dev.archcore.provision.ClusterNodes;
import dev.archcore.provision.NodeFiles;
import dev.archcore.provision.NodeRequest;
import dev.archcore.provision.ProvisionException;
import dev.archcore.provision.cloudconfig.CloudConfigValidator.Finding;
import dev.archcore.provision.cloudconfig.CloudConfigValidator.Severity;
import dev.archcore.provision.cloudconfig.Loosening;
import dev.archcore.provision.iso.IsoException;
import dev.archcore.registry.Credentials;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.settings.crypto.SettingsDecrypter;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders the cluster's node files from the cloud-config templates: for the master and every worker,
 * {@code target/archcore/cloud-config/<hostname>.yaml} (cloud-config), {@code <hostname>.ign} (the same as
 * Ignition 3.3.0 JSON for Flatcar) and a config-drive ISO {@code target/archcore/iso/<hostname>-config.iso}.
 * Fails on any loosening of the lock-down not allowed by name, on coreos-cloudinit validation errors, and on
 * user data over DigitalOcean's 64 KiB. Makes the cluster PKI (CA, registry certificate, htpasswd) on first run
 * in {@code pkiDirectory} and reuses it afterwards. No default phase: run {@code mvn archcore:iso}.
 */
@Mojo(name = "iso", threadSafe = true)
public class IsoMojo extends AbstractMojo {

    /** The master's template (fleet, etcd and the registry). */
    @Parameter(property = "archcore.registryTemplate", defaultValue = "${project.basedir}/cloud-config/user_data.registry.yaml")
    private File registryTemplate;

    /** The workers' template (fleet only). */
    @Parameter(property = "archcore.workerTemplate", defaultValue = "${project.basedir}/cloud-config/user_data.slave.yaml")
    private File workerTemplate;

    /** The master's host name. */
    @Parameter(property = "archcore.registryHostname", defaultValue = "registry")
    private String registryHostname;

    /** The workers' host names, one node file set each (comma-separated on the command line). */
    @Parameter(property = "archcore.workers", defaultValue = "slave")
    private List<String> workers;

    /** sshd's port on every node ({@code $SSH_PORT}). */
    @Parameter(property = "archcore.sshPort", defaultValue = "2222")
    private String sshPort;

    /** etcd's client port on the master ({@code $ETCD_PORT}). */
    @Parameter(property = "archcore.etcdPort", defaultValue = "2479")
    private String etcdPort;

    /** The registry's port on the master ({@code $REGISTRY_PORT}). */
    @Parameter(property = "archcore.registryPort", defaultValue = "5443")
    private String registryPort;

    /** The app's port ({@code $APP_PORT}). */
    @Parameter(property = "archcore.appPort", defaultValue = "8080")
    private String appPort;

    /** The master's address as the workers reach it ({@code $REGISTRY_IP}); the profiles set it. */
    @Parameter(property = "archcore.registryIp")
    private String registryIp;

    /**
     * The registry as images name it, {@code host:port} ({@code $REGISTRY}); default {@code $REGISTRY_IP:$REGISTRY_PORT}.
     * Its host is a name in the registry's certificate, and the settings.xml server with this id gives the
     * registry's user and password (as archcore:push reads them).
     */
    @Parameter(property = "archcore.registry")
    private String registry;

    /** The app's name ({@code $APP_NAME}). */
    @Parameter(property = "archcore.appName", defaultValue = "${project.artifactId}")
    private String appName;

    /** Public key files whose keys may log in as core; default every {@code ~/.ssh/id_*.pub}. */
    @Parameter(property = "archcore.sshPublicKeys")
    private List<File> sshPublicKeys;

    /**
     * Where the cluster CA, the registry certificate and key, the htpasswd file and a generated registry
     * password are made and kept: outside the project, so they never reach version control.
     */
    @Parameter(property = "archcore.pkiDirectory", defaultValue = "${user.home}/.archcore/${project.artifactId}/pki")
    private File pkiDirectory;

    /** The registry user when the settings.xml server names none. */
    @Parameter(property = "archcore.registryUser", defaultValue = "archcore")
    private String registryUser;

    /** More placeholders for your own templates: {@code <values><NAME>value</NAME></values>} fills {@code $NAME}. */
    @Parameter
    private Map<String, String> values;

    /** Allow SSH password login (PasswordAuthentication, keyboard-interactive, a user passwd). */
    @Parameter(property = "archcore.allowPasswordLogin", defaultValue = "false")
    private boolean allowPasswordLogin;

    /** Allow SSH root login. */
    @Parameter(property = "archcore.allowRootLogin", defaultValue = "false")
    private boolean allowRootLogin;

    /** Allow sshd on port 22 although sshPort is another. */
    @Parameter(property = "archcore.allowSshPort22", defaultValue = "false")
    private boolean allowSshPort22;

    /** Allow ntpd (not masked) or no systemd-timesyncd. */
    @Parameter(property = "archcore.allowNtpd", defaultValue = "false")
    private boolean allowNtpd;

    /** Allow an etcd peer URL reachable from other hosts. */
    @Parameter(property = "archcore.allowEtcdPeerUrl", defaultValue = "false")
    private boolean allowEtcdPeerUrl;

    /** Allow a fleet TCP listener. */
    @Parameter(property = "archcore.allowFleetTcp", defaultValue = "false")
    private boolean allowFleetTcp;

    /** Allow etcd or the registry to start at boot. */
    @Parameter(property = "archcore.allowStartAtBoot", defaultValue = "false")
    private boolean allowStartAtBoot;

    /** Allow a registry without TLS or htpasswd, or Docker's insecure-registries. */
    @Parameter(property = "archcore.allowInsecureRegistry", defaultValue = "false")
    private boolean allowInsecureRegistry;

    /** Where cloud-config/ and iso/ are written. */
    @Parameter(defaultValue = "${project.build.directory}/archcore", readonly = true)
    private File outputDirectory;

    @Parameter(defaultValue = "${project.build.outputTimestamp}", readonly = true)
    private String outputTimestamp;

    @Parameter(property = "archcore.skip", defaultValue = "false")
    private boolean skip;

    @Parameter(defaultValue = "${project}", readonly = true)
    private MavenProject project;

    @Parameter(defaultValue = "${session}", readonly = true)
    private MavenSession session;

    @Component
    private SettingsDecrypter settingsDecrypter;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("archcore.skip is set: no node files written");
            return;
        }
        MavenLog log = new MavenLog(getLog());
        String serverId = registry != null && !registry.isBlank() ? registry.strip()
                : registryIp == null ? null : registryIp.strip() + ":" + (registryPort == null ? "" : registryPort.strip());
        Credentials server = session == null || serverId == null ? null
                : Secrets.server(session.getSettings(), settingsDecrypter, serverId);
        String user = server != null && server.username() != null && !server.username().isBlank() ? server.username() : registryUser;

        ClusterNodes.Request request = new ClusterNodes.Request(registryTemplate.toPath(), workerTemplate.toPath(),
                registryHostname, hosts(), sshPort, etcdPort, registryPort, appPort, registryIp, registry, appName,
                sshPublicKeys == null ? List.of() : sshPublicKeys.stream().map(File::toPath).toList(),
                pkiDirectory.toPath(), user, server == null ? null : server.password(),
                values == null ? Map.of() : values, allowed(), origins(), log);
        long epoch = BuildTimestamp.epochSeconds(outputTimestamp, System.getenv());
        Path out = outputDirectory.toPath();
        try {
            for (NodeRequest node : ClusterNodes.plan(request)) {
                NodeFiles files = NodeFiles.render(node);
                for (Finding f : files.findings()) {
                    String message = node.templateName() + " (" + node.hostname() + ") " + f;
                    if (f.severity() == Severity.WARNING) {
                        getLog().warn(message);
                    } else {
                        getLog().info(message);
                    }
                }
                ClusterNodes.write(out.resolve("cloud-config"), files);
                Path iso = out.resolve("iso").resolve(node.hostname() + "-config.iso");
                ClusterNodes.writeIso(iso, node, files, Instant.ofEpochSecond(epoch));
                getLog().info("Node " + node.hostname() + ": cloud-config/" + node.hostname() + ".yaml and .ign, iso/"
                        + iso.getFileName());
            }
        } catch (ProvisionException | IsoException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot write the node files under " + out + ": " + e.getMessage(), e);
        }
    }

    private List<String> hosts() {
        List<String> hosts = new ArrayList<>();
        if (workers != null) {
            workers.stream().flatMap(w -> List.of(w.split(",")).stream()).map(String::strip).filter(w -> !w.isEmpty())
                    .forEach(hosts::add);
        }
        return hosts;
    }

    private Set<Loosening> allowed() {
        Set<Loosening> allowed = EnumSet.noneOf(Loosening.class);
        Map<Loosening, Boolean> flags = Map.of(Loosening.PASSWORD_LOGIN, allowPasswordLogin, Loosening.ROOT_LOGIN, allowRootLogin,
                Loosening.SSH_PORT_22, allowSshPort22, Loosening.NTPD, allowNtpd, Loosening.ETCD_PEER, allowEtcdPeerUrl,
                Loosening.FLEET_TCP, allowFleetTcp, Loosening.START_AT_BOOT, allowStartAtBoot,
                Loosening.INSECURE_REGISTRY, allowInsecureRegistry);
        flags.forEach((l, on) -> {
            if (on) {
                allowed.add(l);
            }
        });
        if (!allowed.isEmpty()) {
            getLog().warn("The lock-down is loosened on purpose: " + allowed.stream().map(Loosening::parameter).toList());
        }
        return allowed;
    }

    /** Where each value was set, for messages: the pom line of its property, when the pom has one. */
    private Map<String, String> origins() {
        Map<String, String> origins = new HashMap<>();
        List<String> pom = List.of();
        File pomFile = project == null ? null : project.getFile();
        if (pomFile != null && pomFile.isFile()) {
            try {
                pom = Files.readAllLines(pomFile.toPath(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                getLog().debug("cannot read " + pomFile + ": " + e.getMessage());
            }
        }
        java.util.Properties user = session == null ? new java.util.Properties() : session.getUserProperties();
        Map<String, String> properties = Map.of("SSH_PORT", "archcore.sshPort", "ETCD_PORT", "archcore.etcdPort",
                "REGISTRY_PORT", "archcore.registryPort", "APP_PORT", "archcore.appPort", "REGISTRY_IP", "archcore.registryIp",
                "WORKERS", "archcore.workers");
        for (Map.Entry<String, String> p : properties.entrySet()) {
            String where = "property " + p.getValue();
            if (user.containsKey(p.getValue())) {
                origins.put(p.getKey(), "-D" + p.getValue() + " on the command line");
                continue;
            }
            for (int i = 0; i < pom.size(); i++) {
                if (pom.get(i).contains("<" + p.getValue() + ">")) {
                    where = (pomFile == null ? "pom.xml" : pomFile.getName()) + " line " + (i + 1) + " (" + p.getValue() + ")";
                    break;
                }
            }
            origins.put(p.getKey(), where);
        }
        return origins;
    }
}
