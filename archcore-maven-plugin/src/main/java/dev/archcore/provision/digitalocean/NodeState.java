package dev.archcore.provision.digitalocean;

/** A provisioned node as the table and nodes.json show it; {@code created} is false for one that existed. */
public record NodeState(String name, String role, long id, String status, String publicIpv4, String privateIpv4,
                        String region, String size, boolean created) {

    static NodeState of(NodeSpec spec, Droplet d, boolean created) {
        return new NodeState(spec.name(), spec.role(), d.id(), d.status(), d.publicIpv4(), d.privateIpv4(),
                d.region() != null ? d.region() : spec.region(), d.size() != null ? d.size() : spec.size(), created);
    }
}
