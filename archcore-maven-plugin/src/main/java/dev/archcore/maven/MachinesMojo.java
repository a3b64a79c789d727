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
import org.apache.maven.project.MavenProject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Lists the cluster's machines (id, IP, metadata) and, on each, the state of the app's unit: {@code fleetctl
 * list-machines} and {@code list-units} in one table. Starts etcd on the master for the question if it is not
 * running (fleet keeps its state there) and stops it again. Runs outside a project too: then the cluster PKI must be
 * named ({@code archcore.pkiDirectory}), and without {@code archcore.deploy.unitName} only the machines are listed.
 */
@Mojo(name = "machines", threadSafe = true, requiresProject = false)
public class MachinesMojo extends AbstractClusterMojo {

    /**
     * The unit whose state is shown per machine; default {@code <artifactId>.service}. Outside a project, unset:
     * the machines alone.
     */
    @Parameter(property = "archcore.deploy.unitName", defaultValue = "${project.artifactId}.service")
    private String unitName;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.machines.skip", defaultValue = "false")
    boolean skipMachines;

    @Parameter(defaultValue = "${project}", readonly = true)
    MavenProject project;

    /** A report: it reads the cluster PKI and never writes it. */
    @Override
    boolean readOnlyRun() {
        return true;
    }

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
        if (SystemdTarget.SYSTEMD.equals(SystemdTarget.target(deployTarget))) {
            machinesSystemd();
            return;
        }
        outsideProject();
        SshEndpoint endpoint = endpoint();
        SshOptions ssh = sshOptions(endpoint);
        MavenLog log = new MavenLog(getLog());
        List<UpdateWindow.Service> window = window(null, false, null);
        try (ClusterConnection c = ClusterConnection.open(endpoint, ssh, fleetSocket, log)) {
            List<String> opened = new ArrayList<>();
            try {
                opened.addAll(UpdateWindow.open(c.ssh(), window, windowTimeout(), Duration.ofSeconds(1), log));
                if (unitName == null) {
                    getLog().info("No unit asked for (no project here): set -Darchcore.deploy.unitName=<app>.service "
                            + "to see its state on each machine");
                }
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

    /** {@code archcore.deploy.target=systemd}: each node's unit, from {@code systemctl show} over SSH. */
    private void machinesSystemd() throws MojoFailureException {
        String name = unitName;
        if (name == null || (project != null && project.getFile() == null && name.equals(project.getArtifactId() + ".service"))) {
            throw new MojoFailureException("archcore:machines with archcore.deploy.target=systemd asks each node about "
                    + "the app's unit: run it in the app's project directory, or set -Darchcore.deploy.unitName=<app>.service");
        }
        String app = name.endsWith(".service") ? name.substring(0, name.length() - ".service".length()) : name;
        List<dev.archcore.cluster.systemd.Node> nodes = SystemdTarget.nodes(this);
        try {
            List<dev.archcore.cluster.systemd.SystemdMachines.Row> rows = dev.archcore.cluster.systemd.SystemdMachines
                    .rows(nodes, app, deployParallel, Duration.ofSeconds(60), new MavenLog(getLog()));
            getLog().info(rows.size() + " node(s) of the systemd target:");
            dev.archcore.cluster.systemd.SystemdMachines.table(rows, app).forEach(getLog()::info);
        } catch (ClusterException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
    }

    /**
     * Outside a project Maven runs the goal in its stub project {@code standalone-pom}, and the defaults built from
     * {@code ${project.artifactId}} name a unit and a PKI that are nobody's: the unit is dropped (the machines are
     * still worth listing), the PKI must be named, since etcd asks for its client certificate.
     */
    private void outsideProject() throws MojoFailureException {
        if (project != null && project.getFile() != null) {
            return;
        }
        String stub = project == null ? null : project.getArtifactId();
        if (unitName != null && unitName.equals(stub + ".service")) {
            unitName = null;
        }
        Path archcoreHome = Path.of(System.getProperty("user.home"), ".archcore");
        boolean stubPki = pkiDirectory == null || pkiDirectory.toPath().equals(archcoreHome.resolve(stub + "/pki"));
        if (stubPki && !etcdPlainHttp) {
            throw new MojoFailureException("archcore:machines runs outside a project here, so it cannot tell which "
                    + "cluster PKI holds archcore's etcd client certificate: set -Darchcore.pkiDirectory to the one "
                    + "archcore:iso made for the cluster (~/.archcore/<artifactId>/<environment>/pki" + knownPkis(archcoreHome)
                    + "), and -Darchcore.deploy.unitName=<app>.service to see the app's unit; or run it in the app's "
                    + "project directory");
        }
    }

    private static String knownPkis(Path archcoreHome) {
        // ~/.archcore/<artifactId>/<environment>/pki, and the shared <artifactId>/pki of earlier versions
        try (Stream<Path> dirs = Files.walk(archcoreHome, 3)) {
            List<String> found = dirs.filter(d -> d.getFileName().toString().equals("pki")).filter(Files::isDirectory)
                    .map(Path::toString).sorted().toList();
            return found.isEmpty() ? "" : "; found here: " + String.join(", ", found);
        } catch (IOException e) {
            return "";
        }
    }
}
