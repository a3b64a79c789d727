package dev.archcore.cluster;

import dev.archcore.util.HttpProxies;
import dev.archcore.util.Log;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The registry's push side: docker-registry on the master's 127.0.0.1 only ({@code archcore-registry-push.service}),
 * whose htpasswd knows only the push user, beside the read-only registry the nodes pull from. archcore:push reaches
 * it through its SSH connection to the master: a port of this machine's 127.0.0.1 forwarded there, which the push
 * connects to while its requests keep naming the registry (TLS checks the registry's certificate for that name).
 * So the push login is accepted nowhere the network reaches, and the nodes' pull login nowhere it could write.
 */
public final class RegistryPushSide {
    private RegistryPushSide() {
    }

    /**
     * Forwards a local port to the push side's {@code 127.0.0.1:pushPort} on the master and waits until the
     * registry answers there (it starts with the window's registry).
     *
     * @param registry the registry's {@code host:port} as the push names it (archcore.registry)
     * @return the address to connect the push to
     */
    public static InetSocketAddress forward(SshTunnel ssh, int pushPort, String registry, boolean insecure, Path caFile,
                                            Duration timeout, Duration poll, Log log) {
        int local = ssh.forwardLocal("127.0.0.1", pushPort);
        InetSocketAddress via;
        try {
            via = new InetSocketAddress(InetAddress.getByAddress(new byte[]{127, 0, 0, 1}), local);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        UpdateWindow.Probe probe = UpdateWindow.registry(registry, insecure, caFile, HttpProxies.NONE, via);
        long until = System.nanoTime() + timeout.toNanos();
        while (!probe.answers(ssh)) {
            if (System.nanoTime() > until) {
                throw new ClusterException("the registry's push side does not answer on 127.0.0.1:" + pushPort + " of "
                        + ssh.endpoint() + " (reached through SSH) after " + timeout.toSeconds() + " s"
                        + (probe.lastProblem() == null ? "" : " (" + probe.lastProblem() + ")") + ". It runs as "
                        + "archcore-registry-push.service beside archcore-registry.service: a master made from older "
                        + "node files has no push side; provision it again with archcore:iso's files (or set "
                        + "archcore.registryPushPort=0 to push to " + registry + " directly until then), and check "
                        + "that archcore.registryPushPort matches its $REGISTRY_PUSH_PORT and that sshd allows TCP "
                        + "forwarding (AllowTcpForwarding); its log: journalctl -u archcore-registry-push");
            }
            UpdateWindow.sleep(poll);
        }
        log.info("Pushing through SSH to the registry's push side on 127.0.0.1:" + pushPort + " of " + ssh.endpoint()
                + " (the nodes pull from the read-only side at " + registry + ")");
        return via;
    }
}
