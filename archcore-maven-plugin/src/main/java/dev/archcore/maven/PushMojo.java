package dev.archcore.maven;

import dev.archcore.cluster.ClusterException;
import dev.archcore.cluster.RegistryPushSide;
import dev.archcore.cluster.SshTunnel;
import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.SshOptions;
import dev.archcore.cluster.UpdateWindow;
import dev.archcore.registry.Credentials;
import dev.archcore.registry.PushRequest;
import dev.archcore.registry.PushResult;
import dev.archcore.registry.RegistryClient;
import dev.archcore.registry.RegistryException;
import dev.archcore.registry.RegistryReference;
import dev.archcore.registry.ReferrerPush;
import dev.archcore.registry.signing.CosignSigner;
import dev.archcore.registry.signing.SignaturePush;
import dev.archcore.registry.signing.SigningKey;
import dev.archcore.util.AtomicFiles;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pushes the image archcore:image built (its OCI layout) to {@code archcore.registry}, without a Docker engine:
 * only the blobs the registry lacks are sent, the manifest last under every tag. Writes the pushed manifest
 * digest to {@code target/archcore/push.digest}.
 * <p>
 * Credentials, first found wins: {@code username}/{@code password}; the settings.xml {@code <server>} whose id
 * is the registry's {@code host[:port]} (encrypted passwords work: this is where passwords belong, never the
 * pom); Docker's {@code config.json} ({@code auths}, {@code credHelpers}, {@code credsStore}); the environment
 * variables {@code ARCHCORE_REGISTRY_USERNAME}/{@code ARCHCORE_REGISTRY_PASSWORD}; else anonymous.
 * <p>
 * With a cluster, the update window opens first, and writes the cluster's secrets over SSH where they differ
 * ({@link dev.archcore.cluster.RegistrySecrets}: the master's registry and etcd TLS files and htpasswd files, every
 * node's pull login; {@link dev.archcore.cluster.FleetCredentials}: each fleet node's own etcd client certificate
 * and key); a dry run writes none. The push then goes through that SSH connection to the registry's push
 * side on the master's 127.0.0.1 ({@code archcore.registryPushPort}, {@link RegistryPushSide}): the registry the
 * nodes pull from is read-only and knows only their pull user.
 */
@Mojo(name = "push", defaultPhase = LifecyclePhase.DEPLOY, threadSafe = true)
public class PushMojo extends AbstractClusterMojo {

    /** The registry, {@code host[:port]}; also the settings.xml server id of its credentials. */
    @Parameter(property = "archcore.registry")
    private String registry;

    /** The repository name on the registry; defaults to the name part of the image archcore:image built. */
    @Parameter(property = "archcore.push.imageName")
    private String imageName;

    /** The tags to push; defaults to the tag the image was built with. */
    @Parameter(property = "archcore.push.tags")
    private List<String> tags;

    /** Tags pushed as well (e.g. {@code latest}). */
    @Parameter(property = "archcore.push.additionalTags")
    private List<String> additionalTags;

    /** Plain HTTP instead of HTTPS; for a registry you trust on a network you trust. */
    @Parameter(property = "archcore.registry.insecure", defaultValue = "false")
    private boolean insecure;

    /** A PEM file with the CA certificate(s) of the registry (a cluster's own CA), trusted besides the system's. */
    @Parameter(property = "archcore.registry.caFile")
    private File caFile;

    /** User name; prefer a settings.xml server with the registry's host[:port] as id. */
    @Parameter(property = "archcore.registry.username")
    private String username;

    /**
     * Password or token. Do not put it in the pom: use a settings.xml server (its password may be encrypted with
     * {@code mvn --encrypt-password}) or the environment.
     */
    @Parameter(property = "archcore.registry.password")
    private String password;

    /** A repository on the same registry to mount shared blobs from instead of sending them. */
    @Parameter(property = "archcore.push.mountFrom")
    private String mountFrom;

    /** Report the blobs the registry lacks and their size; send nothing. */
    @Parameter(property = "archcore.push.dryRun", defaultValue = "false")
    private boolean dryRun;

