package dev.archcore.maven;

import dev.archcore.image.ImageBuildException;
import dev.archcore.image.ImageBuilder;
import dev.archcore.image.ImageConfig;
import dev.archcore.image.ImagePackage;
import dev.archcore.image.ImageRequest;
import dev.archcore.image.ImageResult;
import dev.archcore.image.Layering;
import dev.archcore.pacman.PackageFile;
import dev.archcore.pacman.PackageReader;
import dev.archcore.repo.ClosureRequest;
import dev.archcore.repo.DependencyClosure;
import dev.archcore.repo.FetchException;
import dev.archcore.repo.Keyring;
import dev.archcore.repo.PackageFetcher;
import dev.archcore.repo.PacmanConf;
import dev.archcore.repo.PacmanConfException;
import dev.archcore.repo.ResolutionException;
import dev.archcore.util.Command;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a minimal container image (no {@code base}) from the package {@code archcore:pkg} made and its
 * dependency closure from {@code pacman.conf}: an OCI layout, a docker-archive, the digest, an SBOM and a lock
 * file. No Docker engine, no root.
 */
@Mojo(name = "image", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class ImageMojo extends AbstractMojo {

    /** The app package; defaults to the one archcore:pkg built in this build. */
    @Parameter(property = "archcore.package")
    private File packageFile;

    /** Where dependencies come from, in pacman.conf syntax. */
    @Parameter(property = "archcore.pacmanConf", defaultValue = "${project.basedir}/pacman.conf")
    private File pacmanConf;

    /** Resolve against the Arch Linux Archive of this day (yyyy-MM-dd) instead of the live mirrors. */
    @Parameter(property = "archcore.snapshot")
    private String snapshot;

    /**
     * A pacman keyring directory (NAME.gpg, NAME-trusted, NAME-revoked, as archlinux-keyring ships it) or a file
     * of trusted public keys; defaults to the system's archlinux keyring when one is installed.
     */
    @Parameter(property = "archcore.keyring")
    private File keyring;

    @Parameter(property = "archcore.keyringName", defaultValue = "archlinux")
    private String keyringName;

    /** Shared cache of packages, databases and layers. */
    @Parameter(property = "archcore.cacheDirectory", defaultValue = "${user.home}/.cache/archcore")
    private File cacheDirectory;

    /** The exact packages of the image; reused while the dependencies are the same, so commit it. */
    @Parameter(property = "archcore.lockFile", defaultValue = "${project.basedir}/packages.lock.json")
    private File lockFile;

    /** Resolve again even though the lock file fits. */
    @Parameter(property = "archcore.updateLock", defaultValue = "false")
    private boolean updateLock;

    @Parameter(property = "archcore.imageName", defaultValue = "${project.artifactId}")
    private String imageName;

    /** Defaults to the package version ({@code [epoch-]pkgver-pkgrel}). */
    @Parameter(property = "archcore.imageTag")
    private String imageTag;

    /** Defaults to the app's binary, {@code /usr/bin/<pkgname>}, when the package has it. */
    @Parameter
    private List<String> entrypoint;

    @Parameter
    private List<String> cmd;

    @Parameter
    private Map<String, String> environment;

    @Parameter(property = "archcore.imageUser")
    private String user;

    @Parameter(property = "archcore.workingDirectory")
    private String workingDirectory;

    /** The port the app answers on: exposed, and passed as {@code APP_PORT}. */
    @Parameter(property = "archcore.appPort")
    private String appPort;

    /** More exposed ports ({@code 8443}, {@code 53/udp}). */
    @Parameter
    private List<String> ports;

    @Parameter
    private Map<String, String> labels;

    /**
     * gzip level of the layers (1-9). 1, as go-containerregistry's layer writer (crane, ko) uses: half the time
     * of Docker's 6 for about 7% more bytes, and layers are compressed once but cached and pushed incrementally.
     */
    @Parameter(property = "archcore.layerCompressionLevel", defaultValue = "1")
    private int layerCompressionLevel;

    @Parameter(defaultValue = "${project.build.outputTimestamp}")
    private String outputTimestamp;

    @Parameter(defaultValue = "${project.build.directory}", readonly = true)
    private File buildDirectory;

    @Parameter(property = "archcore.skip", defaultValue = "false")
    private boolean skip;

    @Parameter(defaultValue = "${project}", readonly = true)
    private MavenProject project;

    @Parameter(defaultValue = "${session}", readonly = true)
    private MavenSession session;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("archcore.skip is set: no image built");
            return;
        }
        MavenLog log = new MavenLog(getLog());
        long timestamp = BuildTimestamp.epochSeconds(outputTimestamp, System.getenv());
        try {
            PackageFile app = PackageReader.read(appPackage());
            List<String> targets = app.values("depend");
            PacmanConf conf = conf(targets);
            // the keyring is only read when there is something to verify
            DependencyClosure.Result closure = DependencyClosure.resolve(new ClosureRequest(conf, targets,
                    targets.isEmpty() ? Keyring.EMPTY : keyring(), cacheDirectory.toPath(), lockFile.toPath(), updateLock, session.isOffline(), log));

            List<ImagePackage> packages = new ArrayList<>();
            for (PackageFetcher.Fetched f : closure.packages()) {
                // the fetcher has just checked the file against this sha256: the indexer need not hash it again
                packages.add(new ImagePackage(f.file(), false, f.pkg().repository(), List.of("sha256"), f.pkg().sha256()));
            }
            packages.add(ImagePackage.app(app.file()));

            Path out = buildDirectory.toPath();
            Path archcore = out.resolve("archcore");
            String tag = imageTag != null ? imageTag : app.version().replace(':', '-');
            ImageResult result = ImageBuilder.build(new ImageRequest(packages, conf.noExtract(),
                    config(app), timestamp, imageName, tag, archcore.resolve("image"),
                    out.resolve(project.getArtifactId() + "-" + project.getVersion() + "-image.tar"),
                    archcore.resolve("image.spdx.json"), archcore.resolve("image.digest"),
                    cacheDirectory.toPath().resolve("layers"), Layering.DEFAULT, layerCompressionLevel, log));
            Files.copy(lockFile.toPath(), archcore.resolve("packages.lock.json"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            ImageInfo.write(archcore.resolve("image.json"), new ImageInfo(result.reference(), result.manifestDigest(),
                    result.configDigest(), result.dockerArchive().toString(), result.ociLayout().toString()));
            project.getProperties().setProperty("archcore.image.reference", result.reference());
            project.getProperties().setProperty("archcore.image.digest", result.manifestDigest());
            getLog().info("Image " + result.reference() + " " + result.manifestDigest() + " (" + result.layers().size()
                    + " layers, " + result.packages().size() + " packages)");
        } catch (ImageBuildException | FetchException | ResolutionException | PacmanConfException
                 | Keyring.KeyringException | IllegalArgumentException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            throw new MojoExecutionException(e.getMessage(), e);
        }
    }

    private Path appPackage() throws MojoFailureException {
        if (packageFile != null) {
            return packageFile.toPath();
        }
        String built = project.getProperties().getProperty("archcore.pkgfile");
        if (built == null) {
            throw new MojoFailureException("archcore:image has no package: bind archcore:pkg before it in the same "
                    + "phase (it sets archcore.pkgfile), or set archcore.package to a .pkg.tar.* file.");
        }
        return Path.of(built);
    }

    private PacmanConf conf(List<String> targets) throws MojoFailureException {
        PacmanConf conf;
        if (pacmanConf.isFile()) {
            conf = PacmanConf.read(pacmanConf.toPath());
        } else if (targets.isEmpty()) {
            return PacmanConf.parse("[options]\n", "(no pacman.conf)", project.getBasedir().toPath());
        } else {
            throw new MojoFailureException(pacmanConf + " does not exist, but the package depends on " + targets
                    + ": add a pacman.conf naming the repositories (the archetype's is a start).");
        }
        if (snapshot != null && !snapshot.isBlank()) {
            try {
                conf = conf.withSnapshot(LocalDate.parse(snapshot.strip()));
            } catch (DateTimeParseException e) {
                throw new MojoFailureException("archcore.snapshot='" + snapshot + "' is not a date like 2026-01-31.");
            }
        }
        return conf;
    }

    private Keyring keyring() {
        if (keyring != null) {
            return keyring.isDirectory() ? Keyring.pacman(keyring.toPath(), keyringName) : Keyring.project(keyring.toPath());
        }
        return Keyring.system(keyringName).orElse(Keyring.EMPTY);
    }

    private ImageConfig config(PackageFile app) {
        List<String> entry = entrypoint;
        if (entry == null || entry.isEmpty()) {
            String binary = "usr/bin/" + app.name();
            entry = app.files().contains(binary) ? List.of("/" + binary) : List.of();
        }
        Map<String, String> env = new LinkedHashMap<>();
        List<String> exposed = new ArrayList<>();
        if (appPort != null && !appPort.isBlank()) {
            env.put("APP_PORT", appPort.strip());
            exposed.add(appPort.strip());
        }
        if (environment != null) {
            env.putAll(environment);
        }
        if (ports != null) {
            exposed.addAll(ports);
        }
        String source = project.getScm() != null && project.getScm().getUrl() != null ? project.getScm().getUrl()
                : project.getUrl();
        return new ImageConfig(entry, cmd, env, user, workingDirectory, exposed, labels, app.version(), revision(),
                source);
    }

    /** The commit being built, from git or Mercurial, for org.opencontainers.image.revision. */
    private String revision() {
        Path dir = project.getBasedir().toPath();
        for (List<String> command : List.of(List.of("git", "rev-parse", "HEAD"), List.of("hg", "identify", "-i", "--debug", "-r", "."))) {
            try {
                List<String> out = new ArrayList<>();
                if (Command.run(command, dir, Map.of(), out::add).ok() && !out.isEmpty()) {
                    return out.get(out.size() - 1).strip();
                }
            } catch (RuntimeException e) {
                // that VCS is not installed: try the next one
            }
        }
        return null;
    }
}
