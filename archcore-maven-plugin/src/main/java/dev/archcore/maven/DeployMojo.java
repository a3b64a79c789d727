package dev.archcore.maven;

import dev.archcore.cluster.ClusterException;
import dev.archcore.cluster.DeployRequest;
import dev.archcore.cluster.DeployResult;
import dev.archcore.cluster.Deployer;
import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.UpdateWindow;
import dev.archcore.cluster.systemd.AppImage;
import dev.archcore.cluster.systemd.Node;
import dev.archcore.cluster.systemd.SystemdDeployRequest;
import dev.archcore.cluster.systemd.SystemdDeployResult;
import dev.archcore.cluster.systemd.SystemdDeployer;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Deploys the app's global fleet unit to every machine of {@code archcore.cluster}, through an SSH tunnel to fleet's
 * socket on the master: renders {@code units/<app>.service} with the pushed image pinned by digest, destroys the
 * old unit, creates and launches the new one, waits until every machine runs it, and restores the old unit if one
 * does not. Closes the update window (etcd and the registry on the master) that archcore:push or this goal opened.
 */
@Mojo(name = "deploy", defaultPhase = LifecyclePhase.DEPLOY, threadSafe = true)
public class DeployMojo extends AbstractClusterMojo {

    /**
     * The unit template; {@code @image@} is replaced by the image, pinned by digest, and {@code @appPort@} by
     * {@code archcore.appPort}.
     */
    @Parameter(property = "archcore.deploy.unit", defaultValue = "${project.basedir}/units/${project.artifactId}.service")
    private File unit;

    /** The unit's name in fleet; default: the template's file name. */
    @Parameter(property = "archcore.deploy.unitName")
    private String unitName;

    /**
     * The image the machines run, {@code host[:port]/name@sha256:...}; default: what archcore:push pushed
     * ({@code target/archcore/push.digest}) under {@code pullRegistry}.
     */
    @Parameter(property = "archcore.deploy.image")
    private String image;

    /** The registry archcore:push pushes to (host[:port]): the update window waits until it answers. */
    @Parameter(property = "archcore.registry")
    private String registry;

    @Parameter(property = "archcore.registry.insecure", defaultValue = "false")
    private boolean insecure;

    @Parameter(property = "archcore.registry.caFile")
    private File caFile;

    /** The repository name; default: the name archcore:image built (as archcore:push uses). */
    @Parameter(property = "archcore.push.imageName")
    private String imageName;

    /** The app's port, filled into the unit's {@code @appPort@} at each deploy. */
    @Parameter(property = "archcore.appPort", defaultValue = "8080")
    private String appPort;

    /** How long every machine has to run the new unit before it is rolled back. */
    @Parameter(property = "archcore.deploy.timeoutSeconds", defaultValue = "300")
    private int timeoutSeconds;

    /** How often fleet is asked for the machines' states. */
    @Parameter(property = "archcore.deploy.pollMillis", defaultValue = "2000")
    private int pollMillis;

    /** Print the plan (machines, old and new unit, image) and change nothing. */
    @Parameter(property = "archcore.deploy.dryRun", defaultValue = "false")
    private boolean dryRun;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.deploy.skip", defaultValue = "false")
    boolean skipDeploy;

    /** The systemd target: nodes switched at a time (each batch must run the app before the next); 0: all at once. */
    @Parameter(property = "archcore.deploy.batch", defaultValue = "0")
    int batch;

