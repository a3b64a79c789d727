package dev.archcore.provision;

import dev.archcore.provision.cloudconfig.Loosening;
import dev.archcore.provision.cloudconfig.Template;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One node to render: its template, host name, placeholder values and the loosenings the user allowed.
 * {@link ClusterNodes#plan} makes one per host; change a value with {@link #withValue} (the DigitalOcean
 * provisioning sets {@code REGISTRY_IP} once the master has its address) and pass it to {@link NodeFiles#render}.
 *
 * @param templateName the template's path as the user knows it, for messages ({@code cloud-config/user_data.slave.yaml})
 * @param templateText the template
 * @param hostname     the node's host name ({@code $HOSTNAME})
 * @param values       every placeholder's value, without {@code HOSTNAME}
 * @param allowed      loosenings of the lock-down the user opted into
 * @param publicIpv4   the node's public address if known (Ignition has no {@code $public_ipv4}), else null
 * @param privateIpv4  the node's private address if known, else null
 */
public record NodeRequest(String templateName, String templateText, String hostname, Map<String, Template.Value> values,
                          Set<Loosening> allowed, String publicIpv4, String privateIpv4) {
    public NodeRequest {
        values = Map.copyOf(values);
        allowed = Set.copyOf(allowed);
    }

    /** The same node with one placeholder set to a one-line value, e.g. {@code withValue("REGISTRY_IP", ip)}. */
    public NodeRequest withValue(String name, String value) {
        Map<String, Template.Value> v = new LinkedHashMap<>(values);
        v.put(name, Template.Value.of(value));
        return new NodeRequest(templateName, templateText, hostname, v, allowed, publicIpv4, privateIpv4);
    }

    /** The same node with its provider addresses known (used for the Ignition JSON). */
    public NodeRequest withAddresses(String publicIpv4, String privateIpv4) {
        return new NodeRequest(templateName, templateText, hostname, values, allowed, publicIpv4, privateIpv4);
    }

    /** The SSH port the lint checks against, from {@code SSH_PORT} (22 when not set). */
    int sshPort() {
        Template.Value v = values.get("SSH_PORT");
        try {
            return v == null ? 22 : Integer.parseInt(v.lines().get(0).strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public String toString() {
        // values hold the registry's private key: never print them
        return "NodeRequest[" + hostname + " from " + templateName + ", values " + List.copyOf(values.keySet()) + "]";
    }
}
