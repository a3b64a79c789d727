package dev.archcore.maven;

import dev.archcore.testing.MojoFields;
import dev.archcore.testing.RecordingMavenLog;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Mojos' side of {@code archcore.deploy.target}: what is refused before any node is reached. The deploy itself
 * is SystemdDeployerTest's (three real systemd nodes) and it/projects/systemd-deploy's (mvn deploy).
 */
class SystemdTargetMojoTest {
    @TempDir
    Path tmp;
    final List<String> lines = new CopyOnWriteArrayList<>();

    DeployMojo deploy(Object... fields) {
        DeployMojo mojo = new DeployMojo();
        mojo.setLog(new RecordingMavenLog(lines));
        MojoFields.setAll(mojo, "buildDirectory", tmp.resolve("target").toFile(), "knownHosts",
                tmp.resolve("known_hosts").toFile(), "unit", tmp.resolve("units/demo.service").toFile(),
                "appPort", "8080", "timeoutSeconds", 5, "pollMillis", 50, "sshPort", 2222, "deployParallel", 4);
        MojoFields.setAll(mojo, fields);
        return mojo;
    }

    @Test
    void anUnknownTargetIsRefusedNamingBoth() {
        assertThatThrownBy(() -> deploy("deployTarget", "kubernetes").execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("archcore.deploy.target='kubernetes' is not a deploy target: use fleet")
                .hasMessageContaining("or systemd");
    }

    @Test
    void withoutAnImageNothingIsReached() {
        assertThatThrownBy(() -> deploy("deployTarget", "systemd", "deployNodes", "root@192.0.2.1:22").execute())
                .isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("no image to deploy: " + tmp.resolve("target/archcore/image.json") + " does not exist");
    }

    @Test
    void withoutNodesTheErrorSaysWhereTheyComeFrom() throws IOException {
        Path layout = imageJson();
        assertThatThrownBy(() -> deploy("deployTarget", "systemd").execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("archcore.deploy.target=systemd needs the nodes: list them in archcore.deploy.nodes")
                .hasMessageContaining(tmp.resolve("target/archcore/nodes.json").toString());
        assertThat(layout).exists();
    }

    @Test
    void aNodeListedTwiceIsRefusedBeforeAnyConnection() throws IOException {
        imageJson();
        assertThatThrownBy(() -> deploy("deployTarget", "systemd", "deployNodes", "192.0.2.1, core@192.0.2.1:2222")
                .execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("names the node 192.0.2.1:2222 twice");
    }

    @Test
    void pushPushesNothingForTheSystemdTarget() throws Exception {
        // no registry is set: with the fleet target this is an error
        PushMojo push = new PushMojo();
        push.setLog(new RecordingMavenLog(lines));
        MojoFields.setAll(push, "buildDirectory", tmp.resolve("target").toFile(), "deployTarget", "systemd");
        push.execute();
        assertThat(String.join("\n", lines)).contains("archcore.deploy.target=systemd: the nodes receive the image over "
                + "SSH from the OCI layout (archcore:deploy); nothing pushed");

        PushMojo fleet = new PushMojo();
        fleet.setLog(new RecordingMavenLog(lines));
        MojoFields.setAll(fleet, "buildDirectory", tmp.resolve("target").toFile(), "deployTarget", "fleet");
        assertThatThrownBy(fleet::execute).isInstanceOf(MojoFailureException.class).hasMessageContaining("needs the registry");
    }

    /** The archetype's app image and the image.json archcore:image leaves beside it. */
    private Path imageJson() throws IOException {
        dev.archcore.testing.AppImages.Built built = dev.archcore.testing.AppImages.build(tmp.resolve("app"), "demo", "1.0", 8080);
        Files.createDirectories(tmp.resolve("target/archcore"));
        Files.writeString(tmp.resolve("target/archcore/image.json"), "{\"reference\":\"demo:1.0-1\",\"manifestDigest\":\""
                + built.manifestDigest() + "\",\"configDigest\":null,\"dockerArchive\":null,\"ociLayout\":\""
                + built.layout() + "\"}");
        return built.layout();
    }
}
