package dev.archcore.maven;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.MojoFields;
import dev.archcore.testing.TestPackages;
import dev.archcore.testing.Tools;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.artifact.handler.manager.DefaultArtifactHandlerManager;
import org.apache.maven.model.Model;
import org.apache.maven.project.DefaultMavenProjectHelper;
import org.apache.maven.project.MavenProject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;

import static dev.archcore.testing.TestPackages.file;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, item 6: archcore:image attaches the docker-archive and the SBOM to the project (through Maven's own
 * project helper), so install and deploy publish them as {@code <artifactId>-<version>-image.tar} and
 * {@code -sbom.spdx.json}, as fabric8's docker:save can.
 */
class ImageMojoAttachTest {
    @TempDir
    Path tmp;

    private MavenProject build(boolean attach) throws Exception {
        Path basedir = Files.createDirectories(tmp.resolve("project"));
        Path pkgdir = tmp.resolve("pkgdir");
        file(pkgdir, "usr/bin/hello", "#!/bin/sh\necho hello\n", "rwxr-xr-x");
        // no dependencies and no pacman.conf: the image is the app package alone, built from local files only
        Path app = TestPackages.write(TestPackages.Spec.of("hello", "1.0-1"), pkgdir, tmp, 1_790_000_000L);
        Model model = new Model();
        model.setGroupId("com.example");
        model.setArtifactId("hello");
        model.setVersion("1.0");
        MavenProject project = new MavenProject(model);
        project.setFile(basedir.resolve("pom.xml").toFile());
        DefaultArtifactHandlerManager handlers = new DefaultArtifactHandlerManager();
        MojoFields.set(handlers, "artifactHandlers", new HashMap<>());
        // the project's own artifact, as Maven creates it: attached artifacts take its coordinates
        project.setArtifact(new org.apache.maven.artifact.DefaultArtifact("com.example", "hello", "1.0", null, "pom",
                null, handlers.getArtifactHandler("pom")));
        DefaultMavenProjectHelper helper = new DefaultMavenProjectHelper();
        MojoFields.set(helper, "artifactHandlerManager", handlers);
        ImageMojo mojo = new ImageMojo();
        MojoFields.setAll(mojo, "project", project, "projectHelper", helper, "attach", attach,
                "pacmanConf", basedir.resolve("pacman.conf").toFile(), "cacheDirectory", tmp.resolve("cache").toFile(),
                "lockFile", basedir.resolve("packages.lock.json").toFile(), "buildDirectory",
                basedir.resolve("target").toFile(), "outputTimestamp", "2026-09-21T00:00:00Z",
                "layerCompressionLevel", 1, "recipe", "app", "packageFile", app.toFile());
        mojo.execute();
        return project;
    }

    @Test
    void theDockerArchiveAndTheSbomAreAttached() throws Exception {
        MavenProject project = build(true);
        List<Artifact> attached = project.getAttachedArtifacts();
        assertThat(attached).extracting(Artifact::getClassifier, Artifact::getType,
                a -> a.getArtifactHandler().getExtension()).containsExactly(
                org.assertj.core.groups.Tuple.tuple("image", "tar", "tar"),
                org.assertj.core.groups.Tuple.tuple("sbom", "spdx.json", "spdx.json"));
        Path target = tmp.resolve("project/target");
        Artifact image = attached.get(0);
        Artifact sbom = attached.get(1);
        assertThat(image.getFile().toPath()).isEqualTo(target.resolve("hello-1.0-image.tar"));
        // what the local repository's layout will name them: the same names as in target/
        assertThat(image.getArtifactId() + "-" + image.getVersion() + "-" + image.getClassifier() + "."
                + image.getArtifactHandler().getExtension()).isEqualTo("hello-1.0-image.tar");
        assertThat(sbom.getArtifactId() + "-" + sbom.getVersion() + "-" + sbom.getClassifier() + "."
                + sbom.getArtifactHandler().getExtension()).isEqualTo("hello-1.0-sbom.spdx.json");
        // the archive is one skopeo reads, the SBOM an SPDX document listing the app package
        Tools.require("skopeo");
        JsonNode config = new ObjectMapper().readTree(Tools.run(tmp, "skopeo", "inspect", "--config",
                "docker-archive:" + image.getFile()).ok("skopeo inspect docker-archive").text());
        assertThat(config.path("config").path("Entrypoint").get(0).asText()).isEqualTo("/usr/bin/hello");
        JsonNode spdx = new ObjectMapper().readTree(sbom.getFile());
        assertThat(spdx.path("spdxVersion").asText()).startsWith("SPDX-2");
        assertThat(spdx.path("packages").findValuesAsText("name")).contains("hello");
    }

    @Test
    void attachFalseAttachesNothing() throws Exception {
        MavenProject project = build(false);
        assertThat(project.getAttachedArtifacts()).isEmpty();
        assertThat(tmp.resolve("project/target/hello-1.0-image.tar")).exists();
    }
}
