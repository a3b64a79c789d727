package dev.archcore.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The loader takes docker-java only from the jars it is given, never from the caller's class path (which here, the
 * tests' class path, has docker-java; the plugin's realm does not): with no jars, DockerLoader cannot link.
 */
class IsolatedDockerLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void dockerJavaComesOnlyFromTheGivenJars() {
        assertThatThrownBy(() -> IsolatedDockerLoader.load(List.of(), tmp.resolve("image.tar"), "archcore/x:1", null,
                "unix://" + tmp.resolve("no.sock"), null))
                .isInstanceOf(NoClassDefFoundError.class)
                .hasMessageContaining("com/github/dockerjava/");
    }
}