    /** How long to keep retrying a failing step (5xx, 429, broken connections), in seconds. */
    @Parameter(property = "archcore.push.retrySeconds", defaultValue = "60")
    private int retrySeconds;

    /** How many blobs go up at once (docker push uses 5). */
    @Parameter(property = "archcore.push.parallel", defaultValue = "3")
    private int parallelUploads;

    @Parameter(defaultValue = "${project}", readonly = true)
    private MavenProject project;

    /**
     * Push no signature. By default the pushed manifest is signed in the sigstore format (as cosign does: the
     * {@code sha256-<hex>.sig} tag) with {@code signKey}, else the cluster PKI's {@code image-signing.key} (made
     * on first use); nodes verify it with policy.json (docs/signing.md).
     */
    @Parameter(property = "archcore.push.sign.skip", defaultValue = "false")
    boolean skipSign;

    /**
     * A PEM file with the EC P-256 private key to sign with (PKCS#8 or EC, encrypted or not); default: the cluster
     * PKI's {@code image-signing.key}. Its passphrase comes from settings.xml (see {@code signServerId}) or
     * {@code ARCHCORE_SIGN_PASSPHRASE}, never from the pom.
     */
    @Parameter(property = "archcore.push.sign.key")
    File signKey;

    /** The settings.xml server whose {@code <passphrase>} (or {@code <password>}) unlocks {@code signKey}. */
    @Parameter(property = "archcore.push.sign.serverId", defaultValue = "archcore-signing")
    String signServerId;

    /** Push no SBOM: by default the image's SPDX SBOM is attached to it as an OCI referrer. */
    @Parameter(property = "archcore.push.sbom.skip", defaultValue = "false")
    boolean skipSbom;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.push.skip", defaultValue = "false")
    boolean skipPush;

