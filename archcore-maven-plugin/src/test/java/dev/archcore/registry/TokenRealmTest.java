package dev.archcore.registry;

import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.TokenService;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where the registry's Bearer challenge sends the credentials: the real registry with token auth names a realm,
 * a token service listens there (127.0.0.2 is another host on the loopback network). An https realm on another
 * host gets them (Docker Hub's is auth.docker.io); a plain-HTTP realm only when the registry itself is plain HTTP
 * on the same host; anything else is refused before a byte goes to the realm.
 */
class TokenRealmTest {
    static final Credentials CREDENTIALS = new Credentials("robot", "Realm-s3cret", "test");

    @TempDir
    static Path tmp;
    static Path layout;
    static String digest;

    @BeforeAll
    static void image() {
        layout = tmp.resolve("image");
        digest = TestLayouts.write(layout, "1.0", List.of(RegistryClientTest.APP1));
    }

    static PushRequest request(RegistryServer registry, String name, RecordingLog log) {
        return new PushRequest(layout, RegistryReference.parse(registry.host() + "/" + name + ":1.0"))
                .insecure(!registry.secure).credentials(CREDENTIALS).log(log)
                .retries(Duration.ofSeconds(3), Duration.ofMillis(50));
    }

    @Test
    void aPlainHttpRealmOnAnotherHostGetsNoCredentialsFromAnHttpsRegistry() {
        try (TokenService hostile = TokenService.hostile(tmp.resolve("t1"), "127.0.0.2", false);
             RegistryServer registry = RegistryServer.token(tmp.resolve("r1"), true, hostile.realm(), hostile.rootCertBundle)) {
            assertThatThrownBy(() -> RegistryClient.push(request(registry, "archcore/r1", new RecordingLog()).caFile(registry.caFile)))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining(hostile.realm())
                    .hasMessageContaining("plain HTTP")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(CREDENTIALS.password()));
            assertThat(hostile.requests).isEmpty();
        }
    }

    @Test
    void aPlainHttpRealmOnTheRegistrysOwnHostGetsNoCredentialsWhenTheRegistryIsHttps() {
        try (TokenService hostile = TokenService.hostile(tmp.resolve("t2"), "127.0.0.1", false);
             RegistryServer registry = RegistryServer.token(tmp.resolve("r2"), true, hostile.realm(), hostile.rootCertBundle)) {
            assertThatThrownBy(() -> RegistryClient.push(request(registry, "archcore/r2", new RecordingLog()).caFile(registry.caFile)))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining(hostile.realm())
                    .hasMessageContaining("plain HTTP")
                    .hasMessageContaining("https");
            assertThat(hostile.requests).isEmpty();
        }
    }

    @Test
    void aPlainHttpRealmOnAnotherHostGetsNoCredentialsFromAPlainHttpRegistry() {
        try (TokenService hostile = TokenService.hostile(tmp.resolve("t3"), "127.0.0.2", false);
             RegistryServer registry = RegistryServer.token(tmp.resolve("r3"), false, hostile.realm(), hostile.rootCertBundle)) {
            assertThatThrownBy(() -> RegistryClient.push(request(registry, "archcore/r3", new RecordingLog())))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining(hostile.realm())
                    .hasMessageContaining("another host");
            assertThat(hostile.requests).isEmpty();
        }
    }

    @Test
    void anHttpsRealmOnAnotherHostGetsTheCredentialsAndThePushWorks() throws IOException {
        try (TokenService tokens = TokenService.real(tmp.resolve("t4"), "127.0.0.2", true, CREDENTIALS.username(), CREDENTIALS.password());
             RegistryServer registry = RegistryServer.token(tmp.resolve("r4"), true, tokens.realm(), tokens.rootCertBundle)) {
            Path cas = tmp.resolve("cas.pem");
            Files.writeString(cas, Files.readString(registry.caFile) + Files.readString(tokens.caFile));
            RecordingLog log = new RecordingLog();
            PushResult result = RegistryClient.push(request(registry, "archcore/r4", log).caFile(cas));
            assertThat(result.digest()).isEqualTo(digest);
            assertThat(tokens.authorizations()).isNotEmpty().allMatch(CREDENTIALS.basicHeader()::equals);
            assertThat(log.lines("DEBUG")).anyMatch(l -> l.contains("127.0.0.2:") && l.contains("robot"));
            assertThat(log.toString()).doesNotContain(CREDENTIALS.password());
        }
    }

    @Test
    void aPlainHttpRegistryMayUseAPlainRealmOnItsOwnHost() {
        try (TokenService tokens = TokenService.real(tmp.resolve("t5"), "127.0.0.1", false, CREDENTIALS.username(), CREDENTIALS.password());
             RegistryServer registry = RegistryServer.token(tmp.resolve("r5"), false, tokens.realm(), tokens.rootCertBundle)) {
            PushResult result = RegistryClient.push(request(registry, "archcore/r5", new RecordingLog()));
            assertThat(result.digest()).isEqualTo(digest);
            assertThat(tokens.authorizations()).isNotEmpty().allMatch(CREDENTIALS.basicHeader()::equals);
        }
    }
}
