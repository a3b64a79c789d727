package dev.archcore.maven;

import dev.archcore.cluster.ClusterConnection;
import dev.archcore.cluster.ClusterException;
import dev.archcore.cluster.MachinesReport;
import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.SshOptions;
import dev.archcore.cluster.UpdateWindow;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists the cluster's machines (id, IP, metadata) and, on each, the state of the app's unit: {@code fleetctl
 * list-machines} and {@code list-units} in one table. Starts etcd on the master for the question if it is not
 * running (fleet keeps its state there) and stops it again.
 */
@Mojo(name = "machines", threadSafe = true, requiresProject = false)
public class MachinesMojo extends AbstractClusterMojo {

    /** The unit whose state is shown per machine; default {@code <artifactId>.service}. */
    @Parameter(property = "archcore.deploy.unitName", defaultValue = "${project.artifactId}.service")
    private String unitName;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.machines.skip", defaultValue = "false")
    boolean skipMachines;

    @Override
    public void execute() throws MojoFailureException {
        String skipped = Skips.property(skip, skipMachines, "machines");
        if (skipped != null) {
            getLog().info(skipped + " is set");
            return;
        }
        if (session != null && session.isOffline()) {
            throw new MojoFailureException("archcore:machines needs the network to reach the cluster, and Maven is offline (-o)");
        }
        SshEndpoint endpoint = endpoint();
        SshOptions ssh = sshOptions(endpoint);
        MavenLog log = new MavenLog(getLog());
        List<UpdateWindow.Service> window = window(null, false, null);
        try (ClusterConnection c = ClusterConnection.open(endpoint, ssh, fleetSocket, log)) {
            List<String> opened = new ArrayList<>();
            try {
                opened.addAll(UpdateWindow.open(c.ssh(), window, windowTimeout(), Duration.ofSeconds(1), log));
                List<MachinesReport.Row> rows = MachinesReport.rows(c.fleet(), unitName);
                getLog().info(rows.size() + " machine(s) in the cluster of " + endpoint + ":");
                MachinesReport.table(rows, unitName).forEach(getLog()::info);
            } finally {
                UpdateWindow.close(c.ssh(), window, opened, log);
            }
        } catch (ClusterException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
    }
}
