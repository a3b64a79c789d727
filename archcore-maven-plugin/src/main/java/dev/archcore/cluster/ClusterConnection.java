package dev.archcore.cluster;

import dev.archcore.util.Log;

/** The SSH tunnel to the master and fleet's API through it, opened and closed together. */
public final class ClusterConnection implements AutoCloseable {
    public static final String DEFAULT_FLEET_SOCKET = "/var/run/fleet.sock";

    private final SshTunnel ssh;
    private final FleetClient fleet;

    private ClusterConnection(SshTunnel ssh, FleetClient fleet) {
        this.ssh = ssh;
        this.fleet = fleet;
    }

    public static ClusterConnection open(SshEndpoint endpoint, SshOptions options, String fleetSocket, Log log) {
        SshTunnel ssh = SshTunnel.connect(endpoint, options, log);
        String socket = fleetSocket == null || fleetSocket.isBlank() ? DEFAULT_FLEET_SOCKET : fleetSocket;
        // fleetctl sends Host: domain-sock to its Unix-socket endpoint
        StreamHttpClient http = new StreamHttpClient(() -> ssh.openUnixSocket(socket), "domain-sock");
        return new ClusterConnection(ssh, new FleetClient(http, "unix://" + socket + " on " + endpoint
                + " (archcore.fleet.socket)"));
    }

    public SshTunnel ssh() {
        return ssh;
    }

    public FleetClient fleet() {
        return fleet;
    }

    @Override
    public void close() {
        fleet.close();
        ssh.close();
    }
}
