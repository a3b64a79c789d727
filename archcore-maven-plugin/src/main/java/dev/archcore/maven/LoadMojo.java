package dev.archcore.maven;

import dev.archcore.image.DockerLoader;
import dev.archcore.image.ImageBuildException;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Loads the image archcore:image built into the Docker engine at {@code DOCKER_HOST} (what {@code docker load}
 * does), tagged as built, and checks the engine now has that exact image.
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
        try {
            String id = DockerLoader.load(Path.of(info.dockerArchive()), info.reference(), info.configDigest(),
                    dockerHost, new MavenLog(getLog()));
            getLog().info("Loaded " + info.reference() + " (" + id + ")");
        } catch (ImageBuildException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
    }
}
