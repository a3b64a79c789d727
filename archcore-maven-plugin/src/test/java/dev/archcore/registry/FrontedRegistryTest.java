package dev.archcore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.RegistryFront;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The real registry behind {@link RegistryFront}: Bearer tokens from a challenge (scopes, caching), the Docker
 * schema 2 fallback when OCI manifests are refused, and retries of 5xx/429 answers; skopeo reads the result
 * straight from the registry.
 */
class FrontedRegistryTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static RegistryServer registry;
    static Path layout;
    static String digest;

    @BeforeAll
    static void start() {
        registry = RegistryServer.plain(tmp.resolve("registry"));
        layout = tmp.resolve("image");
        digest = TestLayouts.write(layout, "1.0", List.of(RegistryClientTest.DEPS, RegistryClientTest.APP1));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static PushRequest request(RegistryFront front, String name, List<String> log) {
        return new PushRequest(layout, RegistryReference.parse(front.host() + "/" + name + ":1.0")).insecure(true)
                .log(RegistryClientTest.collector(log)).retries(Duration.ofSeconds(3), Duration.ofMillis(50));
    }

    static JsonNode raw(String name) throws IOException {
        return JSON.readTree(Tools.run(tmp, "skopeo", "inspect", "--raw", "--tls-verify=false",
                "docker://" + registry.host() + "/" + name + ":1.0").ok("skopeo inspect --raw").text());
    }

    static String inspectDigest(String name) throws IOException {
        return JSON.readTree(Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false",
                "docker://" + registry.host() + "/" + name + ":1.0").ok("skopeo inspect").text()).path("Digest").asText();
    }

    @Test
    void bearerTokenFromTheChallengeIsFetchedOnceWithTheRepositoryScope() throws IOException {
        try (RegistryFront front = new RegistryFront(registry.port).bearer("robot", "t0ken-secret")) {
            List<String> log = new ArrayList<>();
            PushResult result = RegistryClient.push(request(front, "archcore/bearer", log)
                    .credentials(new Credentials("robot", "t0ken-secret", "test")));
            assertThat(result.digest()).isEqualTo(digest);
            assertThat(front.tokensIssued.get()).isEqualTo(1);
            assertThat(front.tokenScopes).containsExactly("repository:archcore/bearer:pull,push");
            assertThat(String.join("\n", log)).doesNotContain("t0ken-secret").doesNotContain("tok-1");
        }
        assertThat(inspectDigest("archcore/bearer")).isEqualTo(digest);
    }

    @Test
    void aMountAsksForPullOnTheSourceRepositoryToo() {
        try (RegistryFront front = new RegistryFront(registry.port).bearer("robot", "pw")) {
            Credentials c = new Credentials("robot", "pw", "test");
            RegistryClient.push(request(front, "archcore/mount-src", new ArrayList<>()).credentials(c));
            front.tokenScopes.clear();
            PushResult result = RegistryClient.push(request(front, "archcore/mount-dst", new ArrayList<>()).credentials(c)
                    .mountFrom("archcore/mount-src"));
            assertThat(result.mounted()).isEqualTo(3);
            assertThat(front.tokenScopes).containsExactly("repository:archcore/mount-dst:pull,push", "repository:archcore/mount-src:pull");
        }
    }

    @Test
    void aWrongPasswordAtTheTokenServiceIsOneClearError() {
        try (RegistryFront front = new RegistryFront(registry.port).bearer("robot", "right")) {
            assertThatThrownBy(() -> RegistryClient.push(request(front, "archcore/bearer-wrong", new ArrayList<>())
                    .credentials(new Credentials("robot", "wr0ng-pass", "environment"))))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("authentication to " + front.host() + " failed")
                    .hasMessageContaining("user 'robot'")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wr0ng-pass"));
        }
    }

    @Test
    void aRegistryThatRefusesOciManifestsGetsDockerSchema2AndTheNewDigestIsReported() throws IOException {
        try (RegistryFront front = new RegistryFront(registry.port)) {
            front.rejectOciManifests = true;
            List<String> log = new ArrayList<>();
            PushResult result = RegistryClient.push(request(front, "archcore/docker-types", log));
            assertThat(result.mediaType()).isEqualTo(RegistryClient.DOCKER_MANIFEST);
            assertThat(result.digest()).isNotEqualTo(digest).startsWith("sha256:");
            assertThat(log).anyMatch(l -> l.startsWith("WARN ") && l.contains("Docker schema 2") && l.contains(result.digest()));
            assertThat(log.get(log.size() - 1)).contains("@" + result.digest());
            JsonNode raw = raw("archcore/docker-types");
            assertThat(raw.path("mediaType").asText()).isEqualTo(RegistryClient.DOCKER_MANIFEST);
            assertThat(raw.path("config").path("mediaType").asText()).isEqualTo(RegistryClient.DOCKER_CONFIG);
            assertThat(raw.path("layers").get(0).path("mediaType").asText()).isEqualTo(RegistryClient.DOCKER_LAYER);
            assertThat(inspectDigest("archcore/docker-types")).isEqualTo(result.digest());
        }
    }

    @Test
    void transient5xxAnd429AreRetriedWithBackoff() throws IOException {
        try (RegistryFront front = new RegistryFront(registry.port)) {
            List<String> log = new ArrayList<>();
            front.fail("HEAD /v2/archcore/retried/blobs/", 503, 2);
            PushResult result = RegistryClient.push(request(front, "archcore/retried", log));
            assertThat(result.digest()).isEqualTo(digest);
            assertThat(log).filteredOn(l -> l.startsWith("WARN HTTP 503")).hasSize(2);
            front.fail("PUT /v2/archcore/retried/manifests/", 429, 1);
            RegistryClient.push(request(front, "archcore/retried", log));
            assertThat(log).anyMatch(l -> l.startsWith("WARN HTTP 429"));
            front.fail("PUT /v2/archcore/retried-blob/blobs/uploads/", 502, 1);
            RegistryClient.push(request(front, "archcore/retried-blob", log));
            assertThat(log).anyMatch(l -> l.contains("HTTP 502") && l.contains("starting the upload again"));
        }
        assertThat(inspectDigest("archcore/retried-blob")).isEqualTo(digest);
    }

    /**
     * A chunk the registry took but whose answer was lost: the client asks where the upload stands (GET, answered
     * by the front as the spec says, see {@link RegistryFront#failAfterForward}) and goes on from the Range.
     */
    @Test
    void aChunkedUploadResumesFromTheRegistrysRange() throws IOException {
        try (RegistryFront front = new RegistryFront(registry.port)) {
            front.failAfterForward("PATCH /v2/archcore/range-resume/blobs/uploads/", 502, 1);
            List<String> log = new ArrayList<>();
            PushResult result = RegistryClient.push(request(front, "archcore/range-resume", log).chunking(256 << 10, 256 << 10));
            log.forEach(l -> System.out.println("  " + l));
            assertThat(result.digest()).isEqualTo(digest);
            assertThat(log).anyMatch(l -> l.startsWith("WARN HTTP 502") && l.contains("resuming"));
            assertThat(log).anyMatch(l -> l.matches("Resuming sha256:[0-9a-f]{12}… at byte 262144 of \\d+"));
            assertThat(log).noneMatch(l -> l.contains("starting the upload again"));
            // 1 MiB in 256 KiB chunks: 4 PATCHes for the first layer, none repeated
            assertThat(front.requests.stream().filter(r -> r.startsWith("PATCH")).count()).isEqualTo(4 + 1);
        }
        assertThat(inspectDigest("archcore/range-resume")).isEqualTo(digest);
    }

    @Test
    void aRegistryThatKeepsFailingGivesOneClearErrorWithinTheBudget() {
        try (RegistryFront front = new RegistryFront(registry.port)) {
            front.fail("/v2/", 500, 1000);
            long start = System.nanoTime();
            assertThatThrownBy(() -> RegistryClient.push(request(front, "archcore/down", new ArrayList<>())
                    .retries(Duration.ofSeconds(1), Duration.ofMillis(100))))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageContaining("giving up on " + front.host() + " after retrying")
                    .hasMessageContaining("HTTP 500");
            assertThat((System.nanoTime() - start) / 1e9).isLessThan(3);
        }
    }
}
