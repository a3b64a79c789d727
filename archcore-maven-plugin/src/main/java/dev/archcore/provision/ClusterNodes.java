package dev.archcore.provision;

import dev.archcore.provision.cloudconfig.Loosening;
import dev.archcore.provision.cloudconfig.SshPublicKeys;
import dev.archcore.provision.cloudconfig.Template;
import dev.archcore.provision.iso.ConfigDrive;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.provision.pki.PkiException;
import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Log;
import org.bouncycastle.util.IPAddress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The nodes of a cluster: the master ({@code registry} by default: fleet, plus etcd and the registry during
 * updates) and any number of workers, each a {@link NodeRequest} with every placeholder's value. Checks the
 * inputs first (ports, host names, SSH keys, templates) and makes or reuses the cluster PKI.
 */
public final class ClusterNodes {
    private static final Pattern HOSTNAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final int ETCD_PEER_PORT = 2380;

    /**
     * What a cluster is made of. {@code origins} says where a value came from, for messages (key: the placeholder
     * name, e.g. {@code SSH_PORT} → {@code "pom.xml line 24 (archcore.sshPort)"}; {@code WORKERS} for the host names).
     */
    public record Request(Path registryTemplate, Path workerTemplate, String registryHostname, List<String> workers,
                          String sshPort, String etcdPort, String registryPort, String appPort, String registryIp,
                          String registry, String appName, List<Path> sshKeyFiles, Path pkiDirectory,
                          String registryUser, String registryPassword, Map<String, String> extraValues,
                          Set<Loosening> allowed, Map<String, String> origins, Log log, boolean readOnly) {
        public Request(Path registryTemplate, Path workerTemplate, String registryHostname, List<String> workers,
                       String sshPort, String etcdPort, String registryPort, String appPort, String registryIp,
                       String registry, String appName, List<Path> sshKeyFiles, Path pkiDirectory, String registryUser,
                       String registryPassword, Map<String, String> extraValues, Set<Loosening> allowed,
                       Map<String, String> origins, Log log) {
            this(registryTemplate, workerTemplate, registryHostname, workers, sshPort, etcdPort, registryPort, appPort,
                    registryIp, registry, appName, sshKeyFiles, pkiDirectory, registryUser, registryPassword, extraValues,
                    allowed, origins, log, false);
        }

        @Override
        public String toString() {
            return "ClusterNodes.Request[" + registryHostname + " + " + workers + "]";
        }
    }

    /**
     * {@code $REGISTRY_IP} when the master's address is the provider's (archcore:provision without
     * archcore.registryIp): coreos-cloudinit fills it in on the node; the workers get the actual address.
     */
    public static final String PROVIDER_ADDRESS = "$public_ipv4";

    /** The placeholder of the registry's push side's port on the master's 127.0.0.1, and its default. */
    public static final String REGISTRY_PUSH_PORT = "REGISTRY_PUSH_PORT";
    public static final String DEFAULT_REGISTRY_PUSH_PORT = "5444";

    /**
     * Placeholders that named private material (and fleet's certificate, now one per node), which reaches the nodes
     * over SSH when the update window opens ({@code dev.archcore.cluster.RegistrySecrets}, {@code FleetCredentials})
     * and never travels in user data.
     */
    static final List<String> MOVED_TO_SSH = List.of("REGISTRY_KEY", "REGISTRY_HTPASSWD", "ETCD_KEY", "FLEET_ETCD_KEY",
            "FLEET_ETCD_CERT");

    private ClusterNodes() {
    }