    @Override
    boolean readOnlyRun() {
        return dryRun;
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        String skipped = Skips.property(skip, skipPush, "push");
        if (skipped != null) {
            getLog().info(skipped + " is set: nothing pushed");
            return;
        }
        if (SystemdTarget.SYSTEMD.equals(SystemdTarget.target(deployTarget))) {
            // nothing on the nodes pulls: archcore:deploy sends the layers over SSH, so no registry is needed
            getLog().info("archcore.deploy.target=systemd: the nodes receive the image over SSH from the OCI layout "
                    + "(archcore:deploy); nothing pushed");
            return;
        }
        if (registry == null || registry.isBlank()) {
            throw new MojoFailureException("archcore:push needs the registry: choose the cluster with a profile "
                    + "(mvn deploy -Pstaging) or set archcore.registry to host[:port] "
                    + "(e.g. -Darchcore.registry=registry.example.com:5000)");
        }
        String host = registry.trim().replaceFirst("^[a-z]+://", "").replaceFirst("/+$", "");
        if (session != null && session.isOffline()) {
            throw new MojoFailureException("archcore:push needs the network to reach " + host + ", and Maven is offline (-o)");
        }
        Path archcore = buildDirectory.toPath().resolve("archcore");
        Path infoFile = archcore.resolve("image.json");
        ImageInfo info;
        try {
            info = ImageInfo.read(infoFile);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot read " + infoFile + ": " + e.getMessage(), e);
        }
        if (info == null || info.ociLayout() == null) {
            throw new MojoFailureException("no image to push: " + infoFile + " does not exist or names no OCI layout. "
                    + "Build one first: archcore:image runs in package, so mvn deploy builds and pushes.");
        }
        String[] built = splitReference(info.reference());
        RegistryReference target;
        try {
            target = new RegistryReference(host, imageName != null && !imageName.isBlank() ? imageName : built[0],
                    tagList(built[1]));
        } catch (IllegalArgumentException e) {
            throw new MojoFailureException(e.getMessage());
        }

        MavenLog log = new MavenLog(getLog());
        List<String> warnings = new ArrayList<>();
        Map<String, Credentials> servers = new HashMap<>();
        Credentials server = session == null ? null : Secrets.server(session.getSettings(), settingsDecrypter, host);
        if (server != null) {
            servers.put(host, server);
        }
        Credentials credentials = Credentials.lookup(host, username, password, servers, System.getenv(), warnings);
        if (credentials == null) {
            credentials = pkiCredentials();
        }
        File trustedCa = caFile(caFile, insecure);
        warnings.forEach(log::warn);
        getLog().info((dryRun ? "Dry run: " : "Pushing ") + target + (credentials == null ? " (anonymous)"
                : " as " + credentials.username() + " (credentials from " + credentials.source() + ")"));
        if (password != null && credentials != null && credentials.source().startsWith("the username/password")) {
            getLog().warn("archcore.registry.password is set in the build; keep passwords in settings.xml "
                    + "(<server><id>" + host + "</id>) or ARCHCORE_REGISTRY_PASSWORD instead");
        }

        // the registry runs on the master only during an update: open the window first when a cluster is set
        SshEndpoint endpoint = null;
        SshOptions ssh = null;
        List<UpdateWindow.Service> window = List.of();
        List<String> opened = List.of();
        Path windowFile = UpdateWindowRecord.file(buildDirectory.toPath());
        try {
            Files.deleteIfExists(windowFile);
            if (clusterConfigured()) {
                endpoint = endpoint();
                ssh = sshOptions(endpoint);
                window = window(host, insecure, trustedCa, !dryRun);
                opened = UpdateWindow.open(endpoint, ssh, window, windowTimeout(), java.time.Duration.ofSeconds(1), log);
            }
        } catch (ClusterException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot remove " + windowFile + ": " + e.getMessage(), e);
        }
        boolean handedOver = false;
        boolean pushed = false;
        SshTunnel tunnel = null;
        try {
            java.net.InetSocketAddress via = null;
            if (endpoint != null && registryPushPort > 0) {
                // the push side listens on the master's 127.0.0.1 only: reach it through SSH (RegistryPushSide)
                tunnel = SshTunnel.connect(endpoint, ssh, log);
                via = RegistryPushSide.forward(tunnel, registryPushPort, host, insecure,
                        trustedCa == null ? null : trustedCa.toPath(), windowTimeout(), java.time.Duration.ofSeconds(1), log);
            }
            push(info, target, credentials, trustedCa, archcore, log, via);
            pushed = true;
            if (!opened.isEmpty() && deployFollows()) {
                new UpdateWindowRecord(cluster, opened, buildId()).write(windowFile);
                handedOver = true;
                // should the build fail before archcore:deploy, the window is closed when Maven exits
                UpdateWindowGuard.register(new UpdateWindowGuard(windowFile, buildId(), endpoint, ssh, window, System.err));
                getLog().info("Update window left open for archcore:deploy, which closes it (" + windowFile + ")");
            }
        } catch (ClusterException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot write " + windowFile + ": " + e.getMessage(), e);
        } finally {
            if (tunnel != null) {
                tunnel.close();
            }
            if (!handedOver && !opened.isEmpty()) {
                String left = UpdateWindow.closeOrExplain(endpoint, ssh, window, opened, log);
                if (left != null && !pushed) {
                    getLog().error(left);  // the push's own failure follows
                } else if (left != null) {
                    throw new MojoFailureException("The image was pushed. " + left);
                }
            }
        }
    }

    /** archcore:deploy runs later in this build: it is bound in the pom and the build goes to the deploy phase. */
    private boolean deployFollows() {
        if (session == null || project == null || !session.getGoals().contains("deploy")) {
            return false;
        }
        return project.getBuildPlugins().stream()
                .filter(p -> "archcore-maven-plugin".equals(p.getArtifactId()))
                .flatMap(p -> p.getExecutions().stream())
                .anyMatch(e -> e.getGoals().contains("deploy"));
    }

