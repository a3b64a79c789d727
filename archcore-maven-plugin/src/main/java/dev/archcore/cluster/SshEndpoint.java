package dev.archcore.cluster;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The master's SSH endpoint, {@code [user@]host[:port]} (user {@code core} and port 22 unless given). */
public record SshEndpoint(String user, String host, int port) {
    private static final Pattern FORM = Pattern.compile("(?:([^@\\s]+)@)?(\\[[0-9a-fA-F:]+]|[^:@\\s\\[\\]]+)(?::(\\d{1,5}))?");

    public static SshEndpoint parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new ClusterException("archcore.cluster '" + text + "' is not an SSH endpoint: write user@host:port "
                    + "(e.g. core@cluster.example.com:2222), as the staging and production profiles do");
        }
        int port = m.group(3) == null ? 22 : Integer.parseInt(m.group(3));
        if (port < 1 || port > 65535) {
            throw new ClusterException("archcore.cluster '" + text + "': port " + port + " is not between 1 and 65535");
        }
        String host = m.group(2).startsWith("[") ? m.group(2).substring(1, m.group(2).length() - 1) : m.group(2);
        return new SshEndpoint(m.group(1) == null ? "core" : m.group(1), host, port);
    }

    /** {@code host:port}: also the id of the settings.xml server holding the SSH key, like a registry's. */
    public String hostPort() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return user + "@" + hostPort();
    }
}
