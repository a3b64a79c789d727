package dev.archcore.provision.digitalocean;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** The fields of a droplet object ({@code GET /v2/droplets/{id}}) that provisioning needs. */
public record Droplet(long id, String name, String status, List<String> tags, String publicIpv4, String privateIpv4,
                      String region, String size) {

    static Droplet from(JsonNode d) {
        String publicIp = null;
        String privateIp = null;
        for (JsonNode n : d.path("networks").path("v4")) {
            String type = n.path("type").asText();
            if (publicIp == null && type.equals("public")) {
                publicIp = n.path("ip_address").asText(null);
            } else if (privateIp == null && type.equals("private")) {
                privateIp = n.path("ip_address").asText(null);
            }
        }
        List<String> tags = new ArrayList<>();
        d.path("tags").forEach(t -> tags.add(t.asText()));
        String region = d.path("region").path("slug").asText(null);
        String size = d.path("size_slug").asText(null);
        return new Droplet(d.path("id").asLong(), d.path("name").asText(), d.path("status").asText(), List.copyOf(tags),
                publicIp, privateIp, region, size);
    }

    /** Running, with the public IPv4 the other nodes and the user need. */
    public boolean ready() {
        return "active".equals(status) && publicIpv4 != null;
    }
}
