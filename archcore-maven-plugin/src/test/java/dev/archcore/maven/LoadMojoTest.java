package dev.archcore.maven;

import dev.archcore.image.ImageBuilder;
import dev.archcore.image.ImageConfig;
import dev.archcore.image.ImagePackage;
import dev.archcore.image.ImageRequest;
import dev.archcore.image.ImageResult;
import dev.archcore.testing.CraftedPackage;
import dev.archcore.testing.DockerDaemon;
import dev.archcore.testing.MojoFields;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.repository.internal.MavenRepositorySystemUtils;
import org.eclipse.aether.DefaultRepositorySystemSession;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.repository.LocalRepository;
import org.eclipse.aether.repository.RemoteRepository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * archcore:load with docker-java resolved by Maven's resolver when it loads (the plugin does not carry it): from the
 * local repository this build filled, offline, into the test dockerd; and offline without docker-java in the local
 * repository, an error that names the artifact and what to do.
 */
class LoadMojoTest {
    @TempDir
    Path tmp;

    /** The resolver Maven's own would be, over a local repository, offline (the session Maven passes with -o). */
    @SuppressWarnings("deprecation")
    private static RepositorySystem system() {
        return MavenRepositorySystemUtils.newServiceLocator().getService(RepositorySystem.class);
    }

    private static DefaultRepositorySystemSession offlineSession(RepositorySystem system, Path localRepository) {
        DefaultRepositorySystemSession session = MavenRepositorySystemUtils.newSession();
        session.setLocalRepositoryManager(system.newLocalRepositoryManager(session, new LocalRepository(localRepository.toFile())));
        session.setOffline(true);
        return session;
    }

    /** The local repository this build resolved its dependencies into (docker-java's jars among them). */
    private static Path buildsLocalRepository() {
        String set = System.getProperty("maven.repo.local");
        return set != null && !set.isBlank() ? Path.of(set) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    private LoadMojo mojo(Path target, Path localRepository) {
        RepositorySystem system = system();
        LoadMojo mojo = new LoadMojo();
        MojoFields.setAll(mojo, "buildDirectory", target.toFile(), "repositorySystem", system,
                "repositorySession", offlineSession(system, localRepository),
                "pluginRepositories", List.of(new RemoteRepository.Builder("central", "default",
                        "https://repo.maven.apache.org/maven2/").build()));
        return mojo;
    }

    private ImageResult image(Path target) throws Exception {
        Path pkg = new CraftedPackage("hello", "1-1").dir("etc/", 0755, 0, 0).file("etc/motd", "loaded\n", 0644, 0, 0)
                .write(tmp);
        ImageResult image = ImageBuilder.build(ImageRequest.of(List.of(ImagePackage.app(pkg)), ImageConfig.empty(),
                1_800_000_001L, "archcore/loadmojo", "t1", null, target.resolve("image.tar"), null, null));
        Files.createDirectories(target.resolve("archcore"));
        ImageInfo.write(target.resolve("archcore/image.json"), new ImageInfo(image.reference(), null, image.configDigest(),
                image.dockerArchive().toString(), null));
        return image;
    }

    @Test
    void loadsWithDockerJavaResolvedFromTheLocalRepositoryOffline() throws Exception {
        DockerDaemon docker = DockerDaemon.get();
        Path target = Files.createDirectories(tmp.resolve("target"));
        ImageResult image = image(target);
        LoadMojo mojo = mojo(target, buildsLocalRepository());
        MojoFields.set(mojo, "dockerHost", docker.host());
        mojo.execute();
        assertThat(docker.docker("image", "inspect", "--format", "{{.Id}}", "archcore/loadmojo:t1").ok("inspect").text().strip())
                .isEqualTo(image.configDigest());
    }

    @Test
    void offlineWithoutDockerJavaInTheLocalRepositorySaysWhatToDo() throws Exception {
        Path target = Files.createDirectories(tmp.resolve("target"));
        image(target);
        Path empty = Files.createDirectories(tmp.resolve("empty-repository"));
        LoadMojo mojo = mojo(target, empty);
        MojoFields.set(mojo, "dockerHost", "unix://" + tmp.resolve("unused.sock"));
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoExecutionException.class)
                .hasMessageContaining("archcore:load runs docker-java (com.github.docker-java:docker-java-core:3.7.1 and "
                        + "com.github.docker-java:docker-java-transport-zerodep:3.7.1, with its dependencies)")
                .hasMessageContaining("not in the local repository " + empty)
                .hasMessageContaining("Maven is offline")
                .hasMessageContaining("mvn dependency:get -Dartifact=com.github.docker-java:docker-java-core:3.7.1");
    }
}
