package dev.archcore.maven;

import dev.archcore.image.ImageBuildException;
import dev.archcore.image.ImageBuilder;
import dev.archcore.image.ImageConfig;
import dev.archcore.image.ImageIndexWriter;
import dev.archcore.image.Recipe;
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
import dev.archcore.repo.TargetArch;
import dev.archcore.util.AtomicFiles;
import dev.archcore.util.CacheKey;
import dev.archcore.util.Command;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;

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
 * file. No Docker engine, no root. The docker-archive (classifier {@code image}, type {@code tar}) and the SBOM
 * (classifier {@code sbom}, type {@code spdx.json}) are attached to the project, so install and deploy publish them.
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

    /** The keyring's name in the keyring directory; defaults to the architecture's distribution's. */
    @Parameter(property = "archcore.keyringName")
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

    /** Defaults to the artifactId, and {@code <artifactId>-base} / {@code <artifactId>-builder} for the recipes. */
    @Parameter(property = "archcore.image.name")
    private String imageName;

    /**
     * What to build: {@code app} (the package archcore:pkg made and its dependencies, no base), {@code base} (Arch's
     * base image: the packages below, default {@code base}, with keyring, ca bundle, no host files) or
     * {@code builder} (a package-building toolbox: default {@code base base-devel}, a build user and makepkg.conf).
     */
    @Parameter(property = "archcore.recipe", defaultValue = "app")
    private String recipe;

    /** For the base and builder recipes: package and group names, as {@code pacman -S} takes them. */
    @Parameter(property = "archcore.image.packages")
    private List<String> packages;

    /**
     * The architectures: {@code x86_64} (Arch Linux), {@code i686} (Arch Linux 32), {@code aarch64} (Arch Linux
     * ARM); comma-separated for one multi-architecture image (an OCI index). Unset: pacman.conf's Architecture.
     * The same property sets archcore:pkg's CARCH.
     */
    @Parameter(property = "archcore.arch")
    private String arch;

    /** Defaults to the package version ({@code [epoch-]pkgver-pkgrel}), or the build date for the recipes. */
    @Parameter(property = "archcore.image.tag")
    private String imageTag;

    /** Defaults to the app's binary, {@code /usr/bin/<pkgname>}, when the package has it. */
    @Parameter
    private List<String> entrypoint;

    @Parameter
    private List<String> cmd;

    @Parameter
    private Map<String, String> environment;

    @Parameter(property = "archcore.image.user")
    private String user;

    @Parameter(property = "archcore.image.workingDirectory")
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

    /**
     * Attach the docker-archive (classifier {@code image}, type {@code tar}) and the SBOM (classifier {@code sbom},
     * type {@code spdx.json}) so install/deploy publish them; the recipes' are {@code base-image}/{@code base-sbom},
     * and a multi-architecture image's one pair per architecture ({@code image-i686}, {@code sbom-i686}).
     */
    @Parameter(property = "archcore.image.attach", defaultValue = "true")
    private boolean attach;

    @Parameter(property = "archcore.skip", defaultValue = "false")
    private boolean skip;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.image.skip", defaultValue = "false")
    boolean skipImage;

    @Parameter(defaultValue = "${project}", readonly = true)
    private MavenProject project;

    @Parameter(defaultValue = "${session}", readonly = true)
    private MavenSession session;

    @org.apache.maven.plugins.annotations.Component
    private org.apache.maven.settings.crypto.SettingsDecrypter settingsDecrypter;

    @Component
    private MavenProjectHelper projectHelper;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        String skipped = Skips.property(skip, skipImage, "image");
        if (skipped != null) {
            getLog().info(skipped + " is set: no image built");
            return;
        }
        renamedProperties();
        MavenLog log = new MavenLog(getLog());
        long timestamp = BuildTimestamp.epochSeconds(outputTimestamp, System.getenv());
        try {
            Recipe.Kind kind = recipeKind();
            PackageFile app = kind == Recipe.Kind.APP ? PackageReader.read(appPackage()) : null;
            List<TargetArch> archs = arch == null || arch.isBlank() ? null : TargetArch.list(arch);
            Recipe chosen = kind == Recipe.Kind.APP ? Recipe.APP : kind == Recipe.Kind.BASE
                    ? Recipe.base(keyringSeed(log)) : Recipe.builder(keyringSeed(log));
            if (archs != null && archs.size() > 1 && app != null && !app.values("arch").equals(List.of("any"))) {
                throw new MojoFailureException("archcore.arch=" + arch + " asks for a multi-architecture image, but "
                        + app.file().getFileName() + " is built for " + app.values("arch") + " only: build the app image "
                        + "for one architecture at a time, or use a package-list recipe (archcore.recipe=base|builder)");
            }
            String suffix = kind == Recipe.Kind.APP ? "" : "-" + chosen;
            String name = imageName != null && !imageName.isBlank() ? imageName : project.getArtifactId() + suffix;
            String tag = imageTag != null ? imageTag : app != null ? app.version().replace(':', '-')
                    : java.time.format.DateTimeFormatter.ofPattern("yyyy.MM.dd").withZone(java.time.ZoneOffset.UTC)
                    .format(java.time.Instant.ofEpochSecond(timestamp));
            Path out = buildDirectory.toPath();
            Path archcore = out.resolve("archcore");
            Path layoutDir = archcore.resolve(kind == Recipe.Kind.APP ? "image" : chosen + "-image");
            String archive = project.getArtifactId() + "-" + project.getVersion() + suffix + "-image";

            List<TargetArch> each = archs == null ? java.util.Collections.singletonList(null) : archs;
            boolean multi = each.size() > 1;
            Map<String, Path> layouts = new LinkedHashMap<>();
            ImageResult result = null;
            for (TargetArch a : each) {
                String label = a == null ? "" : "-" + a.pacmanArch();
                Path layout = multi ? layoutDir.resolveSibling(layoutDir.getFileName() + label) : layoutDir;
                result = buildOne(a, chosen, app, timestamp, name, tag, layout,
                        out.resolve(archive + (multi ? label : "") + ".tar"), lockFile(kind, a), log);
                layouts.put(a == null ? "" : a.pacmanArch(), layout);
                attach(layout.getFileName().toString(), result);
            }
            String digest = result.manifestDigest();
            String layout = result.ociLayout().toString();
            if (multi) {
                digest = ImageIndexWriter.write(layouts, layoutDir, tag);
                layout = layoutDir.toString();
                byte[] indexDigest = digest.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                AtomicFiles.write(archcore.resolve(layoutDir.getFileName() + ".digest"), o -> o.write(indexDigest));
                getLog().info("Image index " + name + ":" + tag + " " + digest + " (" + String.join(", ", layouts.keySet())
                        + "; one platform: " + layoutDir.getFileName() + ":" + tag + "-<arch>)");
            }
            ImageInfo info = new ImageInfo(name + ":" + tag, digest, result.configDigest(),
                    result.dockerArchive().toString(), layout);
            ImageInfo.write(archcore.resolve("image.json"), info);
            if (kind != Recipe.Kind.APP) {
                ImageInfo.write(archcore.resolve(chosen + "-image.json"), info);
            }
            project.getProperties().setProperty("archcore.image.reference", name + ":" + tag);
            project.getProperties().setProperty("archcore.image.digest", digest);
        } catch (ImageBuildException | FetchException | ResolutionException | PacmanConfException
                 | Keyring.KeyringException | IllegalArgumentException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            throw new MojoExecutionException(e.getMessage(), e);
        }
    }

    private ImageResult buildOne(TargetArch a, Recipe chosen, PackageFile app, long timestamp, String name, String tag,
                                 Path layout, Path archive, Path lock, MavenLog log) throws MojoFailureException, IOException {
        List<String> targets = new ArrayList<>();
        if (app != null) {
            targets.addAll(app.values("depend"));
        } else {
            targets.addAll(packages != null && !packages.isEmpty() ? packages
                    : chosen.kind() == Recipe.Kind.BUILDER ? List.of("base", "base-devel") : List.of("base"));
            String keyringPackage = (a != null ? a : TargetArch.of(PacmanConf.machineArchitecture())).keyringPackage();
            if (!targets.contains(keyringPackage)) {
                targets.add(keyringPackage);
            }
        }
        PacmanConf conf = conf(targets, a);
        if (a != null) {
            getLog().info("Architecture " + a.pacmanArch() + ": " + conf.source());
        }
        String keyName = keyringName != null ? keyringName : a != null ? a.keyringName() : "archlinux";
        // the keyring is only read when a signature is checked: not with SigLevel Never, nor with no packages
        DependencyClosure.Result closure = DependencyClosure.resolve(new ClosureRequest(conf, targets,
                Keyring.lazy(() -> keyring(keyName)), cacheDirectory.toPath(), lock, updateLock,
                session != null && session.isOffline(), log).proxies(session == null ? dev.archcore.util.HttpProxies.NONE
                : Secrets.proxies(session.getSettings(), settingsDecrypter)));
        List<ImagePackage> list = new ArrayList<>();
        for (PackageFetcher.Fetched f : closure.packages()) {
            // the fetcher has just checked the file against this sha256: the indexer need not hash it again; one
            // just downloaded is read from its download's descriptor, the bytes that were hashed
            boolean explicit = app == null && closure.explicit().contains(f.pkg().name());
            list.add(new ImagePackage(f.file(), explicit, f.pkg().repository(), List.of("sha256"), f.pkg().sha256())
                    .listedAs(new ImagePackage.Listed(f.pkg().name(), f.pkg().version(), f.pkg().value("ARCH")))
                    .readFrom(f.verified()));
        }
        if (app != null) {
            list.add(ImagePackage.app(app.file(), app.sha256()));
        }
        Path archcore = layout.getParent();
        String base = layout.getFileName().toString();
        ImageResult result;
        try {
            result = ImageBuilder.build(new ImageRequest(list, conf.noExtract(), config(app, chosen, tag),
                    timestamp, name, tag, layout, archive, archcore.resolve(base + ".spdx.json"),
                    archcore.resolve(base + ".digest"), cacheDirectory.toPath().resolve("layers"), Layering.DEFAULT,
                    layerCompressionLevel, log, chosen).forArch(a == null ? null : a.pacmanArch()));
        } finally {
            PackageFetcher.Fetched.close(closure.packages());
        }
        Files.copy(lock, archcore.resolve(base.replaceFirst("^image", "packages") + ".lock.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ImageInfo.write(archcore.resolve(base + ".json"), new ImageInfo(result.reference(), result.manifestDigest(),
                result.configDigest(), result.dockerArchive().toString(), result.ociLayout().toString()));
        getLog().info("Image " + result.reference() + " " + result.manifestDigest() + " (" + result.layers().size()
                + " layers, " + result.packages().size() + " packages" + (a == null ? "" : ", " + a.pacmanArch()) + ")");
        return result;
    }

    /**
     * The classifiers follow the layout's name (image, base-image, image-i686): the archive is already named
     * {@code <artifactId>-<version>-<classifier>.tar}, so the repository holds the same name as target/.
     */
    private void attach(String layoutName, ImageResult result) {
        if (!attach) {
            return;
        }
        if (result.dockerArchive() != null) {
            projectHelper.attachArtifact(project, "tar", layoutName, result.dockerArchive().toFile());
        }
        if (result.sbom() != null) {
            projectHelper.attachArtifact(project, "spdx.json", layoutName.replaceFirst("image", "sbom"),
                    result.sbom().toFile());
        }
    }

    private byte[] keyringSeed(MavenLog log) throws IOException {
        return KeyringSeed.get(CacheKey.userDirectory(), cacheDirectory.toPath(), System.getenv(), log);
    }

    private Recipe.Kind recipeKind() throws MojoFailureException {
        try {
            return Recipe.Kind.valueOf(recipe.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new MojoFailureException("archcore.recipe='" + recipe + "' is not a recipe: use app (the default: "
                    + "the package archcore:pkg built), base or builder");
        }
    }

    /**
     * packages.lock.json for the app in pacman.conf's architecture; otherwise one lock per recipe and architecture
     * (packages-base-i686.lock.json), since each resolves different packages.
     */
    private Path lockFile(Recipe.Kind kind, TargetArch a) {
        String file = lockFile.getName();
        String stem = file.endsWith(".lock.json") ? file.substring(0, file.length() - ".lock.json".length()) : file;
        String suffix = (kind == Recipe.Kind.APP ? "" : "-" + kind.name().toLowerCase(java.util.Locale.ROOT))
                + (a == null ? "" : "-" + a.pacmanArch());
        return suffix.isEmpty() ? lockFile.toPath() : lockFile.toPath().resolveSibling(stem + suffix + ".lock.json");
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

    /**
     * pacman.conf when it is for that architecture (or none was asked for), else {@code pacman-<arch>.conf} beside
     * it, else archcore's preset for the architecture's distribution.
     */
    private PacmanConf conf(List<String> targets, TargetArch a) throws MojoFailureException {
        PacmanConf conf;
        Path perArch = a == null ? null : pacmanConf.toPath().resolveSibling("pacman-" + a.pacmanArch() + ".conf");
        PacmanConf project = pacmanConf.isFile() ? PacmanConf.read(pacmanConf.toPath()) : null;
        if (project != null && (a == null || project.architectures().contains(a.pacmanArch()))) {
            conf = project;
        } else if (perArch != null && Files.isRegularFile(perArch)) {
            conf = PacmanConf.read(perArch);
        } else if (a != null) {
            conf = PacmanConf.preset(a.preset());
        } else if (targets.isEmpty()) {
            return PacmanConf.parse("[options]\n", "(no pacman.conf)", project().getBasedir().toPath());
        } else {
            throw new MojoFailureException(pacmanConf + " does not exist, but the image needs " + targets
                    + ": add a pacman.conf naming the repositories (the archetype's is a start).");
        }
        // unknown directives and the like: pacman would go on, so do we, but say so
        conf.warnings().forEach(getLog()::warn);
        if (snapshot != null && !snapshot.isBlank()) {
            try {
                conf = conf.withSnapshot(LocalDate.parse(snapshot.strip()));
            } catch (DateTimeParseException e) {
                throw new MojoFailureException("archcore.snapshot='" + snapshot + "' is not a date like 2026-01-31.");
            }
        }
        return conf;
    }

    private MavenProject project() {
        return project;
    }

    private Keyring keyring(String name) {
        if (keyring != null) {
            return keyring.isDirectory() ? Keyring.pacman(keyring.toPath(), name) : Keyring.project(keyring.toPath());
        }
        return Keyring.system(name).orElse(Keyring.EMPTY);
    }

    private ImageConfig config(PackageFile app, Recipe chosen, String tag) {
        if (app == null) {
            // as Arch's images: a shell; the builder works as its user in its home
            boolean builder = chosen.kind() == Recipe.Kind.BUILDER;
            return new ImageConfig(entrypoint, cmd != null && !cmd.isEmpty() ? cmd : List.of("/usr/bin/bash"),
                    environment, user != null ? user : builder ? "builder" : null,
                    workingDirectory != null ? workingDirectory : builder ? "/home/builder" : null, ports, labels, tag,
                    revision(), project.getUrl());
        }
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

    /** The names before the {@code archcore.image.*} scheme still work, with a warning. */
    private void renamedProperties() {
        String v;
        if ((v = RenamedProperties.value(session, project, "archcore.imageName", "archcore.image.name", getLog())) != null) {
            imageName = v;
        }
        if ((v = RenamedProperties.value(session, project, "archcore.imageTag", "archcore.image.tag", getLog())) != null) {
            imageTag = v;
        }
        if ((v = RenamedProperties.value(session, project, "archcore.imageUser", "archcore.image.user", getLog())) != null) {
            user = v;
        }
        if ((v = RenamedProperties.value(session, project, "archcore.workingDirectory",
                "archcore.image.workingDirectory", getLog())) != null) {
            workingDirectory = v;
        }
    }
}
