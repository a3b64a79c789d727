package dev.archcore.maven;

import dev.archcore.provision.TestCluster;
import dev.archcore.testing.Tools;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** archcore:iso on the archetype's templates: the node files of every host, and clear failures. */
class IsoMojoTest {
    @TempDir
    Path tmp;

    IsoMojo mojo(Object... fields) throws Exception {
        IsoMojo mojo = new IsoMojo();
        Path key = TestCluster.sshKey(tmp.resolve("ssh"), "id_ed25519");
        Object[] defaults = {"registryTemplate", TestCluster.TEMPLATES.resolve("user_data.registry.yaml").toFile(),
                "workerTemplate", TestCluster.TEMPLATES.resolve("user_data.slave.yaml").toFile(),
                "registryHostname", "registry", "workers", List.of("slave,worker-2"), "sshPort", "2222", "etcdPort", "2479",
                "registryPort", "5443", "appPort", "8080", "registryIp", "192.0.2.10", "appName", "demo",
                "sshPublicKeys", List.of(key.toFile()), "pkiDirectory", tmp.resolve("pki").toFile(),
                "registryUser", "archcore", "outputDirectory", tmp.resolve("target/archcore").toFile(),
                "outputTimestamp", "2026-01-01T00:00:00Z", "values", TestCluster.PINS};
        dev.archcore.testing.MojoFields.setAll(mojo, defaults);
        dev.archcore.testing.MojoFields.setAll(mojo, fields);
        return mojo;
    }

    @Test
    void writesTheNodeFilesOfEveryHost() throws Exception {
        mojo().execute();
        Path dir = tmp.resolve("target/archcore/cloud-config");
        for (String host : List.of("registry", "slave", "worker-2")) {
            assertThat(Files.readString(dir.resolve(host + ".yaml"))).startsWith("#cloud-config\n").contains("hostname: " + host);
            assertThat(Files.readString(dir.resolve(host + ".ign"))).startsWith("{\"ignition\":{\"version\":\"3.3.0\"}");
        }
        // each ISO holds exactly the rendered user data, as the real isoinfo reads it back
        for (String host : List.of("registry", "slave", "worker-2")) {
            Path iso = tmp.resolve("target/archcore/iso/" + host + "-config.iso");
            String userData = Tools.run(tmp, "isoinfo", "-R", "-i", iso.toString(), "-x", "/openstack/latest/user_data")
                    .ok("isoinfo").text();
            assertThat(userData).isEqualTo(Files.readString(dir.resolve(host + ".yaml")));
            assertThat(Tools.run(tmp, "isoinfo", "-R", "-i", iso.toString(), "-x", "/openstack/latest/meta_data.json")
                    .ok("isoinfo").text()).contains("\"hostname\":\"" + host + "\"", "ssh-ed25519 ");
        }
        assertThat(Files.getPosixFilePermissions(tmp.resolve("target/archcore/iso/registry-config.iso")))
                .as("no private key in the master's ISO").isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        // the default registry is $REGISTRY_IP:$REGISTRY_PORT
        assertThat(Files.readString(dir.resolve("slave.yaml"))).contains("/etc/docker/certs.d/192.0.2.10:5443/ca.crt");
    }

    /** The seed's {@code $DESCRIPTION}: the pom's description on one line, else the app's name; {@code <values>} win. */
    @Test
    void descriptionIsAPlaceholder() throws Exception {
        Path template = tmp.resolve("user_data.slave.yaml");
        Files.writeString(template, Files.readString(TestCluster.TEMPLATES.resolve("user_data.slave.yaml"))
                .replace("      ARCHCORE_APP=$APP_NAME\n", "      ARCHCORE_APP=$APP_NAME\n      ARCHCORE_DESCRIPTION=$DESCRIPTION\n"));
        Path slave = tmp.resolve("target/archcore/cloud-config/slave.yaml");
        mojo("workerTemplate", template.toFile(), "description", "  A shop\n    for tests ").execute();
        assertThat(slave).content().contains("\n      ARCHCORE_DESCRIPTION=A shop for tests\n");
        mojo("workerTemplate", template.toFile()).execute();
        assertThat(slave).content().contains("\n      ARCHCORE_DESCRIPTION=demo\n");
        mojo("workerTemplate", template.toFile(), "description", "A shop", "values", java.util.Map.of("DESCRIPTION", "mine", "FLEET_HASH", TestCluster.FLEET_HASH))
                .execute();
        assertThat(slave).content().contains("\n      ARCHCORE_DESCRIPTION=mine\n");
    }

    @Test
    void aLooseningFailsTheBuildUnlessAllowedByName() throws Exception {
        Path template = tmp.resolve("user_data.slave.yaml");
        Files.writeString(template, Files.readString(TestCluster.TEMPLATES.resolve("user_data.slave.yaml"))
                .replace("PermitRootLogin no", "PermitRootLogin yes"));
        assertThatThrownBy(() -> mojo("workerTemplate", template.toFile()).execute())
                .isInstanceOf(MojoFailureException.class).hasMessageContaining("archcore.allowRootLogin=true");
        mojo("workerTemplate", template.toFile(), "allowRootLogin", true).execute();
        assertThat(tmp.resolve("target/archcore/cloud-config/slave.yaml")).content().contains("PermitRootLogin yes");
    }

    @Test
    void skipAndMissingValuesAreClear() throws Exception {
        mojo("skip", true, "outputDirectory", new File(tmp.toFile(), "skipped")).execute();
        assertThat(tmp.resolve("skipped")).doesNotExist();
        assertThatThrownBy(() -> mojo("registryIp", null).execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("$REGISTRY_IP has no value").hasMessageContaining("archcore.registryIp");
    }

    @Test
    void aBadRegistryIpIsNamedBeforeThePkiSeesIt() {
        for (String ip : List.of("300.1.2.3", "192.0.2", "registry.example.com", "fe80::1::2")) {
            assertThatThrownBy(() -> mojo("registryIp", ip).execute()).as(ip).isInstanceOf(MojoFailureException.class)
                    .hasMessageStartingWith("property archcore.registryIp: $REGISTRY_IP = '" + ip + "' is not an IP address")
                    .hasMessageNotContaining("IP Address is invalid");
        }
        assertThat(tmp.resolve("pki")).doesNotExist();
    }

    @Test
    void aBadRegistryAddressIsNamedBeforeThePkiSeesIt() {
        assertThatThrownBy(() -> mojo("registry", "192.0.2.256:5443").execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("'192.0.2.256'").hasMessageContaining("archcore.registry")
                .hasMessageNotContaining("IP Address is invalid");
    }

    @Test
    void aBadRegistryHostnameIsNamedAsSuch() {
        assertThatThrownBy(() -> mojo("registryHostname", "Registry_1").execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("property archcore.registryHostname: 'Registry_1' is not a host name")
                .hasMessageNotContaining("archcore.workers");
        assertThatThrownBy(() -> mojo("workers", List.of("slave,Bad_Worker")).execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("property archcore.workers: 'Bad_Worker' is not a host name");
    }

    @Test
    void sshPort22IsALooseningToAllowByName() throws Exception {
        assertThatThrownBy(() -> mojo("sshPort", "22").execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("the SSH port ($SSH_PORT, archcore.sshPort) is 22")
                .hasMessageContaining("archcore.allowSshPort22=true");
        mojo("sshPort", "22", "allowSshPort22", true).execute();
        assertThat(tmp.resolve("target/archcore/cloud-config/registry.yaml")).content().contains("ListenStream=22");
    }
}
