package dev.archcore.cluster.systemd;

import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.SshOptions;

/**
 * One machine of the systemd target: how it is named in messages, where its sshd answers, how to log in.
 *
 * @param name a name for people ({@code nodes.json}'s droplet name, else the endpoint)
 */
public record Node(String name, SshEndpoint endpoint, SshOptions ssh) {
    @Override
    public String toString() {
        String at = endpoint.toString();
        return name == null || name.equals(at) ? at : name + " (" + at + ")";
    }
}
