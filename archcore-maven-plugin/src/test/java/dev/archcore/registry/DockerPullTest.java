package dev.archcore.registry;

import dev.archcore.testing.DockerDaemon;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Docker engine pulls what we pushed and runs it. dockerd treats 127.0.0.0/8 registries as insecure by
 * default, so the test's private dockerd needs no --insecure-registry flag for the plain-HTTP registry.
 */
class DockerPullTest {
    @TempDir
    static Path tmp;

    @Test
    void dockerPullsAndRunsThePushedImage() {
        try (RegistryServer registry = RegistryServer.plain(tmp.resolve("registry"))) {
            Path layout = tmp.resolve("image");
            String digest = TestLayouts.write(layout, "1.0", List.of(TestLayouts.Layer.executable("usr/bin/busybox",
                    Path.of("/bin/busybox")), RegistryClientTest.APP1));
            String ref = registry.host() + "/archcore/runnable";
            PushResult result = RegistryClient.push(new PushRequest(layout, RegistryReference.parse(ref + ":1.0")).insecure(true));
            assertThat(result.digest()).isEqualTo(digest);

            DockerDaemon docker = DockerDaemon.get();
            String pulled = docker.docker("pull", ref + ":1.0").ok("docker pull").text();
            assertThat(pulled).contains(digest);
            String out = docker.docker("run", "--rm", "--network", "none", "--entrypoint", "/usr/bin/busybox", ref + ":1.0",
                    "echo", "hello from the registry").ok("docker run").text();
            assertThat(out.strip()).isEqualTo("hello from the registry");
            docker.docker("rmi", ref + ":1.0");
        }
    }
}
