package dev.archcore.cluster;

import dev.archcore.util.Log;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What archcore:deploy does: the unit template ({@code @image@} is replaced by {@code image}, each {@code @name@} of
 * {@code values} by its value, e.g. {@code @appPort@}), the master and how to
 * reach fleet, the update window's services ({@code windowOpen}: the ones a previous step, archcore:push, already
 * started and hands over to be closed here), the wait and the dry run.
 */
public record DeployRequest(SshEndpoint endpoint, SshOptions ssh, String fleetSocket, String unitName, String unitTemplate,
                            String unitSource, String image, List<UpdateWindow.Service> window, List<String> windowOpen,
                            Duration windowTimeout, Duration timeout, Duration poll, boolean dryRun, Log log,
                            Map<String, String> values) {
    public DeployRequest(SshEndpoint endpoint, SshOptions ssh, String fleetSocket, String unitName, String unitTemplate,
                         String unitSource, String image, List<UpdateWindow.Service> window, List<String> windowOpen,
                         Duration windowTimeout, Duration timeout, Duration poll, boolean dryRun, Log log) {
        this(endpoint, ssh, fleetSocket, unitName, unitTemplate, unitSource, image, window, windowOpen, windowTimeout,
                timeout, poll, dryRun, log, Map.of());
    }

    public DeployRequest {
        values = values == null ? Map.of() : Map.copyOf(values);
        window = window == null ? List.of() : List.copyOf(window);
        windowOpen = windowOpen == null ? List.of() : List.copyOf(windowOpen);
        windowTimeout = windowTimeout == null ? Duration.ofMinutes(2) : windowTimeout;
        timeout = timeout == null ? Duration.ofMinutes(5) : timeout;
        poll = poll == null ? Duration.ofSeconds(2) : poll;
        log = log == null ? Log.NONE : log;
    }
}
