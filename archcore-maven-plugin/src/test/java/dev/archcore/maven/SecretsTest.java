package dev.archcore.maven;

import dev.archcore.registry.Credentials;
import org.apache.maven.settings.building.SettingsProblem;
import org.apache.maven.settings.Proxy;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The settings.xml server of a registry is found by host[:port] and its password decrypted. */
class SecretsTest {
    @Test
    void serverCredentialsAreDecrypted() {
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