    /** One request per host, the master first. */
    public static List<NodeRequest> plan(Request r) throws ProvisionException {
        Map<String, String> origins = r.origins() == null ? Map.of() : r.origins();
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put("SSH_PORT", port("SSH_PORT", r.sshPort(), origins));
        ports.put("ETCD_PORT", port("ETCD_PORT", r.etcdPort(), origins));
        ports.put("REGISTRY_PORT", port("REGISTRY_PORT", r.registryPort(), origins));
        ports.put("APP_PORT", port("APP_PORT", r.appPort(), origins));
        // the registry's push side, on the master's 127.0.0.1 only (archcore:push reaches it through SSH)
        String pushPort = r.extraValues() == null ? null : r.extraValues().get(REGISTRY_PUSH_PORT);
        ports.put(REGISTRY_PUSH_PORT, port(REGISTRY_PUSH_PORT, pushPort == null ? DEFAULT_REGISTRY_PUSH_PORT : pushPort, origins));
        Map<Integer, String> used = new HashMap<>();
        used.put(ETCD_PEER_PORT, "etcd's peer port (on 127.0.0.1 of the master)");
        for (Map.Entry<String, Integer> p : ports.entrySet()) {
            String what = "$" + p.getKey() + " (" + origins.getOrDefault(p.getKey(), p.getKey()) + ")";
            String other = used.putIfAbsent(p.getValue(), what);
            if (other != null) {
                throw new ProvisionException("two services on port " + p.getValue() + ": " + other + " and " + what
                        + " share the master; give each its own port.");
            }
        }
        String registryIp = required("REGISTRY_IP", r.registryIp(), origins,
                "the master's address as the workers reach it: set archcore.registryIp (the staging and production profiles do)");
        boolean fromProvider = PROVIDER_ADDRESS.equals(registryIp);
        if (!fromProvider && !IPAddress.isValid(registryIp)) {
            // etcd listens on it and the registry certificate names it as an IP: the PKI would only say "IP Address is invalid"
            throw new ProvisionException(origins.getOrDefault("REGISTRY_IP", "archcore.registryIp") + ": $REGISTRY_IP = '"
                    + registryIp + "' is not an IP address: give the master's IPv4 (e.g. 203.0.113.10) or IPv6 address as the "
                    + "workers reach it (etcd listens on it and the registry certificate names it); a DNS name for the "
                    + "registry goes in archcore.registry.");
        }

        List<String> hosts = new ArrayList<>();
        hosts.add(r.registryHostname());
        hosts.addAll(r.workers());
        Set<String> seen = new LinkedHashSet<>();
        String hostsOrigin = origins.getOrDefault("WORKERS", "the host names");
        for (int i = 0; i < hosts.size(); i++) {
            String h = hosts.get(i);
            if (h == null || !HOSTNAME.matcher(h).matches()) {
                String origin = i == 0 ? origins.getOrDefault("REGISTRY_HOSTNAME", "archcore.registryHostname") : hostsOrigin;
                throw new ProvisionException(origin + ": '" + h + "' is not a host name: use lower-case letters, "
                        + "digits and '-' (at most 63, not starting or ending with '-').");
            }
            if (!seen.add(h)) {
                throw new ProvisionException(hostsOrigin + ": the host name '" + h + "' is given twice (the master is '"
                        + r.registryHostname() + "'); every node needs its own name, since its files are named after it.");
            }
        }

        List<Path> keyFiles = r.sshKeyFiles() == null || r.sshKeyFiles().isEmpty()
                ? SshPublicKeys.defaultFiles(Path.of(System.getProperty("user.home"), ".ssh"))
                : r.sshKeyFiles();
        List<String> keys = SshPublicKeys.read(keyFiles);

        String registry = r.registry() == null || r.registry().isBlank()
                ? registryIp + ":" + ports.get("REGISTRY_PORT") : r.registry().strip();
        List<String> names = new ArrayList<>();
        String registryHost = registry.replaceFirst(":[0-9]+$", "");
        for (String name : List.of(registryIp, registryHost)) {
            if (!name.startsWith("$") && !names.contains(name)) {
                names.add(name);
            }
        }
        if (names.isEmpty()) {
            // the provider's address is not known yet: the window issues the certificate for it over SSH
            names.add(r.registryHostname());
        }
        ClusterPki.Material pki;
        try {
            pki = ClusterPki.ensure(new ClusterPki.Request(r.pkiDirectory(), r.appName(), names, r.registryUser(),
                    r.registryPassword(), r.log(), r.readOnly()));
        } catch (PkiException e) {
            throw new ProvisionException(e.getMessage(), e);
        }

        Map<String, Template.Value> values = new LinkedHashMap<>();
        if (r.extraValues() != null) {
            r.extraValues().forEach((k, v) -> values.put(k, Template.Value.of(v == null ? "" : v)));
        }
        // the seed templates' $DESCRIPTION: the Mojo passes the pom's description; else the app's name
        values.putIfAbsent("DESCRIPTION", Template.Value.of(r.appName() == null ? "" : r.appName()));
        ports.forEach((k, v) -> values.put(k, Template.Value.of(String.valueOf(v))));
        values.put("REGISTRY_IP", Template.Value.of(registryIp));
        values.put("REGISTRY", Template.Value.of(registry));
        values.put("REGISTRY_HOSTNAME", Template.Value.of(r.registryHostname()));
        values.put("APP_NAME", Template.Value.of(r.appName()));
        values.put("SSH_AUTHORIZED_KEYS", Template.Value.items(keys));
        values.put("CA_CERT", Template.Value.block(pki.caCertificatePem()));
        // the certificates are public (an older template may still write them); the master's keys and htpasswd
        // go over SSH at window open, for the addresses the nodes really use
        values.put("REGISTRY_CERT", Template.Value.block(pki.registryCertificatePem()));
        values.put("ETCD_CERT", Template.Value.block(pki.etcdCertificatePem()));
        // fleet's etcd client certificate and key (one per node) go over SSH at window open as well (FleetCredentials)

        String registryTemplate = read(r.registryTemplate());
        String workerTemplate = r.workers().isEmpty() ? null : read(r.workerTemplate());
        refuseMovedSecrets(r.registryTemplate(), registryTemplate);
        if (workerTemplate != null) {
            refuseMovedSecrets(r.workerTemplate(), workerTemplate);
        }
        List<String> withoutFleet = new ArrayList<>();
        if (FleetRelease.leavesOut(r.registryTemplate().toString(), registryTemplate, r.extraValues())) {
            withoutFleet.add(r.registryTemplate().toString());
        }
        if (workerTemplate != null && FleetRelease.leavesOut(r.workerTemplate().toString(), workerTemplate, r.extraValues())) {
            withoutFleet.add(r.workerTemplate().toString());
        }
        if (!withoutFleet.isEmpty() && r.log() != null) {
            r.log().warn(FleetRelease.unpinnedWarning(withoutFleet));
        }
        List<NodeRequest> requests = new ArrayList<>();
        for (String h : hosts) {
            boolean master = h.equals(r.registryHostname());
            Path template = master ? r.registryTemplate() : r.workerTemplate();
            requests.add(new NodeRequest(template.toString(), master ? registryTemplate : workerTemplate, h, values,
                    r.allowed(), null, null));
        }
        return requests;
    }

