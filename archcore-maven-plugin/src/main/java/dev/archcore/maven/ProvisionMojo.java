package dev.archcore.maven;

import dev.archcore.provision.ClusterNodes;
import dev.archcore.provision.NodeFilesUserData;
import dev.archcore.provision.ProvisionException;
import dev.archcore.provision.digitalocean.CustomImage;
import dev.archcore.provision.digitalocean.DigitalOceanClient;
import dev.archcore.provision.digitalocean.DigitalOceanException;
import dev.archcore.provision.digitalocean.NodeSpec;
import dev.archcore.provision.digitalocean.ProvisionRequest;
import dev.archcore.provision.digitalocean.Provisioner;
import dev.archcore.provision.digitalocean.RenderedFilesUserData;
import dev.archcore.provision.digitalocean.UserDataSource;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Creates the cluster's droplets on DigitalOcean with each node's rendered user data: the master first, then the
 * workers once the master's public IPv4 is known. Nodes carry the project tag and are matched by name, so a
 * second run creates only what is missing. Prints a table (name, id, public IPv4, status) and writes
 * {@code target/archcore/nodes.json}. {@code -Darchcore.provision.dryRun} prints the requests and sends nothing;
 * {@code -Darchcore.provision.destroy} deletes the project's droplets after listing them.
 * <p>
 * User data: the cloud-config templates rendered per node (as archcore:iso does), or files ({@code userDataFile}).
 * The API token comes from the settings.xml server {@code digitalocean} (its password; encrypted ones work) or
 * the environment variable {@code DIGITALOCEAN_TOKEN}, never from the pom.
 */
@Mojo(name = "provision", threadSafe = true)
public class ProvisionMojo extends AbstractNodeFilesMojo {
    static final String TOKEN_ENV = "DIGITALOCEAN_TOKEN";

    /** The nodes: one with {@code <role>master</role>}, any number of workers. */
    @Parameter
    private List<ProvisionNode> nodes;

    /** The region of nodes that name none, e.g. {@code fra1}. */
    @Parameter(property = "archcore.provision.region")
    private String region;

    /** The size of nodes that name none, e.g. {@code s-1vcpu-2gb}. */
    @Parameter(property = "archcore.provision.size")
    private String size;

    /** The image (slug or numeric id) of nodes that name none; unset with a customImage: that image. */
    @Parameter(property = "archcore.provision.image")
    private String image;

    /** SSH key ids or fingerprints (keys in the DigitalOcean account) for nodes that name none. */
    @Parameter(property = "archcore.provision.sshKeys")
    private List<String> sshKeys;

    /** Tags for every node, besides the project tag. */
    @Parameter(property = "archcore.provision.tags")
    private List<String> tags;

    /** The tag that marks the project's droplets (matched by name among them; destroy deletes them all). */
    @Parameter(property = "archcore.provision.tag", defaultValue = "archcore-${project.artifactId}")
    private String projectTag;

    /** A custom image to import once and reuse by name (Flatcar by default); the image of nodes that name none. */
    @Parameter
    private ProvisionImage customImage;

    /**
     * Files with each node's user data instead of rendering the templates ({@code {name}} stands for the node's
     * name, e.g. {@code target/archcore/cloud-config/{name}.ign}); in a worker's, {@code $REGISTRY_IP} becomes
     * the master's public IPv4. Unset: the templates are rendered as archcore:iso renders them.
     */
    @Parameter(property = "archcore.provision.userDataFile")
    private String userDataFile;

    /** {@code cloud-config} or {@code ignition} (Flatcar); default ignition with a customImage, else cloud-config. */
    @Parameter(property = "archcore.provision.userDataFormat")
    private String userDataFormat;

    /** The settings.xml server whose password is the API token; else {@code DIGITALOCEAN_TOKEN}. */
    @Parameter(property = "archcore.provision.serverId", defaultValue = "digitalocean")
    private String serverId;

    /** The API's base URL. */
    @Parameter(property = "archcore.provision.apiUrl", defaultValue = DigitalOceanClient.DEFAULT_URL)
    private String apiUrl;

    /** Print the requests (token masked); send nothing. */
    @Parameter(property = "archcore.provision.dryRun", defaultValue = "false")
    private boolean dryRun;

    /** Delete the droplets with the project tag (after listing them) instead of creating any. */
    @Parameter(property = "archcore.provision.destroy", defaultValue = "false")
    private boolean destroy;

