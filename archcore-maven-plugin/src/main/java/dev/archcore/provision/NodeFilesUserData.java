package dev.archcore.provision;

import dev.archcore.provision.cloudconfig.Template;
import dev.archcore.provision.digitalocean.DigitalOceanException;
import dev.archcore.provision.digitalocean.NodeSpec;
import dev.archcore.provision.digitalocean.UserDataSource;

import dev.archcore.util.Log;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DigitalOcean nodes' user data from the node-file renderer ({@link NodeFiles#render}), one node at a time:
 * the master as planned, each worker with {@code REGISTRY_IP} (and a {@code REGISTRY} derived from it) set to the
 * master's public IPv4. Cloud-config for CoreOS-style images, Ignition JSON for Flatcar.
 */
public final class NodeFilesUserData implements UserDataSource {
    public enum Format { CLOUD_CONFIG, IGNITION }

    private final Map<String, NodeRequest> byHost = new LinkedHashMap<>();
    private final Format format;
    private final Log log;
    private boolean warned;

    /** {@code plan}: {@link ClusterNodes#plan}'s requests, whose host names are the droplets' names. */
    public NodeFilesUserData(List<NodeRequest> plan, Format format, Log log) {
        plan.forEach(r -> byHost.put(r.hostname(), r));
        this.format = format;
        this.log = log == null ? Log.NONE : log;
    }

    @Override
    public byte[] userData(NodeSpec node, String masterPublicIp) {
        NodeRequest request = byHost.get(node.name());
        if (request == null) {
            throw new DigitalOceanException("no node file is planned for node " + node.name() + " (planned: "
                    + String.join(", ", byHost.keySet()) + ")");
        }
        if (masterPublicIp != null) {
            warnOnAddressMismatch(request, masterPublicIp);
            request = forMaster(request, masterPublicIp);
        }
        try {
            NodeFiles files = NodeFiles.render(request);
            return (format == Format.IGNITION ? files.ignition() : files.cloudConfig()).getBytes(StandardCharsets.UTF_8);
        } catch (ProvisionException e) {
            throw new DigitalOceanException(e.getMessage(), e);
        }
    }

    /**
     * The master's certificate and etcd URLs were made for the planned address before the droplet existed; when
     * the workers are sent to another one by IP, the registry's TLS check will fail on them: say so, once.
     */
    private synchronized void warnOnAddressMismatch(NodeRequest request, String masterIp) {
        String plannedIp = plannedIp(request);
        Template.Value registry = request.values().get("REGISTRY");
        boolean byIp = registry == null || registry.lines().isEmpty() || registry.lines().get(0).startsWith(plannedIp + ":");
        // a master rendered with the provider's address ($public_ipv4) has no planned one to differ from
        if (warned || plannedIp == null || plannedIp.startsWith("$") || plannedIp.equals(masterIp) || !byIp) {
            return;
        }
        warned = true;
        log.warn("The master's public IPv4 is " + masterIp + ", but its registry certificate and etcd URLs were made "
                + "for archcore.registryIp=" + plannedIp + ": the workers will reach the registry at " + masterIp
                + " and fail its TLS check. Assign " + plannedIp + " to the master (a reserved IP), or name the "
                + "registry by DNS (archcore.registry=<name>:<port>, a name in its certificate) and point that name "
                + "at " + masterIp + ".");
    }

    /** The request with the master's address; a default registry ({@code $REGISTRY_IP:port}) follows it. */
    static NodeRequest forMaster(NodeRequest request, String masterIp) {
        String port = portAfterIp(request);
        NodeRequest r = request.withValue("REGISTRY_IP", masterIp);
        return port == null ? r : r.withValue("REGISTRY", masterIp + port);
    }

    /** The planned master address, {@code $REGISTRY_IP}, or null. */
    private static String plannedIp(NodeRequest request) {
        Template.Value planned = request.values().get("REGISTRY_IP");
        return planned == null || planned.lines().isEmpty() ? null : planned.lines().get(0);
    }

    /** {@code ":port"} when {@code $REGISTRY} is the default {@code $REGISTRY_IP:port} (it names the master by IP), else null. */
    private static String portAfterIp(NodeRequest request) {
        String ip = plannedIp(request);
        Template.Value registry = request.values().get("REGISTRY");
        if (ip == null || registry == null || registry.lines().size() != 1 || !registry.lines().get(0).startsWith(ip + ":")) {
            return null;
        }
        return registry.lines().get(0).substring(ip.length());
    }

    @Override
    public String source(NodeSpec node) {
        NodeRequest r = byHost.get(node.name());
        return r == null ? node.name() : r.templateName() + " rendered for " + node.name()
                + (format == Format.IGNITION ? " as Ignition" : "");
    }
}
