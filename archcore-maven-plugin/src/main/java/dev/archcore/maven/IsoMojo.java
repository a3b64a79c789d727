package dev.archcore.maven;

import dev.archcore.provision.ClusterNodes;
import dev.archcore.provision.NodeFiles;
import dev.archcore.provision.NodeRequest;
import dev.archcore.provision.ProvisionException;
import dev.archcore.provision.cloudconfig.CloudConfigValidator.Finding;
import dev.archcore.provision.cloudconfig.CloudConfigValidator.Severity;
import dev.archcore.provision.cloudconfig.Loosening;
import dev.archcore.provision.iso.IsoException;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

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
public class IsoMojo extends AbstractNodeFilesMojo {

    /** The master's host name. */
    @Parameter(property = "archcore.registryHostname", defaultValue = "registry")
    private String registryHostname;

    /** The workers' host names, one node file set each (comma-separated on the command line). */
    @Parameter(property = "archcore.workers", defaultValue = "slave")
    private List<String> workers;

    /** Allow SSH password login (PasswordAuthentication, keyboard-interactive, a user passwd). */
    @Parameter(property = "archcore.allowPasswordLogin", defaultValue = "false")
    private boolean allowPasswordLogin;

    /** Allow SSH root login. */
    @Parameter(property = "archcore.allowRootLogin", defaultValue = "false")
    private boolean allowRootLogin;

    /** Allow sshd on port 22: sshPort=22, or port 22 kept open beside another sshPort. */
    @Parameter(property = "archcore.allowSshPort22", defaultValue = "false")
    private boolean allowSshPort22;

    /** Allow ntpd (not masked) or no systemd-timesyncd. */
    @Parameter(property = "archcore.allowNtpd", defaultValue = "false")
    private boolean allowNtpd;

    /** Allow an etcd peer URL reachable from other hosts. */
    @Parameter(property = "archcore.allowEtcdPeerUrl", defaultValue = "false")
    private boolean allowEtcdPeerUrl;

    /** Allow an etcd client URL off loopback without TLS and client-certificate authentication. */
    @Parameter(property = "archcore.allowInsecureEtcd", defaultValue = "false")
    private boolean allowInsecureEtcd;

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

    @Parameter(defaultValue = "${project}", readonly = true)
    private MavenProject project;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.iso.skip", defaultValue = "false")
    boolean skipIso;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        String skipped = Skips.property(skip, skipIso, "iso");
        if (skipped != null) {
            getLog().info(skipped + " is set: no node files written");
            return;
        }
        MavenLog log = new MavenLog(getLog());
        ClusterNodes.Request request = nodesRequest(registryHostname, hosts(), allowed(), origins(), log);
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
                Loosening.INSECURE_REGISTRY, allowInsecureRegistry, Loosening.INSECURE_ETCD, allowInsecureEtcd);
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
                "WORKERS", "archcore.workers", "REGISTRY_HOSTNAME", "archcore.registryHostname",
                "REGISTRY_PUSH_PORT", "archcore.registryPushPort");
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