    private void push(ImageInfo info, RegistryReference target, Credentials credentials, File trustedCa, Path archcore, MavenLog log,
                      java.net.InetSocketAddress via) throws MojoFailureException, MojoExecutionException {
        PushRequest request = new PushRequest(Path.of(info.ociLayout()), target)
                .connectVia(via)
                .image(info.manifestDigest())
                .credentials(credentials)
                .insecure(insecure)
                .caFile(trustedCa == null ? null : trustedCa.toPath())
                .mountFrom(mountFrom)
                .dryRun(dryRun)
                .parallelUploads(parallelUploads)
                .proxies(proxies())
                .retries(java.time.Duration.ofSeconds(Math.max(1, retrySeconds)), java.time.Duration.ofMillis(500))
                .log(log)
                .attach(attachments(info, archcore, log));
        PushResult result;
        try {
            result = RegistryClient.push(request);
        } catch (RegistryException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
        if (result.dryRun()) {
            return;
        }
        try {
            byte[] digest = (result.digest() + "\n").getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(archcore.resolve("push.digest"), out -> out.write(digest));
        } catch (IOException e) {
            throw new MojoExecutionException("cannot write push.digest: " + e.getMessage(), e);
        }
        for (String ref : result.references()) {
            getLog().info("Pushed " + ref);
        }
        result.attached().forEach(a -> getLog().info("Attached " + a));
    }

    /** The signature and the SBOM to push after the image (none in a dry run: nothing is pushed, no key made). */
    private List<dev.archcore.registry.Attachment> attachments(ImageInfo info, Path archcore, MavenLog log)
            throws MojoFailureException, MojoExecutionException {
        List<dev.archcore.registry.Attachment> out = new ArrayList<>();
        if (dryRun) {
            return out;
        }
        try {
            if (skipSign) {
                getLog().info("archcore.push.sign.skip is set: the image is not signed");
            } else {
                SigningKey key = signingKey(log);
                if (key != null) {
                    Path pub = archcore.resolve(SigningKey.PUBLIC_KEY_FILE);
                    byte[] pem = key.publicKeyPem().getBytes(StandardCharsets.UTF_8);
                    AtomicFiles.write(pub, o -> o.write(pem));
                    out.add(new SignaturePush(new CosignSigner(key, "archcore")));
                }
            }
            if (!skipSbom) {
                out.addAll(ReferrerPush.besideLayout(Path.of(info.ociLayout()), info.manifestDigest()));
            }
        } catch (RegistryException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot write the public signing key to " + archcore + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** archcore.push.sign.key (its passphrase from settings.xml or the environment), else the cluster PKI's key. */
    private SigningKey signingKey(MavenLog log) throws MojoFailureException {
        if (signKey != null) {
            String passphrase = session == null ? System.getenv(SIGN_PASSPHRASE_ENV)
                    : Secrets.password(session.getSettings(), settingsDecrypter, signServerId, SIGN_PASSPHRASE_ENV);
            return SigningKey.read(signKey.toPath(), passphrase == null ? null : passphrase.toCharArray());
        }
        if (pkiDirectory == null) {
            getLog().warn("No signing key: archcore.pkiDirectory and archcore.push.sign.key are unset, so the image is "
                    + "not signed");
            return null;
        }
        return SigningKey.ensure(pkiDirectory.toPath(), log);
    }

    static final String SIGN_PASSPHRASE_ENV = "ARCHCORE_SIGN_PASSPHRASE";

    private List<String> tagList(String builtTag) {
        Set<String> all = new LinkedHashSet<>();
        if (tags != null && !tags.isEmpty()) {
            tags.stream().flatMap(t -> List.of(t.split(",")).stream()).map(String::trim).filter(t -> !t.isEmpty()).forEach(all::add);
        } else if (builtTag != null) {
            all.add(builtTag);
        }
        if (additionalTags != null) {
            additionalTags.stream().flatMap(t -> List.of(t.split(",")).stream()).map(String::trim).filter(t -> !t.isEmpty()).forEach(all::add);
        }
        return List.copyOf(all);
    }

    /** {@code [host/]name:tag} → {name, tag}; a host part (with a dot or a port) is dropped. */
    static String[] splitReference(String reference) {
        String r = reference == null ? "" : reference;
        int slash = r.indexOf('/');
        if (slash > 0) {
            String first = r.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                r = r.substring(slash + 1);
            }
        }
        int colon = r.lastIndexOf(':');
        if (colon > r.lastIndexOf('/') && colon >= 0) {
            return new String[]{r.substring(0, colon), r.substring(colon + 1)};
        }
        return new String[]{r, null};
    }
}
