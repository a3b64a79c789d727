package dev.archcore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.TcpProxy;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RegistryClient} against the real distribution registry (plain HTTP here), judged by skopeo: what we
 * pushed is what skopeo sees and pulls back; a second push after an app-only change sends only the new blobs;
 * a connection broken mid-upload is resumed; a registry that is down gives one clear error.
 */
class RegistryClientTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final TestLayouts.Layer BASE = new TestLayouts.Layer("usr/lib/base.bin", 3 << 20, 1);
    static final TestLayouts.Layer DEPS = new TestLayouts.Layer("usr/lib/deps.bin", 1 << 20, 2);
    static final TestLayouts.Layer APP1 = new TestLayouts.Layer("usr/bin/app", 200 << 10, 3);
    static final TestLayouts.Layer APP2 = new TestLayouts.Layer("usr/bin/app", 210 << 10, 4);

    @TempDir
    static Path tmp;
    static RegistryServer registry;
    static Path v1;
    static Path v2;
    static String v1Digest;
    static String v2Digest;

    @BeforeAll
    static void start() {
        registry = RegistryServer.plain(tmp.resolve("registry"));
        v1 = tmp.resolve("v1");
        v2 = tmp.resolve("v2");
        v1Digest = TestLayouts.write(v1, "1.0", List.of(BASE, DEPS, APP1));
        v2Digest = TestLayouts.write(v2, "1.1", List.of(BASE, DEPS, APP2));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static Log collector(List<String> lines) {
        return new Log() {
            // blobs go up on several threads
            @Override
            public void info(String message) {
                synchronized (lines) {
                    lines.add(message);
                }
            }

            @Override
            public void warn(String message) {
                synchronized (lines) {
                    lines.add("WARN " + message);
                }
            }
        };
    }

    static PushRequest request(Path layout, String reference, List<String> log) {
        return new PushRequest(layout, RegistryReference.parse(reference)).insecure(true).log(collector(log))
                .retries(Duration.ofSeconds(10), Duration.ofMillis(100));
    }

    static String inspectDigest(String reference) throws IOException {
        String out = Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false", "docker://" + reference).ok("skopeo inspect").text();
        return JSON.readTree(out).path("Digest").asText();
    }

    /**
     * Issue 16: the real plain-HTTP registry reached over TLS (insecure not set) answered with the JDK's bare
     * "Unsupported or unrecognized SSL message"; the error says the registry speaks plain HTTP and names the property.
     */
    @Test
    void aPlainHttpRegistryWithoutInsecureSaysSoAndNamesTheProperty() {
        List<String> log = new ArrayList<>();
        PushRequest tls = new PushRequest(v1, RegistryReference.parse(registry.host() + "/archcore/plain:1.0"))
                .log(collector(log)).retries(Duration.ofSeconds(3), Duration.ofMillis(100));
        assertThatThrownBy(() -> RegistryClient.push(tls)).isInstanceOf(RegistryException.class)
                .hasMessageContaining(registry.host() + " answered plain HTTP")
                .hasMessageContaining("archcore.registry.insecure=true");
    }

    @Test
    void pushedImageIsWhatSkopeoSeesAndPullsBack() throws IOException {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        String ref = registry.host() + "/archcore/pull-back:1.0,latest";
        long start = System.nanoTime();
        PushResult result = RegistryClient.push(request(v1, ref, log).image("1.0"));
        System.out.printf("push of the test image (%d blobs, %s): %.2f s%n", result.sent(),
                RegistryClient.size(result.bytesSent()), (System.nanoTime() - start) / 1e9);
        log.forEach(l -> System.out.println("  " + l));

        assertThat(result.digest()).isEqualTo(v1Digest);
        assertThat(result.sent()).isEqualTo(4);
        assertThat(result.skipped()).isZero();
        assertThat(inspectDigest(registry.host() + "/archcore/pull-back:1.0")).isEqualTo(v1Digest);
        assertThat(inspectDigest(registry.host() + "/archcore/pull-back:latest")).isEqualTo(v1Digest);
        assertThat(log).anyMatch(l -> l.matches("Uploading sha256:[0-9a-f]{12}… \\(3\\.0 MB\\) to 127\\.0\\.0\\.1:\\d+/archcore/pull-back"));
        assertThat(log.get(log.size() - 1)).contains("4 blobs sent", "0 skipped", "0 mounted");

        Path back = tmp.resolve("pulled");
        Tools.run(tmp, "skopeo", "copy", "--src-tls-verify=false", "docker://" + registry.host() + "/archcore/pull-back:1.0",
                "oci:" + back + ":1.0").ok("skopeo copy");
        assertThat(blobs(back)).isEqualTo(blobs(v1));
        for (String hex : blobs(v1)) {
            assertThat(Files.readAllBytes(back.resolve("blobs/sha256/" + hex))).isEqualTo(Files.readAllBytes(v1.resolve("blobs/sha256/" + hex)));
        }
    }

    @Test
    void secondPushAfterAnAppChangeSendsOnlyTheNewLayerConfigAndManifest() throws IOException {
        String repo = registry.host() + "/archcore/incremental";
        RegistryClient.push(request(v1, repo + ":1.0", new ArrayList<>()));
        try (TcpProxy proxy = new TcpProxy(registry.port)) {
            List<String> log = new ArrayList<>();
            String viaProxy = "127.0.0.1:" + proxy.port() + "/archcore/incremental:1.1";
            PushResult result = RegistryClient.push(request(v2, viaProxy, log));
            log.forEach(l -> System.out.println("  " + l));
            assertThat(result.digest()).isEqualTo(v2Digest);
            assertThat(result.sent()).isEqualTo(2); // the app layer and the config
            assertThat(result.skipped()).isEqualTo(2); // base and deps
            long appAndConfig = Files.size(OciLayout.blob(v2, result.missing().get(0))) + Files.size(OciLayout.blob(v2, result.missing().get(1)));
            assertThat(result.bytesSent()).isEqualTo(appAndConfig);
            // on the wire: those bytes plus headers and the manifest, far less than the 4 MB of shared layers
            assertThat(proxy.clientBytes.get()).isBetween(appAndConfig, appAndConfig + 64 * 1024);
            assertThat(log).noneMatch(l -> l.contains("(3.0 MB)") || l.contains("(1.0 MB)"));
        }
        assertThat(inspectDigest(repo + ":1.1")).isEqualTo(v2Digest);
        assertThat(inspectDigest(repo + ":1.0")).isEqualTo(v1Digest);

        // nothing changed: only HEADs and the manifest
        PushResult again = RegistryClient.push(request(v2, repo + ":1.1", new ArrayList<>()));
        assertThat(again.sent()).isZero();
        assertThat(again.skipped()).isEqualTo(4);
    }

    @Test
    void largeBlobsReportProgressAndParallelUploadsGiveTheSameImage() throws IOException {
        Path big = tmp.resolve("big");
        String digest = TestLayouts.write(big, "1.0", List.of(new TestLayouts.Layer("usr/lib/big.bin", 40 << 20, 5),
                BASE, DEPS, APP1));
        List<String> serial = new ArrayList<>();
        PushResult one = RegistryClient.push(request(big, registry.host() + "/archcore/serial:1.0", serial).parallelUploads(1));
        List<String> parallel = new ArrayList<>();
        PushResult four = RegistryClient.push(request(big, registry.host() + "/archcore/parallel:1.0", parallel).parallelUploads(4));
        parallel.forEach(l -> System.out.println("  " + l));

        assertThat(one.digest()).isEqualTo(digest).isEqualTo(four.digest());
        assertThat(four.sent()).isEqualTo(one.sent()).isEqualTo(5);
        assertThat(four.bytesSent()).isEqualTo(one.bytesSent());
        assertThat(inspectDigest(registry.host() + "/archcore/parallel:1.0")).isEqualTo(digest);
        for (List<String> log : List.of(serial, parallel)) {
            // Maven's transfer style: start, quarters of the large blob only, end with size and rate
            assertThat(log.stream().filter(l -> l.startsWith("Progress sha256:")).map(l -> l.replaceAll(".*\\((\\d+)%\\)$", "$1")))
                    .containsExactly("25", "50", "75");
            assertThat(log.stream().filter(l -> l.matches("Uploaded sha256:[0-9a-f]{12}… \\([0-9.]+ [kM]?B at [0-9.]+ [kM]?B/s\\)")))
                    .hasSize(5);
        }
    }

    @Test
    void crossRepositoryMountSendsNoLayerBytes() throws IOException {
        String host = registry.host();
        RegistryClient.push(request(v1, host + "/archcore/mount-source:1.0", new ArrayList<>()));
        List<String> log = new ArrayList<>();
        PushResult result = RegistryClient.push(request(v1, host + "/archcore/mount-target:1.0", log).mountFrom("archcore/mount-source"));
        assertThat(result.mounted()).isEqualTo(4);
        assertThat(result.sent()).isZero();
        assertThat(result.bytesSent()).isZero();
        assertThat(log).anyMatch(l -> l.startsWith("Mounted sha256:"));
        assertThat(inspectDigest(host + "/archcore/mount-target:1.0")).isEqualTo(v1Digest);
    }

    @Test
    void dryRunReportsMissingBlobsAndSendsNothing() throws IOException {
        List<String> log = new ArrayList<>();
        PushResult result = RegistryClient.push(request(v1, registry.host() + "/archcore/dry:1.0", log).dryRun(true));
        assertThat(result.dryRun()).isTrue();
        assertThat(result.missing()).hasSize(4);
        long total = 0;
        for (String d : result.missing()) {
            total += Files.size(OciLayout.blob(v1, d));
        }
        assertThat(result.bytesSent()).isEqualTo(total);
        assertThat(log.get(log.size() - 1)).startsWith("Dry run: 4 of 4 blobs missing").contains("nothing pushed");
        Tools.Output inspect = Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false", "docker://" + registry.host() + "/archcore/dry:1.0");
        assertThat(inspect.exitCode()).isNotZero();
    }

    /**
     * The client asks the registry where the upload stands (GET, {@code Range}) and resumes from there. Distribution
     * keeps the bytes of a broken PATCH but then finds its upload state token stale and cancels the session (404),
     * so against it the blob is uploaded again from the start; either way the push completes with the same digest.
     */
    @Test
    void aConnectionBrokenMidChunkedUploadIsRecoveredAndThePushCompletes() throws IOException {
        try (TcpProxy proxy = new TcpProxy(registry.port)) {
            proxy.dropOnceAfter(1_500_000); // in the middle of the 3 MB base layer
            List<String> log = new ArrayList<>();
            String ref = "127.0.0.1:" + proxy.port() + "/archcore/resumed:1.0";
            PushResult result = RegistryClient.push(request(v1, ref, log).chunking(512 << 10, 512 << 10));
            log.forEach(l -> System.out.println("  " + l));
            assertThat(proxy.dropped).isTrue();
            assertThat(result.digest()).isEqualTo(v1Digest);
            assertThat(log).anyMatch(l -> l.startsWith("WARN ") && l.contains("during a chunk of sha256:"));
            assertThat(log).anyMatch(l -> l.startsWith("Resuming sha256:") || l.contains("starting the upload again"));
            // at most the broken blob once more
            assertThat(proxy.clientBytes.get()).isLessThan(result.bytesSent() + (3 << 20) + (256 << 10));
        }
        assertThat(inspectDigest(registry.host() + "/archcore/resumed:1.0")).isEqualTo(v1Digest);
        Path back = tmp.resolve("resumed-back");
        Tools.run(tmp, "skopeo", "copy", "--src-tls-verify=false", "docker://" + registry.host() + "/archcore/resumed:1.0",
                "oci:" + back + ":1.0").ok("skopeo copy");
        assertThat(blobs(back)).isEqualTo(blobs(v1));
    }

    @Test
    void aMonolithicUploadBrokenOnceIsStartedAgain() throws IOException {
        try (TcpProxy proxy = new TcpProxy(registry.port)) {
            proxy.dropOnceAfter(1_500_000);
            List<String> log = new ArrayList<>();
            PushResult result = RegistryClient.push(request(v1, "127.0.0.1:" + proxy.port() + "/archcore/restarted:1.0", log));
            assertThat(proxy.dropped).isTrue();
            assertThat(result.digest()).isEqualTo(v1Digest);
            assertThat(log).anyMatch(l -> l.startsWith("WARN ") && l.contains("starting the upload again"));
        }
        assertThat(inspectDigest(registry.host() + "/archcore/restarted:1.0")).isEqualTo(v1Digest);
    }

    @Test
    void aRegistryThatIsDownGivesOneClearError() throws IOException {
        int port = RegistryServer.freePort();
        List<String> log = new ArrayList<>();
        long start = System.nanoTime();
        assertThatThrownBy(() -> RegistryClient.push(new PushRequest(v1, RegistryReference.parse("127.0.0.1:" + port + "/archcore/x:1"))
                .insecure(true).log(collector(log)).retries(Duration.ofSeconds(2), Duration.ofMillis(200))))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("giving up on 127.0.0.1:" + port)
                .hasMessageContaining("connection refused")
                .hasMessageContaining("is the registry running at http://127.0.0.1:" + port);
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(5);
        assertThat(log).anyMatch(l -> l.contains("retrying in"));
    }

    static List<String> blobs(Path layout) throws IOException {
        try (Stream<Path> s = Files.list(layout.resolve("blobs/sha256"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
