package dev.archcore.provision.digitalocean;

import dev.archcore.util.HttpProxies;
import dev.archcore.util.Log;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** What {@link Provisioner} does: the nodes, where their user data comes from, and how long to wait. */
public final class ProvisionRequest {
    final List<NodeSpec> nodes;
    final String projectTag;
    final UserDataSource userData;
    String apiUrl = DigitalOceanClient.DEFAULT_URL;
    String token;
    CustomImage customImage;
    boolean dryRun;
    Path nodesFile;
    Duration pollInterval = Duration.ofSeconds(5);
    Duration timeout = Duration.ofMinutes(10);
    Duration retryBudget = Duration.ofMinutes(2);
    Duration firstBackoff = Duration.ofSeconds(1);
    Timing timing = Timing.SYSTEM;
    Log log = Log.NONE;
    HttpProxies proxies = HttpProxies.NONE;

    /** {@code projectTag} marks the project's droplets: nodes are matched by name among the droplets with it. */
    public ProvisionRequest(List<NodeSpec> nodes, String projectTag, UserDataSource userData) {
        this.nodes = nodes == null ? List.of() : List.copyOf(nodes);
        this.projectTag = projectTag;
        this.userData = userData;
    }

    public ProvisionRequest api(String apiUrl, String token) {
        this.apiUrl = apiUrl == null || apiUrl.isBlank() ? DigitalOceanClient.DEFAULT_URL : apiUrl;
        this.token = token;
        return this;
    }

    /** The proxies to reach the API through (settings.xml's); {@link HttpProxies#NONE}: the JVM's. */
    public ProvisionRequest proxies(HttpProxies proxies) {
        this.proxies = proxies == null ? HttpProxies.NONE : proxies;
        return this;
    }

    /** Imported once and reused by name; the image of every node whose {@code image} is null. */
    public ProvisionRequest customImage(CustomImage image) {
        this.customImage = image;
        return this;
    }

    /** Print the requests (token masked) and send nothing. */
    public ProvisionRequest dryRun(boolean dryRun) {
        this.dryRun = dryRun;
        return this;
    }

    /** Where to write the nodes as JSON (name, role, id, addresses, status), replaced atomically. */
    public ProvisionRequest nodesFile(Path file) {
        this.nodesFile = file;
        return this;
    }

    /** How often to look at a droplet (or image) that is not ready, and for how long at most. */
    public ProvisionRequest polling(Duration interval, Duration timeout) {
        this.pollInterval = interval;
        this.timeout = timeout;
        return this;
    }

    /** How long one API call keeps retrying 429, 5xx and broken connections, and the first pause. */
    public ProvisionRequest retries(Duration budget, Duration firstBackoff) {
        this.retryBudget = budget;
        this.firstBackoff = firstBackoff;
        return this;
    }

    public ProvisionRequest timing(Timing timing) {
        this.timing = timing;
        return this;
    }

    public ProvisionRequest log(Log log) {
        this.log = log == null ? Log.NONE : log;
        return this;
    }
}
