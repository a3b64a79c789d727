package dev.archcore.image;

import dev.archcore.testing.CraftedPackage;
import dev.archcore.testing.DockerDaemon;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** docker-java loads the docker-archive into the test dockerd; with no engine the error says so. */
class DockerLoaderTest {
    @TempDir
    Path tmp;

    private ImageResult image() {
        Path pkg = new CraftedPackage("hello", "1-1").dir("etc/", 0755, 0, 0).file("etc/motd", "hello\n", 0644, 0, 0).write(tmp);
        return ImageBuilder.build(ImageRequest.of(List.of(ImagePackage.app(pkg)), ImageConfig.empty(), 1_800_000_000L,
                "archcore/loader", "t1", null, tmp.resolve("image.tar"), null, null));
    }

    @Test
    void loadsTheArchiveAndChecksTheImageId() {
        DockerDaemon docker = DockerDaemon.get();
        ImageResult image = image();
        List<String> log = new ArrayList<>();
        String id = DockerLoader.load(image.dockerArchive(), image.reference(), image.configDigest(), docker.host(),
                ImageBuilderTest.collector(log));
        assertThat(id).isEqualTo(image.configDigest());
        assertThat(docker.docker("image", "inspect", "--format", "{{.Id}}", "archcore/loader:t1").ok("inspect").text().strip())
                .isEqualTo(image.configDigest());
        assertThat(log).anyMatch(l -> l.contains("Loaded image: archcore/loader:t1"));
    }

    @Test
    void noEngineIsAClearError() {
        ImageResult image = image();
        String host = "unix://" + tmp.resolve("no-engine.sock");
        assertThatThrownBy(() -> DockerLoader.load(image.dockerArchive(), image.reference(), null, host, null))
                .isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("no Docker engine answers at " + host);
    }
}
