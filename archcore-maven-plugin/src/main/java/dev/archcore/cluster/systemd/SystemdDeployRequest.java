package dev.archcore.cluster.systemd;

import dev.archcore.util.Log;

import java.time.Duration;
import java.util.List;

/**
 * What archcore:deploy does with {@code archcore.deploy.target=systemd}.
 *
 * @param app      names the unit ({@code <app>.service}) and the node's image directory
 * @param batch    nodes switched at a time; 0 (or more than there are): all at once
 * @param parallel SSH connections opened and commands run at the same time, at most
 * @param timeout  for every node of a batch to run the new unit and answer on {@code appPort}
 */
public record SystemdDeployRequest(String app, List<Node> nodes, AppImage image, int appPort, int batch, int parallel,
                                   Duration timeout, Duration poll, boolean dryRun, Log log) {
    public SystemdDeployRequest {
        nodes = List.copyOf(nodes);
        parallel = parallel < 1 ? 16 : parallel;
        timeout = timeout == null ? Duration.ofMinutes(5) : timeout;
        poll = poll == null ? Duration.ofSeconds(2) : poll;
        log = log == null ? Log.NONE : log;
    }
}