    /** How often to look at a droplet that is not active yet, in seconds. */
    @Parameter(property = "archcore.provision.pollSeconds", defaultValue = "5")
    private int pollSeconds;

    /** How long to wait for droplets (and a custom image import), in seconds. */
    @Parameter(property = "archcore.provision.timeoutSeconds", defaultValue = "600")
    private int timeoutSeconds;

    /** How long one API call keeps retrying 429 and 5xx answers, in seconds. */
    @Parameter(property = "archcore.provision.retrySeconds", defaultValue = "120")
    private int retrySeconds;

    @Parameter(defaultValue = "${project.build.directory}", readonly = true)
    private File buildDirectory;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.provision.skip", defaultValue = "false")
    boolean skipProvision;

    /** The dry run changes nothing, the cluster PKI included. */
    @Override
    boolean readOnlyRun() {
        return dryRun;
    }

    @Override
    public void execute() throws MojoFailureException {
        String skipped = Skips.property(skip, skipProvision, "provision");
        if (skipped != null) {
            getLog().info(skipped + " is set: nothing provisioned");
            return;
        }
        if (session != null && session.isOffline() && !dryRun) {
            throw new MojoFailureException("archcore:provision needs the network to reach " + apiUrl
                    + ", and Maven is offline (-o); -Darchcore.provision.dryRun shows what it would send");
        }
        String token = token();
        if (token == null && !dryRun) {
            throw new MojoFailureException("archcore:provision needs a DigitalOcean API token: add a <server> with id "
                    + serverId + " and the token as <password> to ~/.m2/settings.xml (mvn --encrypt-password works), "
                    + "or set " + TOKEN_ENV + ". Never put it in the pom.");
        }
        List<NodeSpec> specs = destroy ? List.of() : nodeSpecs();
        ProvisionRequest request = new ProvisionRequest(specs, tag(), destroy ? null : userData(specs))
                .api(apiUrl, token)
                .proxies(proxies())
                .customImage(customImage())
                .dryRun(dryRun)
                .nodesFile(buildDirectory.toPath().resolve("archcore/nodes.json"))
                .polling(Duration.ofSeconds(Math.max(1, pollSeconds)), Duration.ofSeconds(Math.max(1, timeoutSeconds)))
                .retries(Duration.ofSeconds(Math.max(0, retrySeconds)), Duration.ofSeconds(1))
                .log(new MavenLog(getLog()));
        try {
            if (destroy) {
                Provisioner.destroy(request);
            } else {
                Provisioner.provision(request);
            }
        } catch (DigitalOceanException e) {
            throw new MojoFailureException(e.getMessage()
                    + (e.status() == 401 ? " (the token came from " + tokenSource() + ")" : ""), e);
        }
    }

