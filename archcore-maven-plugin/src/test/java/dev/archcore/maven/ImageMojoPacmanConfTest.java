package dev.archcore.maven;

import dev.archcore.testing.MojoFields;
import dev.archcore.testing.TestPackages;
import org.apache.maven.model.Model;
import org.apache.maven.monitor.logging.DefaultLog;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;
import org.codehaus.plexus.logging.AbstractLogger;
import org.codehaus.plexus.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What archcore:image says about the project's pacman.conf: its warnings reach the Maven log. */
class ImageMojoPacmanConfTest {
    @TempDir
    Path tmp;

    @Test
    void pacmanConfWarningsAreLogged() throws Exception {
        Path basedir = Files.createDirectories(tmp.resolve("project"));
        Files.writeString(basedir.resolve("pacman.conf"), "[options]\nArchitecture = x86_64\nFrobnicate = yes\nSigLevel = Never\n"
                + "\n[core]\nServer = file://" + tmp.resolve("no-such-repo") + "/$repo\n");
        Path app = TestPackages.write(TestPackages.Spec.of("hello", "1.0-1").depends("glibc"),
                Files.createDirectories(tmp.resolve("pkgdir")), tmp, 1_790_000_000L);
        Model model = new Model();
        model.setGroupId("com.example");
        model.setArtifactId("hello");
        model.setVersion("1.0");
        MavenProject project = new MavenProject(model);
        project.setFile(basedir.resolve("pom.xml").toFile());
        ImageMojo mojo = new ImageMojo();
        MojoFields.setAll(mojo, "project", project, "pacmanConf", basedir.resolve("pacman.conf").toFile(),
                "cacheDirectory", tmp.resolve("cache").toFile(), "lockFile", basedir.resolve("packages.lock.json").toFile(),
                "buildDirectory", basedir.resolve("target").toFile(), "outputTimestamp", "2026-09-21T00:00:00Z",
                "layerCompressionLevel", 6, "recipe", "app", "packageFile", app.toFile());
        List<String> warnings = new CopyOnWriteArrayList<>();
        mojo.setLog(new DefaultLog(new AbstractLogger(Logger.LEVEL_DEBUG, "test") {
            public void debug(String m, Throwable t) { }
            public void info(String m, Throwable t) { }
            public void warn(String m, Throwable t) { warnings.add(m); }
            public void error(String m, Throwable t) { }
            public void fatalError(String m, Throwable t) { }
            public Logger getChildLogger(String name) { return this; }
        }));

        // the repository does not exist: the build stops after reading pacman.conf
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class);
        assertThat(warnings).contains(basedir.resolve("pacman.conf") + " line 3: directive 'Frobnicate' in section 'options' "
                + "is not recognized; it is ignored.");
    }
}
