package dev.archcore.image;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runtime settings of the image config ({@code config} in the OCI image config) and the values of the
 * standard labels. Lists and maps may be empty, strings null. {@code PATH} is added to {@code env} when not
 * given ({@code /usr/local/sbin:/usr/local/bin:/usr/bin}, as Arch's base image has it).
 *
 * @param exposedPorts "8080" (tcp) or "53/udp"
 * @param version      org.opencontainers.image.version
 * @param revision     org.opencontainers.image.revision (a VCS commit)
 * @param source       org.opencontainers.image.source (a URL)
 */
public record ImageConfig(List<String> entrypoint, List<String> cmd, Map<String, String> env, String user,
                          String workingDir, List<String> exposedPorts, Map<String, String> labels, String version,
                          String revision, String source) {
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/bin";

    public ImageConfig {
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        Map<String, String> e = new LinkedHashMap<>();
        if (env == null || !env.containsKey("PATH")) {
            e.put("PATH", DEFAULT_PATH);
        }
        if (env != null) {
            e.putAll(env);
        }
        env = java.util.Collections.unmodifiableMap(e);
        exposedPorts = exposedPorts == null ? List.of() : List.copyOf(exposedPorts);
        labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }

    public static ImageConfig empty() {
        return new ImageConfig(null, null, null, null, null, null, null, null, null, null);
    }
}