    @Override
    boolean readOnlyRun() {
        return dryRun;
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        Path windowFile = UpdateWindowRecord.file(buildDirectory.toPath());
        List<String> handedOver = handedOver(windowFile);
        try {
            String skipped = Skips.property(skip, skipDeploy, "deploy");
            if (skipped != null) {
                getLog().info(skipped + " is set: nothing deployed");
                closeHandedOver(handedOver, null);
                return;
            }
            if (SystemdTarget.SYSTEMD.equals(SystemdTarget.target(deployTarget))) {
                try {
                    deploySystemd();
                } catch (MojoFailureException | MojoExecutionException | RuntimeException e) {
                    closeHandedOver(handedOver, e);
                    throw e;
                }
                closeHandedOver(handedOver, null);
                return;
            }
            DeployRequest request;
            try {
                request = request(handedOver);
            } catch (MojoFailureException | MojoExecutionException | RuntimeException e) {
                // nothing reached fleet, but what archcore:push opened for this deploy must not stay open
                closeHandedOver(handedOver, e);
                throw e;
            }
            // from here the deployer closes the window on every path
            DeployResult result = Deployer.deploy(request);
            getLog().info((result.changed() ? "Deployed " : dryRun ? "Would deploy " : "Unchanged: ") + request.unitName()
                    + " " + result.hash().substring(0, 7) + " on " + result.machines().size() + " machine(s)");
        } catch (ClusterException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(windowFile);
            } catch (IOException e) {
                getLog().warn("cannot remove " + windowFile + ": " + e.getMessage());
            }
        }
    }

    /** Everything the deploy needs, checked before anything is sent. */
    private DeployRequest request(List<String> handedOver) throws MojoFailureException, MojoExecutionException {
        if (session != null && session.isOffline()) {
            throw new MojoFailureException("archcore:deploy needs the network to reach the cluster, and Maven is offline (-o)");
        }
        SshEndpoint endpoint = endpoint();
        String template;
        try {
            template = Files.readString(unit.toPath(), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new MojoFailureException("the unit file " + unit + " does not exist: write the app's fleet unit there "
                    + "(the archetype's units/<app>.service is an example) or point archcore.deploy.unit at it");
        } catch (IOException e) {
            throw new MojoExecutionException("cannot read " + unit + ": " + e.getMessage(), e);
        }
        String name = unitName != null && !unitName.isBlank() ? unitName : unit.getName();
        String port = Integer.toString(appPort());
        String pinned = image();
        List<UpdateWindow.Service> window = new ArrayList<>(window(registry, insecure, caFile(caFile, insecure), !dryRun));
        // what push started is closed here, even a service this goal's parameters would not open
        windowToClose().stream().filter(s -> handedOver.contains(s.name()))
                .filter(s -> window.stream().noneMatch(w -> w.name().equals(s.name()))).forEach(window::add);
        return new DeployRequest(endpoint, sshOptions(endpoint), fleetSocket, name, template,
                unit.toString(), pinned, window, handedOver, windowTimeout(),
                Duration.ofSeconds(Math.max(1, timeoutSeconds)), Duration.ofMillis(Math.max(10, pollMillis)), dryRun,
                new MavenLog(getLog()), java.util.Map.of("appPort", port));
    }

    private int appPort() throws MojoFailureException {
        String port = appPort == null ? "" : appPort.strip();
        if (!port.matches("[1-9][0-9]{0,4}") || Integer.parseInt(port) > 65535) {
            throw new MojoFailureException("archcore.appPort='" + appPort + "' is not a TCP port: set it to a number "
                    + "from 1 to 65535 (the unit's @appPort@ is filled with it)");
        }
        return Integer.parseInt(port);
    }

    /**
     * {@code archcore.deploy.target=systemd}: the image archcore:image built, from its OCI layout, and a unit
     * archcore writes, on every node over SSH (no registry: archcore:push pushes nothing for this target).
     */
    private void deploySystemd() throws MojoFailureException, MojoExecutionException {
        if (session != null && session.isOffline()) {
            throw new MojoFailureException("archcore:deploy needs the network to reach the nodes, and Maven is offline (-o)");
        }
        Path infoFile = buildDirectory.toPath().resolve("archcore/image.json");
        ImageInfo info;
        try {
            info = ImageInfo.read(infoFile);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot read " + infoFile + ": " + e.getMessage(), e);
        }
        if (info == null || info.ociLayout() == null) {
            throw new MojoFailureException("no image to deploy: " + infoFile + " does not exist or names no OCI layout. "
                    + "archcore:image builds it in the package phase (mvn deploy builds and deploys)");
        }
        String name = unitName != null && !unitName.isBlank() ? unitName : unit.getName();
        String app = name.endsWith(".service") ? name.substring(0, name.length() - ".service".length()) : name;
        int port = appPort();
        AppImage image = AppImage.read(Path.of(info.ociLayout()), info.manifestDigest());
        List<Node> nodes = SystemdTarget.nodes(this);
        SystemdDeployResult r = SystemdDeployer.deploy(new SystemdDeployRequest(app, nodes, image, port, batch,
                deployParallel, Duration.ofSeconds(Math.max(1, timeoutSeconds)), Duration.ofMillis(Math.max(10, pollMillis)),
                dryRun, new MavenLog(getLog())));
        getLog().info((dryRun ? "Would deploy " : r.changed().isEmpty() ? "Unchanged: " : "Deployed ") + r.unitName()
                + " (image " + r.manifestDigest().substring(0, 19) + ") on " + r.nodes().size() + " node(s)"
                + (r.changed().isEmpty() ? "" : ", " + r.changed().size() + " switched"));
    }

    /**
     * Stops what archcore:push started for this deploy, when the deploy ends before the deployer takes over (skip,
     * offline, a missing unit file, no image). Closing is cleanup of this very build, so it runs even offline.
     * Where it is impossible, the build fails saying what still runs and the command that stops it.
     *
     * @param cause the failure that ended the deploy, or null
     */
    private void closeHandedOver(List<String> handedOver, Exception cause) throws MojoFailureException {
        if (handedOver.isEmpty()) {
            return;
        }
        String left;
        try {
            SshEndpoint endpoint = SshEndpoint.parse(cluster);
            left = UpdateWindow.closeOrExplain(endpoint, sshOptions(endpoint), windowToClose(), handedOver,
                    new MavenLog(getLog()));
        } catch (RuntimeException e) {
            left = "The update window archcore:push opened (" + String.join(" and ", handedOver) + " on " + cluster
                    + ") could not be closed: " + e.getMessage();
        }
        if (left != null) {
            throw new MojoFailureException(cause == null ? left : cause.getMessage() + ". " + left, cause);
        }
    }

    /** The services archcore:push started for this very build, which this goal must close. */
    private List<String> handedOver(Path file) throws MojoExecutionException {
        try {
            UpdateWindowRecord record = UpdateWindowRecord.read(file);
            if (record == null) {
                return List.of();
            }
            if (record.build() != buildId() || !record.cluster().equals(cluster)) {
                getLog().warn("ignoring " + file + ": it is from another build (" + record.cluster() + ")");
                return List.of();
            }
            return record.started();
        } catch (IOException e) {
            throw new MojoExecutionException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private String image() throws MojoFailureException, MojoExecutionException {
        if (image != null && !image.isBlank()) {
            return image.trim();
        }
        Path archcore = buildDirectory.toPath().resolve("archcore");
        String digest;
        ImageInfo info;
        try {
            Path pushed = archcore.resolve("push.digest");
            if (!Files.exists(pushed)) {
                throw new MojoFailureException("nothing pushed yet: " + pushed + " does not exist. archcore:push runs before "
                        + "archcore:deploy in the deploy phase (mvn deploy -Pstaging), or name the image with "
                        + "-Darchcore.deploy.image=host:port/name@sha256:...");
            }
            digest = Files.readString(pushed).trim();
            info = ImageInfo.read(archcore.resolve("image.json"));
        } catch (IOException e) {
            throw new MojoExecutionException("cannot read what archcore:push pushed: " + e.getMessage(), e);
        }
        String name = imageName != null && !imageName.isBlank() ? imageName
                : info == null ? null : PushMojo.splitReference(info.reference())[0];
        if (name == null) {
            throw new MojoFailureException("cannot tell the image's name: no target/archcore/image.json; set archcore.push.imageName");
        }
        String host = pullRegistryHost(registry, nodeList());
        if (host == null || host.isBlank()) {
            throw new MojoFailureException("cannot tell where the machines pull the image from: set archcore.registryIp "
                    + "(the staging and production profiles do) or archcore.deploy.pullRegistry, or run archcore:provision "
                    + "first (its target/archcore/nodes.json names the master's address)");
        }
        return host.trim() + "/" + name + "@" + digest;
    }
}