    /** Writes {@code <hostname>.yaml} and {@code <hostname>.ign}, 0644: they hold no private key ({@link NodeFiles#render} refuses one). */
    public static void write(Path directory, NodeFiles node) throws IOException {
        String mode = "rw-r--r--";
        byte[] yaml = node.cloudConfig().getBytes(StandardCharsets.UTF_8);
        byte[] ign = node.ignition().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(directory.resolve(node.hostname() + ".yaml"), mode, out -> out.write(yaml));
        AtomicFiles.write(directory.resolve(node.hostname() + ".ign"), mode, out -> out.write(ign));
    }

    /**
     * Writes the node's config-drive ISO ({@code openstack/latest/user_data} = its cloud-config, meta_data.json
     * with its host name and keys), 0644: no private key is in it.
     */
    public static void writeIso(Path iso, NodeRequest request, NodeFiles node, Instant timestamp) throws IOException {
        Template.Value keys = request.values().get("SSH_AUTHORIZED_KEYS");
        byte[] image = ConfigDrive.bytes(node.hostname(), keys == null ? List.of() : keys.lines(),
                node.cloudConfig().getBytes(StandardCharsets.UTF_8), timestamp);
        AtomicFiles.write(iso, "rw-r--r--", out -> out.write(image));
    }

    private static void refuseMovedSecrets(Path template, String text) throws ProvisionException {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].stripLeading().startsWith("#")) {
                continue;
            }
            for (String name : MOVED_TO_SSH) {
                if (!Pattern.compile("(?<!\\$)\\$(" + name + "\\b|\\{" + name + "})").matcher(lines[i]).find()) {
                    continue;
                }
                boolean fleet = name.startsWith("FLEET_");
                throw new ProvisionException(template + " line " + (i + 1) + " writes $" + name + " into the user data, "
                        + "which the cloud's metadata service serves to every process on the node and the provision dry "
                        + "run prints: archcore no longer fills it in. Remove that write_files entry ("
                        + (fleet ? "$FLEET_ETCD_CERT's and $FLEET_ETCD_KEY's): archcore writes fleet's etcd client "
                        + "certificate and key, one per node, to /etc/archcore/fleet/etcd-client.crt and .key on "
                        + "every node over SSH when the update window opens (0600, root)"
                        : "and those of $REGISTRY_KEY, $REGISTRY_HTPASSWD and $ETCD_KEY): archcore writes these files to "
                        + "the master over SSH when the update window opens (0600, root)")
                        + ", as the archetype's cloud-config/" + (fleet ? "user_data.slave.yaml" : "user_data.registry.yaml")
                        + " shows.");
            }
        }
    }

    private static int port(String name, String value, Map<String, String> origins) throws ProvisionException {
        String v = required(name, value, origins, "a TCP port (1-65535)");
        try {
            int p = Integer.parseInt(v.strip());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new ProvisionException(origins.getOrDefault(name, name) + ": $" + name + " = '" + v
                + "' is not a TCP port: use a number from 1 to 65535.");
    }

    private static String required(String name, String value, Map<String, String> origins, String what)
            throws ProvisionException {
        if (value == null || value.isBlank()) {
            throw new ProvisionException("$" + name + " has no value (" + origins.getOrDefault(name, name) + "): " + what + ".");
        }
        return value.strip();
    }

    private static String read(Path template) throws ProvisionException {
        if (!Files.isRegularFile(template)) {
            throw new ProvisionException("the cloud-config template " + template + " does not exist: restore it from "
                    + "the archetype or point the plugin's registryTemplate/workerTemplate at yours.");
        }
        try {
            return Files.readString(template, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ProvisionException("cannot read " + template + ": " + e.getMessage(), e);
        }
    }
}
