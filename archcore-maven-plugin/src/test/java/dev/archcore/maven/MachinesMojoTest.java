package dev.archcore.maven;

import dev.archcore.testing.MojoFields;
import org.apache.maven.model.Model;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 16, item 8: {@code mvn archcore:machines} outside a project runs in Maven's stub project
 * {@code standalone-pom} (no pom file), whose artifactId the defaults would turn into a unit and a PKI that are
 * nobody's. The goal names what to set instead of looking for {@code ~/.archcore/standalone-pom/pki}.
 */
class MachinesMojoTest {
    @TempDir
    Path tmp;

    /** As Maven evaluates the defaults in its stub project: artifactId standalone-pom, no pom file. */
    private MachinesMojo outsideAProject(Object... fields) throws Exception {
        Model model = new Model();
        model.setGroupId("org.apache.maven");
        model.setArtifactId("standalone-pom");
        model.setVersion("1");
        MachinesMojo mojo = new MachinesMojo();
        Path home = Path.of(System.getProperty("user.home"));
        MojoFields.setAll(mojo, "project", new MavenProject(model), "unitName", "standalone-pom.service",
                "pkiDirectory", home.resolve(".archcore/standalone-pom/pki").toFile(),
                "knownHosts", Files.createFile(tmp.resolve("known_hosts")).toFile(), "fleetSocket", "/var/run/fleet.sock",
                "etcdStart", "true", "etcdStop", "true", "registryStart", "true", "registryStop", "true");
        MojoFields.setAll(mojo, fields);
        return mojo;
    }

    @Test
    void withoutAProjectThePkiMustBeNamed() throws Exception {
        MachinesMojo mojo = outsideAProject("cluster", "core@127.0.0.1:" + closedPort());
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("outside a project")
                .hasMessageContaining("-Darchcore.pkiDirectory")
                .hasMessageContaining("-Darchcore.deploy.unitName")
                .hasMessageNotContaining("standalone-pom");
    }

    @Test
    void withThePkiNamedItGoesOnToTheClusterAndListsMachinesWithoutAUnit() throws Exception {
        Path pki = Files.createDirectories(tmp.resolve("pki"));
        MachinesMojo mojo = outsideAProject("cluster", "core@127.0.0.1:" + closedPort(), "pkiDirectory", pki.toFile());
        // past the project check: the next step, etcd's client certificate, is looked for in the PKI named
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining(pki.toString()).hasMessageNotContaining("outside a project");
        assertThat(unitName(mojo)).isNull();
    }

    @Test
    void aUnitNamedOutsideAProjectIsKept() throws Exception {
        MachinesMojo mojo = outsideAProject("cluster", "core@127.0.0.1:" + closedPort(), "etcdPlainHttp", true,
                "unitName", "shop.service");
        // plain-HTTP etcd needs no PKI: the goal reaches for the cluster (nothing listens there)
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageNotContaining("outside a project");
        assertThat(unitName(mojo)).isEqualTo("shop.service");
    }

    @Test
    void inAProjectTheDefaultsStand() throws Exception {
        Model model = new Model();
        model.setArtifactId("shop");
        MavenProject project = new MavenProject(model);
        project.setFile(tmp.resolve("pom.xml").toFile());
        MachinesMojo mojo = outsideAProject("cluster", "core@127.0.0.1:" + closedPort(), "project", project,
                "unitName", "shop.service", "pkiDirectory", tmp.resolve("no-pki").toFile());
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining(tmp.resolve("no-pki").toString()).hasMessageNotContaining("outside a project");
        assertThat(unitName(mojo)).isEqualTo("shop.service");
    }

    private static String unitName(MachinesMojo mojo) throws ReflectiveOperationException {
        var f = MachinesMojo.class.getDeclaredField("unitName");
        f.setAccessible(true);
        return (String) f.get(mojo);
    }

    private static int closedPort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
