package dev.archcore.maven;

import dev.archcore.pacman.PackageRequest;
import dev.archcore.pacman.PackageSigner;
import dev.archcore.repo.RepoException;
import dev.archcore.repo.RepoWriter;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

import java.io.File;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Adds packages to a pacman repository folder, as {@code repo-add} does: writes {@code NAME.db.tar.gz} and
 * {@code NAME.files.tar.gz} (with the {@code NAME.db}/{@code NAME.files} links and optional signatures), copying
 * each package (and its {@code .sig}) into the folder. Without {@code packages} it adds the package that
 * {@code archcore:pkg} built in this build, so {@code mvn package archcore:repo -Darchcore.repository=DIR} works.
 */
@Mojo(name = "repo", threadSafe = true)
public class RepoMojo extends SigningMojo {

    /** The repository folder (pacman.conf's {@code Server = file:///...} or what a web server serves). */
    @Parameter(property = "archcore.repository", required = true)
    private File repository;

    /** The repository's name ({@code [NAME]} in pacman.conf); defaults to the folder's name. */
    @Parameter(property = "archcore.repositoryName")
    private String repositoryName;

    /** Package files to add; defaults to the package {@code archcore:pkg} built in this build. */
    @Parameter(property = "archcore.packages")
    private List<File> packages;

    /** The mtime of every database entry and the date of the signatures; {@code SOURCE_DATE_EPOCH} wins. */
    @Parameter(defaultValue = "${project.build.outputTimestamp}")
    private String outputTimestamp;

    @Parameter(property = "archcore.skip", defaultValue = "false")
    private boolean skip;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.repo.skip", defaultValue = "false")
    boolean skipRepo;

    @Parameter(defaultValue = "${project}", readonly = true)
    private MavenProject project;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        String skipped = Skips.property(skip, skipRepo, "repo");
        if (skipped != null) {
            getLog().info(skipped + " is set: repository not updated");
            return;
        }
        String repoName = repositoryName != null && !repositoryName.isBlank()
                ? repositoryName : repository.toPath().toAbsolutePath().normalize().getFileName().toString();
        try {
            RepoWriter writer = new RepoWriter(repository.toPath(), repoName,
                    BuildTimestamp.epochSeconds(outputTimestamp, System.getenv()))
                    .signer(signer())
                    .log(new MavenLog(getLog()));
            RepoWriter.Result result = writer.add(packageFiles());
            getLog().info("Repository [" + repoName + "] in " + writer.directory() + ": " + result.packageCount()
                    + " packages" + (result.signed() ? ", signed" : ""));
        } catch (RepoException | PackageSigner.SigningException | IllegalArgumentException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new MojoExecutionException(e.getMessage(), e);
        }
    }

    private List<Path> packageFiles() throws MojoFailureException {
        List<Path> files = new ArrayList<>();
        if (packages != null) {
            packages.forEach(f -> files.add(f.toPath()));
        }
        if (files.isEmpty()) {
            String built = project.getProperties().getProperty("archcore.pkgfile");
            if (built == null) {
                throw new MojoFailureException("archcore:repo has no package to add: run archcore:pkg in the same "
                        + "build (mvn package archcore:repo) or list the files in <packages>.");
            }
            files.add(Path.of(built));
        }
        return files;
    }

    /** Signs the databases ({@code NAME.db.tar.gz.sig}, as {@code repo-add --sign}) when archcore.sign is on. */
    private PackageSigner signer() throws MojoFailureException {
        PackageRequest.Signing s = signing();
        return s == null ? null : PackageSigner.fromSecretKeyring(s.keyring(), s.keyId(), s.passphrase());
    }
}
