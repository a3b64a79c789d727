package dev.archcore.maven;

import dev.archcore.image.ImageBuildException;
import dev.archcore.image.IsolatedDockerLoader;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.repository.RemoteRepository;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads the image archcore:image built into the Docker engine at {@code DOCKER_HOST} (what {@code docker load}
 * does), tagged as built, and checks the engine now has that exact image. docker-java is resolved (Maven's resolver,
 * the build's repositories) only here, not carried by the plugin: see {@link DockerJavaClasspath}.
 */
@Mojo(name = "load", threadSafe = true)
public class LoadMojo extends AbstractMojo {

    /** The engine; defaults to {@code DOCKER_HOST}, else the local socket. */
    @Parameter(property = "archcore.dockerHost")
    private String dockerHost;

    @Parameter(defaultValue = "${project.build.directory}", readonly = true)
    private File buildDirectory;

    @Parameter(property = "archcore.skip", defaultValue = "false")
    private boolean skip;

    /** Skips this goal only ({@code archcore.skip} skips every archcore goal). */
    @Parameter(property = "archcore.load.skip", defaultValue = "false")
    boolean skipLoad;

    @Component
    private RepositorySystem repositorySystem;

    @Parameter(defaultValue = "${repositorySystemSession}", readonly = true)
    private RepositorySystemSession repositorySession;

    @Parameter(defaultValue = "${project.remotePluginRepositories}", readonly = true)
    private List<RemoteRepository> pluginRepositories;

    @Parameter(defaultValue = "${plugin}", readonly = true)
    private PluginDescriptor plugin;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        String skipped = Skips.property(skip, skipLoad, "load");
        if (skipped != null) {
            getLog().info(skipped + " is set: nothing loaded");
            return;
        }
        Path infoFile = buildDirectory.toPath().resolve("archcore/image.json");
        ImageInfo info;
        try {
            info = ImageInfo.read(infoFile);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot read " + infoFile + ": " + e.getMessage(), e);
        }
        if (info == null) {
            throw new MojoFailureException("no image to load: " + infoFile + " does not exist. Build one first, "
                    + "e.g. mvn package archcore:load (archcore:image runs in package).");
        }
        List<Artifact> realm = plugin == null ? List.of() : plugin.getArtifacts();
        List<Path> dockerJava = DockerJavaClasspath.resolve(repositorySystem, repositorySession, pluginRepositories, realm);
        try {
            String id = IsolatedDockerLoader.load(dockerJava, Path.of(info.dockerArchive()), info.reference(),
                    info.configDigest(), dockerHost, new MavenLog(getLog()));
            getLog().info("Loaded " + info.reference() + " (" + id + ")");
        } catch (ImageBuildException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
    }
}
