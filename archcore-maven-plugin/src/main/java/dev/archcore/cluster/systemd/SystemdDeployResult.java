package dev.archcore.cluster.systemd;

import java.util.List;

/**
 * @param changed     the nodes whose unit was replaced (empty for a dry run, or when all ran it already)
 * @param transferred the nodes the image was sent to (the others had it)
 */
public record SystemdDeployResult(String unitName, String manifestDigest, List<Node> nodes, List<Node> changed,
                                  List<Node> transferred) {
}
