package dev.archcore.maven;

import dev.archcore.registry.Credentials;
import org.apache.maven.settings.building.SettingsProblem;
import org.apache.maven.settings.Proxy;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.settings.crypto.DefaultSettingsDecrypter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sonatype.plexus.components.cipher.DefaultPlexusCipher;
import org.sonatype.plexus.components.sec.dispatcher.DefaultSecDispatcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The settings.xml server of a registry is found by host[:port] and its password decrypted; a secret that cannot
 * be decrypted (Maven's own decrypter with a settings-security.xml, as {@code mvn --encrypt-password} makes them)
 * fails naming the server instead of passing the {@code {...}} text on as the password.
 */
class SecretsTest {
    @TempDir
    Path tmp;

    /** Maven's decrypter with a settings-security.xml holding {@code master},. */
    private SettingsDecrypter realDecrypter(String master) throws Exception {
        DefaultPlexusCipher cipher = new DefaultPlexusCipher();
        Path security = tmp.resolve("settings-security.xml");
        Files.writeString(security, "<settingsSecurity>\n  <master>" + cipher.encryptAndDecorate(master, "settings.security")
                + "</master>\n</settingsSecurity>\n");
        return new DefaultSettingsDecrypter(new DefaultSecDispatcher(cipher, Map.of(), security.toString()));
    }

    private static Settings settings(String id, String encryptedPassword) {
        Settings settings = new Settings();
        Server server = new Server();
        server.setId(id);
        server.setUsername("deployer");
        server.setPassword(encryptedPassword);
        server.setPassphrase(encryptedPassword);
        settings.addServer(server);
        return settings;
    }

    @Test
    void anEncryptedPasswordIsDecryptedWithTheMasterPassword() throws Exception {
        String encrypted = new DefaultPlexusCipher().encryptAndDecorate("pl4in-Password", "the-master");
        Settings settings = settings("registry.example.com:5000", encrypted);

        Credentials c = Secrets.server(settings, realDecrypter("the-master"), "registry.example.com:5000");
        assertThat(c.password()).isEqualTo("pl4in-Password");
    }

    @Test
    void aPasswordThatCannotBeDecryptedFailsNamingTheServer() throws Exception {
        // encrypted under another master password than settings-security.xml holds
        String encrypted = new DefaultPlexusCipher().encryptAndDecorate("pl4in-Password", "another-master");
        Settings settings = settings("registry.example.com:5000", encrypted);
        SettingsDecrypter decrypter = realDecrypter("the-master");

        assertThatThrownBy(() -> Secrets.server(settings, decrypter, "registry.example.com:5000"))
                .isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("cannot decrypt the secrets of settings.xml server 'registry.example.com:5000'")
                .hasMessageContaining("settings-security.xml");
        assertThatThrownBy(() -> Secrets.sshKey(settings, decrypter, "registry.example.com:5000"))
                .isInstanceOf(MojoFailureException.class).hasMessageContaining("'registry.example.com:5000'");
        assertThatThrownBy(() -> Secrets.password(settings, decrypter, "registry.example.com:5000", "NO_SUCH_VARIABLE"))
                .isInstanceOf(MojoFailureException.class).hasMessageContaining("'registry.example.com:5000'");
    }

    @Test
    void serverCredentialsAreDecrypted() throws Exception {
        Settings settings = new Settings();
        Server server = new Server();
        server.setId("registry.example.com:5000");
        server.setUsername("deployer");
        server.setPassword("{encrypted}");
        settings.addServer(server);
        SettingsDecrypter decrypter = request -> {
            Server decrypted = request.getServers().get(0).clone();
            decrypted.setPassword("plain-password");
            return new SettingsDecryptionResult() {
                @Override
                public Server getServer() {
                    return decrypted;
                }

                @Override
                public List<Server> getServers() {
                    return List.of(decrypted);
                }

                @Override
                public Proxy getProxy() {
                    return null;
                }

                @Override
                public List<Proxy> getProxies() {
                    return List.of();
                }

                @Override
                public List<SettingsProblem> getProblems() {
                    return List.of();
                }
            };
        };
        Credentials c = Secrets.server(settings, decrypter, "registry.example.com:5000");
        assertThat(c.username()).isEqualTo("deployer");
        assertThat(c.password()).isEqualTo("plain-password");
        assertThat(c.source()).isEqualTo("settings.xml server registry.example.com:5000");
        assertThat(c.toString()).doesNotContain("plain-password");
        assertThat(Secrets.server(settings, decrypter, "other:5000")).isNull();
    }
}
