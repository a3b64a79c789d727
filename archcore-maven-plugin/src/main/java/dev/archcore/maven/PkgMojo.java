package dev.archcore.maven;

import dev.archcore.pacman.BuiltPackage;
import dev.archcore.pacman.Compression;
import dev.archcore.pacman.PackageBuildException;
import dev.archcore.pacman.PackageBuilder;
import dev.archcore.pacman.PackageRequest;
import dev.archcore.repo.PacmanConf;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;

import java.io.File;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Builds the project's PKGBUILD into a pacman package, as makepkg would, without makepkg, fakeroot or an Arch
 * host, and attaches it to the project (type {@code pkg.tar.zst}).
 */
@Mojo(name = "pkg", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class PkgMojo extends SigningMojo {

    /** The PKGBUILD to build; its directory is makepkg's {@code $startdir}. */
    @Parameter(property = "archcore.pkgbuild", defaultValue = "${project.basedir}/PKGBUILD")
    private File pkgbuild;

    /** Target architecture ({@code CARCH}); defaults to the build machine's (x86_64, i686 or aarch64). */
    @Parameter(property = "archcore.arch")
    private String arch;

    /** {@code zst} (default), {@code xz}, {@code gz} or {@code none}. */
    @Parameter(property = "archcore.compression", defaultValue = "zst")
    private String compression;

    /** Compression level; defaults to the tool's own default (zstd 3, xz 6, gzip 6). */
    @Parameter(property = "archcore.compressionLevel")
    private Integer compressionLevel;

    /** Recorded as the packager; defaults to {@code $PACKAGER}, else "Unknown Packager" as makepkg does. */
    @Parameter(property = "archcore.packager")
    private String packager;

    /** Where the package is written. */
    @Parameter(property = "archcore.outputDirectory", defaultValue = "${project.build.directory}")
    private File outputDirectory;

    /** Holds {@code src/} and {@code pkg/}, makepkg's {@code $srcdir} and {@code $pkgdir}. */
    @Parameter(defaultValue = "${project.build.directory}/archcore/build")
    private File buildDirectory;

    /** The one timestamp of every entry; {@code SOURCE_DATE_EPOCH} in the environment takes precedence. */
    @Parameter(defaultValue = "${project.build.outputTimestamp}")
    private String outputTimestamp;

    /** Attach the package to the project so install/deploy handle it. */
    @Parameter(property = "archcore.attach", defaultValue = "true")
    private boolean attach;

    @Parameter(property = "archcore.skip", defaultValue = "false")
    private boolean skip;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.pkg.skip", defaultValue = "false")
    boolean skipPkg;

    @Parameter(defaultValue = "${project}", readonly = true)
    private MavenProject project;

    @Component
    private MavenProjectHelper projectHelper;


    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        String skipped = Skips.property(skip, skipPkg, "pkg");
        if (skipped != null) {
            getLog().info(skipped + " is set: no package built");
            return;
        }
        if (arch != null && arch.contains(",")) {
            // archcore:image takes a list (one multi-architecture image); a package is built for one CARCH
            throw new MojoFailureException("archcore.arch=" + arch + " names several architectures, but archcore:pkg "
                    + "builds one package for one CARCH: build the app once per architecture (-Darchcore.arch=i686), "
                    + "or use the list only with archcore:image -Darchcore.recipe=base|builder");
        }
        Map<String, String> env = System.getenv();
        PackageRequest request = new PackageRequest(pkgbuild.toPath(), buildDirectory.toPath(),
                outputDirectory.toPath(), arch != null ? arch : PacmanConf.machineArchitecture(), parseCompression(),
                compressionLevel != null ? compressionLevel : parseCompression().defaultLevel(),
                BuildTimestamp.epochSeconds(outputTimestamp, env),
                packager != null ? packager : env.getOrDefault("PACKAGER", "Unknown Packager"),
                signing(), Map.of("ARCHCORE_PROJECT_VERSION", project.getVersion()),
                "archcore " + pluginVersion(), new MavenLog(getLog()));
        BuiltPackage built;
        try {
            built = PackageBuilder.build(request);
        } catch (PackageBuildException | IllegalArgumentException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new MojoExecutionException(e.getMessage(), e);
        }
        getLog().info("Package: " + built.file());
        project.getProperties().setProperty("archcore.pkgfile", built.file().toString());
        project.getProperties().setProperty("archcore.pkgver", built.metadata().version());
        if (attach) {
            String type = built.file().getFileName().toString().replaceFirst("^.*\\.(pkg\\.tar.*)$", "$1");
            projectHelper.attachArtifact(project, type, null, built.file().toFile());
            if (built.signature() != null) {
                projectHelper.attachArtifact(project, type + ".sig", null, built.signature().toFile());
            }
        }
    }

    private Compression parseCompression() throws MojoFailureException {
        try {
            return Compression.parse(compression);
        } catch (IllegalArgumentException e) {
            throw new MojoFailureException("archcore.compression: " + e.getMessage());
        }
    }

    private String pluginVersion() {
        String v = getClass().getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }
}
