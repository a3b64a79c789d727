package dev.archcore.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The real registry with htpasswd auth and TLS from its own CA: the CA file makes TLS work, credentials from
 * each source are used, and the failures (wrong password, unknown CA, no credentials) are one clear message
 * that never contains the password.
 */
class SecureRegistryTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static RegistryServer registry;
    static Path layout;
    static String digest;

    @BeforeAll
    static void start() {
        registry = RegistryServer.secure(tmp.resolve("registry"));
        layout = tmp.resolve("image");
        digest = TestLayouts.write(layout, "1.0", List.of(RegistryClientTest.DEPS, RegistryClientTest.APP1));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static PushRequest request(String name, Credentials credentials, List<String> log) {
        return new PushRequest(layout, RegistryReference.parse(registry.host() + "/" + name + ":1.0"))
                .caFile(registry.caFile).credentials(credentials).log(RegistryClientTest.collector(log))
                .retries(Duration.ofSeconds(3), Duration.ofMillis(100));
    }

    static String inspect(String name) throws IOException {
        String out = Tools.run(tmp, "skopeo", "inspect", "--cert-dir", registry.certDir.toString(),
                "--creds", RegistryServer.USER + ":" + RegistryServer.PASSWORD,
                "docker://" + registry.host() + "/" + name + ":1.0").ok("skopeo inspect").text();
        return JSON.readTree(out).path("Digest").asText();
    }

    static Credentials lookup(Map<String, String> env) {
        List<String> warnings = new ArrayList<>();
        Credentials c = Credentials.lookup(registry.host(), null, null, Map.of(), env, warnings);
        warnings.forEach(w -> System.out.println("  warning: " + w));
        return c;
    }

    @Test
    void explicitCredentialsAndTheCaFilePush() throws IOException {
        List<String> log = new ArrayList<>();
        PushResult result = RegistryClient.push(request("archcore/explicit",
                new Credentials(RegistryServer.USER, RegistryServer.PASSWORD, "test"), log));
        assertThat(result.digest()).isEqualTo(digest);
        assertThat(inspect("archcore/explicit")).isEqualTo(digest);
        assertThat(String.join("\n", log)).doesNotContain(RegistryServer.PASSWORD);
    }

    @Test
    void aWrongPasswordIsOneClearErrorWithoutThePassword() {
        String wrong = "not-the-Pa55word-xyz";
        assertThatThrownBy(() -> RegistryClient.push(request("archcore/wrong", new Credentials(RegistryServer.USER, wrong,
                "settings.xml server " + registry.host()), new ArrayList<>())))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("authentication to " + registry.host() + " failed")
                .hasMessageContaining("user '" + RegistryServer.USER + "'")
                .hasMessageContaining("settings.xml server")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong).doesNotContain(
                        Base64.getEncoder().encodeToString((RegistryServer.USER + ":" + wrong).getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void noCredentialsForAnAuthenticatingRegistryIsOneClearError() {
        assertThatThrownBy(() -> RegistryClient.push(request("archcore/anonymous", null, new ArrayList<>())))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("needs credentials")
                .hasMessageContaining("<id>" + registry.host() + "</id>");
    }

    @Test
    void anUnknownCaIsAClearErrorNamingTheCaOption() {
        assertThatThrownBy(() -> RegistryClient.push(request("archcore/unknown-ca",
                new Credentials(RegistryServer.USER, RegistryServer.PASSWORD, "test"), new ArrayList<>()).caFile(null)))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("is not trusted")
                .hasMessageContaining("archcore.registry.caFile")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(RegistryServer.PASSWORD));
    }

    @Test
    void credentialsFromDockerConfigAuths() throws IOException {
        Path dockerConfig = Files.createDirectories(tmp.resolve("docker-auths"));
        String auth = Base64.getEncoder().encodeToString((RegistryServer.USER + ":" + RegistryServer.PASSWORD).getBytes(StandardCharsets.UTF_8));
        Files.writeString(dockerConfig.resolve("config.json"), "{\"auths\":{\"https://" + registry.host() + "\":{\"auth\":\"" + auth + "\"},"
                + "\"other.example:5000\":{\"auth\":\"eDp5\"}}}");
        Credentials c = lookup(Map.of("DOCKER_CONFIG", dockerConfig.toString(), "PATH", "/usr/bin:/bin"));
        assertThat(c).isNotNull();
        assertThat(c.source()).endsWith("config.json auths");
        assertThat(c.toString()).doesNotContain(RegistryServer.PASSWORD);
        RegistryClient.push(request("archcore/docker-auths", c, new ArrayList<>()));
        assertThat(inspect("archcore/docker-auths")).isEqualTo(digest);
    }

    @Test
    void credentialsFromACredentialHelperOnThePath() throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("helper-bin"));
        Path seen = tmp.resolve("helper-saw");
        Path helper = bin.resolve("docker-credential-test");
        Files.writeString(helper, "#!/bin/bash\n[ \"$1\" = get ] || exit 1\nread -r registry\necho \"$registry\" > " + seen + "\n"
                + "printf '{\"ServerURL\":\"%s\",\"Username\":\"" + RegistryServer.USER + "\",\"Secret\":\"" + RegistryServer.PASSWORD
                + "\"}' \"$registry\"\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dockerConfig = Files.createDirectories(tmp.resolve("docker-helper"));
        Files.writeString(dockerConfig.resolve("config.json"), "{\"credHelpers\":{\"" + registry.host() + "\":\"test\"}}");
        Map<String, String> env = new HashMap<>(Map.of("DOCKER_CONFIG", dockerConfig.toString(), "PATH", bin + ":/usr/bin:/bin"));
        Credentials c = lookup(env);
        assertThat(c).isNotNull();
        assertThat(c.source()).isEqualTo("credential helper docker-credential-test");
        assertThat(Files.readString(seen).strip()).isEqualTo(registry.host());
        RegistryClient.push(request("archcore/cred-helper", c, new ArrayList<>()));
        assertThat(inspect("archcore/cred-helper")).isEqualTo(digest);

        // credsStore works the same way; a helper that is not on the PATH is a warning, not silence
        Files.writeString(dockerConfig.resolve("config.json"), "{\"credsStore\":\"test\"}");
        assertThat(lookup(env).source()).isEqualTo("credential helper docker-credential-test");
        env.put("PATH", "/usr/bin:/bin");
        List<String> warnings = new ArrayList<>();
        assertThat(Credentials.lookup(registry.host(), null, null, Map.of(), env, warnings)).isNull();
        assertThat(warnings).singleElement().asString().contains("docker-credential-test").contains("not on the PATH");
    }

    @Test
    void lookupOrderExplicitThenSettingsThenDockerThenEnvironment() throws IOException {
        Path dockerConfig = Files.createDirectories(tmp.resolve("docker-order"));
        String auth = Base64.getEncoder().encodeToString("docker:pw".getBytes(StandardCharsets.UTF_8));
        Files.writeString(dockerConfig.resolve("config.json"), "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth + "\"}}}");
        Map<String, String> env = Map.of("DOCKER_CONFIG", dockerConfig.toString(), Credentials.ENV_USERNAME, "env",
                Credentials.ENV_PASSWORD, "pw");
        Map<String, Credentials> servers = Map.of(registry.host(), new Credentials("settings", "pw", "x"));
        List<String> w = new ArrayList<>();
        assertThat(Credentials.lookup(registry.host(), "explicit", "pw", servers, env, w).username()).isEqualTo("explicit");
        assertThat(Credentials.lookup(registry.host(), null, null, servers, env, w).username()).isEqualTo("settings");
        assertThat(Credentials.lookup(registry.host(), null, null, Map.of(), env, w).username()).isEqualTo("docker");
        assertThat(Credentials.lookup("elsewhere:5000", null, null, Map.of(), env, w).username()).isEqualTo("env");
        assertThat(Credentials.lookup("elsewhere:5000", null, null, Map.of(), Map.of("HOME", tmp.toString()), w)).isNull();
    }

    @Test
    void credentialsFromTheEnvironmentPush() throws IOException {
        Credentials c = lookup(Map.of("HOME", tmp.toString(), Credentials.ENV_USERNAME, RegistryServer.USER,
                Credentials.ENV_PASSWORD, RegistryServer.PASSWORD));
        assertThat(c.source()).contains(Credentials.ENV_USERNAME);
        RegistryClient.push(request("archcore/env", c, new ArrayList<>()));
        assertThat(inspect("archcore/env")).isEqualTo(digest);
    }
}