    /** Rendered files when {@code userDataFile} is set; else the templates, rendered per node. */
    UserDataSource userData(List<NodeSpec> specs) throws MojoFailureException {
        if (userDataFile != null && !userDataFile.isBlank()) {
            return new RenderedFilesUserData(userDataFile);
        }
        String format = or(userDataFormat, customImage != null ? "ignition" : "cloud-config").toLowerCase(Locale.ROOT);
        if (!format.equals("ignition") && !format.equals("cloud-config")) {
            throw new MojoFailureException("archcore.provision.userDataFormat is '" + userDataFormat
                    + "': use cloud-config (CoreOS-style images) or ignition (Flatcar)");
        }
        boolean formatGiven = userDataFormat != null && !userDataFormat.isBlank();
        if ((registryIp == null || registryIp.isBlank()) && format.equals("ignition") && !formatGiven) {
            // Flatcar reads cloud-config too (coreos-cloudinit), which can name the master's address on the droplet
            format = "cloud-config";
            getLog().info("archcore.registryIp is not set: the droplets get cloud-config rather than Ignition (Flatcar "
                    + "reads both; only cloud-config can name the master's address, $public_ipv4, before it exists). "
                    + "For Ignition give the master a reserved IP as archcore.registryIp.");
        }
        if (registryIp == null || registryIp.isBlank()) {
            if (format.equals("ignition")) {
                throw new MojoFailureException("archcore.registryIp is not set, and Ignition cannot fill in the master's "
                        + "address on the node (it has no $public_ipv4): set archcore.registryIp to an address the master "
                        + "will have (a DigitalOcean reserved IP), or use -Darchcore.provision.userDataFormat=cloud-config "
                        + "(Flatcar reads it too), whose $public_ipv4 coreos-cloudinit fills in on the droplet");
            }
            // the master's own files name it as coreos-cloudinit sees it; the workers get the address it was given,
            // and the registry certificate for it reaches the master over SSH when the first update starts
            registryIp = ClusterNodes.PROVIDER_ADDRESS;
            getLog().info("archcore.registryIp is not set: the master's user data uses $public_ipv4 (filled in by "
                    + "coreos-cloudinit), the workers' the address DigitalOcean assigns it; archcore:push and "
                    + "archcore:deploy read it from target/archcore/nodes.json");
        }
        String master = specs.stream().filter(NodeSpec::master).map(NodeSpec::name).findFirst().orElse(null);
        List<String> workers = specs.stream().filter(n -> !n.master()).map(NodeSpec::name).toList();
        ClusterNodes.Request request = nodesRequest(master, workers, Set.of(), Map.of("REGISTRY_IP", "archcore.registryIp",
                "WORKERS", "the node names of archcore:provision", "REGISTRY_HOSTNAME", "the master's node name of archcore:provision"),
                new MavenLog(getLog()));
        try {
            return new NodeFilesUserData(ClusterNodes.plan(request),
                    format.equals("ignition") ? NodeFilesUserData.Format.IGNITION : NodeFilesUserData.Format.CLOUD_CONFIG,
                    new MavenLog(getLog()));
        } catch (ProvisionException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
    }

    List<NodeSpec> nodeSpecs() throws MojoFailureException {
        if (nodes == null || nodes.isEmpty()) {
            throw new MojoFailureException("archcore:provision has no <nodes>: configure one <node> with "
                    + "<role>master</role> and any number of workers (each with a <name>) in the plugin's configuration; "
                    + "a project generated by archcore-archetype has a commented example in its pom.xml (the "
                    + "'default-cli' execution) to uncomment");
        }
        List<NodeSpec> specs = new ArrayList<>();
        for (ProvisionNode n : nodes) {
            String role = n.role == null ? "worker" : n.role.trim().toLowerCase(Locale.ROOT);
            if (!role.equals("master") && !role.equals("worker")) {
                throw new MojoFailureException("node " + n.name + ": <role>" + n.role + "</role> is neither master nor worker");
            }
            specs.add(new NodeSpec(n.name, role.equals("master"), or(n.region, region), or(n.size, size),
                    or(n.image, image), split(n.sshKeys != null ? n.sshKeys : sshKeys), split(merge(tags, n.tags))));
        }
        return specs;
    }

    private CustomImage customImage() {
        if (customImage == null) {
            return null;
        }
        return new CustomImage(or(customImage.name, "flatcar-stable"), or(customImage.url, CustomImage.FLATCAR_STABLE),
                or(customImage.region, region), or(customImage.distribution, "CoreOS"), customImage.description);
    }

    /** Tags allow letters, digits, '-', '_' and ':': anything else in the artifactId becomes '-'. */
    private String tag() {
        return projectTag == null ? null : projectTag.trim().replaceAll("[^a-zA-Z0-9_\\-:]", "-");
    }

    private String token() throws MojoFailureException {
        String t = Secrets.password(session == null ? new org.apache.maven.settings.Settings() : session.getSettings(),
                settingsDecrypter, serverId, TOKEN_ENV);
        return t == null || t.isBlank() ? null : t.trim();
    }

    private String tokenSource() {
        boolean server = session != null && serverId != null && session.getSettings().getServer(serverId) != null;
        return server ? "settings.xml server " + serverId : "the environment variable " + TOKEN_ENV;
    }

    private static List<String> merge(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>();
        if (a != null) {
            all.addAll(a);
        }
        if (b != null) {
            all.addAll(b);
        }
        return all;
    }

    /** List parameters given as properties arrive as one comma-separated element. */
    private static List<String> split(List<String> values) {
        List<String> out = new ArrayList<>();
        if (values != null) {
            for (String v : values) {
                for (String part : v.split(",")) {
                    if (!part.isBlank()) {
                        out.add(part.trim());
                    }
                }
            }
        }
        return out;
    }

    private static String or(String value, String dflt) {
        return value != null && !value.isBlank() ? value.trim() : dflt;
    }
}
