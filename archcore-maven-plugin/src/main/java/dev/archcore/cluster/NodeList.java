package dev.archcore.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The nodes archcore:provision made, as it wrote them to {@code target/archcore/nodes.json}: name, role and the
 * addresses the provider assigned, which the registry certificate must name and where the nodes are reached.
 */
public record NodeList(List<Node> nodes) {
    /** One node; an address is null when the provider gave none. */
    public record Node(String name, String role, String publicIpv4, String privateIpv4) {
        public boolean master() {
            return "master".equals(role);
        }
    }

    /** The file's nodes, or an empty list when there is no such file. */
    public static NodeList read(Path file) {
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readString(file));
            List<Node> nodes = new ArrayList<>();
            for (JsonNode n : root.path("nodes")) {
                nodes.add(new Node(text(n, "name"), text(n, "role"), text(n, "public_ipv4"), text(n, "private_ipv4")));
            }
            return new NodeList(List.copyOf(nodes));
        } catch (NoSuchFileException e) {
            return new NodeList(List.of());
        } catch (IOException e) {
            throw new ClusterException("cannot read " + file + " (written by archcore:provision): " + e.getMessage()
                    + ". Run archcore:provision again to write it, or delete it.", e);
        }
    }

    public Optional<Node> master() {
        return nodes.stream().filter(Node::master).findFirst();
    }

    public List<Node> workers() {
        return nodes.stream().filter(n -> !n.master()).toList();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }
}
