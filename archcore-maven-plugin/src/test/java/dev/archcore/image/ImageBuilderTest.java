package dev.archcore.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.DockerDaemon;
import dev.archcore.testing.FileTree;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The image engine judged by real tools: umoci unpacks the OCI layout into exactly what pacman -U installs
 * from the same package files, pacman -Q/-Qkk accept the unpacked root, skopeo reads both outputs, dockerd
 * loads the archive and runs it (busybox and the app's HTTP server), and builds are reproducible and cached.
 */
class ImageBuilderTest {
    static final long BUILD_TIME = 1_800_000_000L;
    static final String NAME = "archcore/test-app";
    static final String TAG = "1.0";

    @TempDir
    static Path tmp;
    static TestClosure closure;
    static ImageResult first;
    static Path layout;
    static Path archive;
    static List<String> log = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void buildOnce() {
        Tools.require("umoci", "skopeo", "pacman");
        closure = TestClosure.make(tmp);
        layout = tmp.resolve("out/oci");
        archive = tmp.resolve("out/image.tar");
        long start = System.nanoTime();
        first = ImageBuilder.build(request(closure.packages(), tmp.resolve("cache-1"), layout, archive, collector(log)));
        System.out.printf("first build: %.2f s%n", (System.nanoTime() - start) / 1e9);
        log.forEach(l -> System.out.println("  " + l));
    }

    static ImageRequest request(List<ImagePackage> packages, Path cache, Path oci, Path tar, Log log) {
        ImageConfig config = new ImageConfig(List.of("/usr/bin/app-server"), List.of(), Map.of("APP_PORT", "8080"),
                "app", "/var/lib/app", List.of("8080"), Map.of("org.example.team", "tests"), "1.0", "abc123",
                "https://example.invalid/demo");
        return new ImageRequest(packages, TestClosure.NO_EXTRACT, config, BUILD_TIME, NAME, TAG, oci, tar,
                oci == null ? null : oci.resolveSibling("sbom.spdx.json"), oci == null ? null : oci.resolveSibling("image.digest"),
                cache, Layering.DEFAULT, 6, log);
    }

    static Log collector(List<String> lines) {
        return new Log() {
            @Override
            public void info(String message) {
                lines.add(message);
            }

            @Override
            public void warn(String message) {
                lines.add("WARN " + message);
            }
        };
    }

    @Test
    void unpackedImageHasExactlyTheFilesPacmanInstalls() throws IOException {
        Path bundle = tmp.resolve("bundle");
        Tools.run(tmp, "umoci", "unpack", "--image", layout + ":" + TAG, bundle.toString()).ok("umoci unpack");
        Path rootfs = bundle.resolve("rootfs");

        Path reference = tmp.resolve("pacman-root");
        Path conf = pacmanConf(tmp.resolve("pacman.conf"));
        List<String> install = new ArrayList<>(List.of("pacman", "--root", reference.toString(), "--dbpath",
                reference.resolve("var/lib/pacman").toString(), "--cachedir", reference.resolve("var/cache/pacman/pkg").toString(),
                "--config", conf.toString(), "--noconfirm", "--noprogressbar", "--noscriptlet", "--nodeps", "--nodeps", "-U"));
        Files.createDirectories(reference.resolve("var/lib/pacman"));
        // two transactions, so the dependencies are recorded as such (REASON 1) and the app as explicit
        List<String> deps = new ArrayList<>(install);
        deps.add("--asdeps");
        closure.files().stream().filter(f -> !f.equals(closure.app)).forEach(f -> deps.add(f.toString()));
        Tools.run(tmp, Map.of(), deps).ok("pacman -U --asdeps");
        install.add(closure.app.toString());
        Tools.run(tmp, Map.of(), install).ok("pacman -U");

        Set<String> generated = Set.of("etc/passwd", "etc/group", "etc/shadow", "etc/os-release");
        Set<String> pacmanOwn = Set.of("var/log", "var/cache");
        Map<String, String> image = FileTree.describe(rootfs, generated);
        Map<String, String> pacman = FileTree.describe(reference, pacmanOwn);
        assertThat(image).isEqualTo(pacman);
        assertThat(image).containsEntry("usr/bin/suidtool", "file 4755 0:0 size=10 links=1")
                .containsEntry("usr/bin/sgidtool", "file 2755 0:50 size=10 links=1")
                .containsEntry("srv/data", "dir 750 1000:1000")
                .containsEntry("usr/bin/hl-b", "file 755 0:0 size=27 links=2")
                .containsEntry("bin", "link 777 0:0 -> usr/bin")
                .containsKey("usr/share/doc/keep/KEEP")
                .doesNotContainKey("usr/share/doc/basefs/README");

        // the local database: byte for byte what pacman wrote, but INSTALLDATE (the build date, for reproducibility)
        try (Stream<Path> db = Files.walk(reference.resolve("var/lib/pacman/local"))) {
            for (Path p : db.filter(Files::isRegularFile).toList()) {
                String rel = reference.relativize(p).toString();
                if (rel.endsWith("/mtree")) {
                    assertThat(Files.readAllBytes(rootfs.resolve(rel))).as(rel).isEqualTo(Files.readAllBytes(p));
                } else {
                    String ours = Files.readString(rootfs.resolve(rel)).replaceAll("%INSTALLDATE%\n\\d+", "%INSTALLDATE%\nX");
                    String theirs = Files.readString(p).replaceAll("%INSTALLDATE%\n\\d+", "%INSTALLDATE%\nX");
                    assertThat(ours).as(rel).isEqualTo(theirs);
                }
            }
        }

        String query = Tools.run(tmp, "pacman", "--root", rootfs.toString(), "--dbpath", rootfs.resolve("var/lib/pacman").toString(),
                "--config", conf.toString(), "-Q").ok("pacman -Q").text();
        assertThat(query.lines()).containsExactly("basefs 2026.1-1", "busybox 1.35.0-4", "demo-app 1.0-1", "owners 1.0-1");
        Tools.Output check = Tools.run(tmp, "pacman", "--root", rootfs.toString(), "--dbpath",
                rootfs.resolve("var/lib/pacman").toString(), "--config", conf.toString(), "-Qkk");
        assertThat(check.text()).as(check.text()).doesNotContain("warning").doesNotContain("error");
        assertThat(check.text().lines().filter(l -> l.contains(" 0 altered files"))).hasSize(4);
        assertThat(check.exitCode()).isZero();
        String explicit = Tools.run(tmp, "pacman", "--root", rootfs.toString(), "--dbpath", rootfs.resolve("var/lib/pacman").toString(),
                "--config", conf.toString(), "-Qe").ok("pacman -Qe").text();
        assertThat(explicit.lines()).containsExactly("demo-app 1.0-1");

        assertThat(Files.readString(rootfs.resolve("etc/passwd"))).contains("root:x:0:0:Super User:/root:/usr/bin/sh\n")
                .contains("app:x:998:998:archcore demo app:/var/lib/app:/usr/bin/nologin\n")
                .contains("nobody:x:65534:65534:Kernel Overflow User:/:/usr/bin/nologin\n");
        assertThat(Files.readString(rootfs.resolve("etc/shadow"))).containsPattern("(?m)^root:!:20833::::::$").containsPattern("(?m)^app:!\\*:");
        assertThat(Files.readString(rootfs.resolve("etc/group"))).contains("wheel:x:999:").contains("app:x:998:");
        assertThat(Files.readString(rootfs.resolve("etc/os-release"))).contains("ID=archcore").contains("x86_64");
    }

    static Path pacmanConf(Path conf) throws IOException {
        Files.writeString(conf, "[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\nNoExtract = "
                + String.join(" ", TestClosure.NO_EXTRACT) + "\n");
        return conf;
    }

    @Test
    void skopeoReadsTheLayoutAndTheArchive() throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode oci = json.readTree(Tools.run(tmp, "skopeo", "inspect", "oci:" + layout + ":" + TAG).ok("skopeo inspect oci").text());
        assertThat(oci.get("Digest").asText()).isEqualTo(first.manifestDigest());
        assertThat(oci.get("Architecture").asText()).isEqualTo("amd64");
        assertThat(oci.get("Layers")).hasSize(first.layers().size());
        assertThat(oci.get("Labels").get("dev.archcore.image.packages").asText())
                .isEqualTo("basefs=2026.1-1 busybox=1.35.0-4 owners=1.0-1 demo-app=1.0-1");
        assertThat(oci.get("Labels").get("org.opencontainers.image.revision").asText()).isEqualTo("abc123");
        JsonNode tar = json.readTree(Tools.run(tmp, "skopeo", "inspect", "docker-archive:" + archive).ok("skopeo inspect docker-archive").text());
        assertThat(tar.get("Layers")).hasSize(first.layers().size());
        assertThat(tar.get("Labels")).isEqualTo(oci.get("Labels"));
        assertThat(Files.readString(layout.resolveSibling("image.digest"))).isEqualTo(first.manifestDigest());

        JsonNode sbom = json.readTree(layout.resolveSibling("sbom.spdx.json").toFile());
        assertThat(sbom.get("spdxVersion").asText()).isEqualTo("SPDX-2.3");
        assertThat(sbom.get("packages")).hasSize(5);
        assertThat(sbom.toString()).contains("\"relatedSpdxElement\":\"SPDXRef-Package-busybox\"", "DEPENDS_ON",
                dev.archcore.image.Digests.sha256(closure.app));
    }

    @Test
    void dockerLoadsTheArchiveAndRunsIt() throws Exception {
        DockerDaemon docker = DockerDaemon.get();
        String loaded = docker.docker("load", "-i", archive.toString()).ok("docker load").text();
        assertThat(loaded).contains(NAME + ":" + TAG);
        String image = NAME + ":" + TAG;
        String osRelease = docker.docker("run", "--rm", "--network", "none", "--entrypoint", "/usr/bin/cat", image,
                "/etc/os-release").ok("docker run cat").text();
        assertThat(osRelease).contains("ID=archcore");
        String local = docker.docker("run", "--rm", "--network", "none", "--entrypoint", "/usr/bin/ls", image,
                "/var/lib/pacman/local").ok("docker run ls").text();
        assertThat(local.lines()).containsExactly("ALPM_DB_VERSION", "basefs-2026.1-1", "busybox-1.35.0-4",
                "demo-app-1.0-1", "owners-1.0-1");
        String id = docker.docker("run", "--rm", "--network", "none", "--entrypoint", "/usr/bin/id", image).ok("docker run id").text();
        assertThat(id.strip()).isEqualTo("uid=998(app) gid=998(app) groups=998(app)");

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String container = docker.docker("run", "-d", "--network", "host", "-e", "APP_PORT=" + port, image)
                .ok("docker run app").text().strip();
        try {
            HttpClient http = HttpClient.newHttpClient();
            String body = null;
            for (int i = 0; i < 200 && body == null; i++) {
                try {
                    body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                } catch (IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertThat(body).as(docker.docker("logs", container).text()).isEqualTo("demo-app 1.0\n");
        } finally {
            docker.docker("rm", "-f", container);
        }
    }

    @Test
    void cleanBuildsAreIdenticalAndAnAppChangeKeepsEveryDependencyLayer() throws IOException {
        Path archive2 = tmp.resolve("out2/image.tar");
        ImageResult second = ImageBuilder.build(request(closure.packages(), tmp.resolve("cache-2"), tmp.resolve("out2/oci"),
                archive2, Log.NONE));
        assertThat(second.manifestDigest()).isEqualTo(first.manifestDigest());
        assertThat(Files.readAllBytes(archive2)).isEqualTo(Files.readAllBytes(archive));
        assertThat(second.layers()).noneMatch(ImageResult.Layer::cached);

        // the same cache again: every layer comes from it
        List<String> lines = new ArrayList<>();
        long start = System.nanoTime();
        ImageResult cached = ImageBuilder.build(request(closure.packages(), tmp.resolve("cache-1"), null, null, collector(lines)));
        System.out.printf("fully cached build: %.2f s%n", (System.nanoTime() - start) / 1e9);
        assertThat(cached.manifestDigest()).isEqualTo(first.manifestDigest());
        assertThat(cached.layers()).allMatch(ImageResult.Layer::cached);
        assertThat(lines).anyMatch(l -> l.contains("reused from the layer cache"));

        // a new app version: the dependency layers are the same bytes and come from the cache
        Path app2 = TestClosure.app(tmp, tmp.resolve("pkgs"), "2.0");
        List<ImagePackage> changed = List.of(ImagePackage.dependency(closure.basefs), ImagePackage.dependency(closure.busybox),
                ImagePackage.dependency(closure.owners), ImagePackage.app(app2));
        start = System.nanoTime();
        ImageResult next = ImageBuilder.build(request(changed, tmp.resolve("cache-1"), null, null, Log.NONE));
        System.out.printf("app-only change: %.2f s%n", (System.nanoTime() - start) / 1e9);
        assertThat(next.manifestDigest()).isNotEqualTo(first.manifestDigest());
        int deps = first.layers().size() - 2;
        assertThat(deps).isGreaterThanOrEqualTo(1);
        for (int i = 0; i < deps; i++) {
            assertThat(next.layers().get(i).digest()).isEqualTo(first.layers().get(i).digest());
            assertThat(next.layers().get(i).cached()).isTrue();
        }
        ImageResult.Layer appLayer = next.layers().get(deps);
        assertThat(appLayer.packages()).containsExactly("demo-app");
        assertThat(appLayer.cached()).isFalse();
        assertThat(appLayer.digest()).isNotEqualTo(first.layers().get(deps).digest());
    }

    @Test
    void rememberedDependencyKeysGiveTheImageThatPlanningEveryLayerGives() throws IOException {
        Path cache = tmp.resolve("cache-keys");
        ImageBuilder.build(request(closure.packages(), cache, null, null, Log.NONE));
        Path keys = cache.resolve("dependency-keys-v1");
        try (Stream<Path> files = Files.list(keys)) {
            assertThat(files.map(f -> f.getFileName().toString().replaceFirst("^[0-9a-f]{64}", "DIGEST")))
                    .containsExactlyInAnyOrder("DIGEST", "DIGEST.plan");
        }
        List<ImagePackage> changed = List.of(ImagePackage.dependency(closure.basefs), ImagePackage.dependency(closure.busybox),
                ImagePackage.dependency(closure.owners), ImagePackage.app(TestClosure.app(tmp, tmp.resolve("pkgs"), "3.0")));

        // app changed only: the dependency layers' keys are remembered, not computed
        RecordingLog rememberedLog = new RecordingLog();
        ImageResult remembered = ImageBuilder.build(request(changed, cache, null, null, rememberedLog));
        assertThat(rememberedLog.lines("DEBUG")).anyMatch(l -> l.startsWith("DEBUG dependency layers unchanged"));
        // the same build planned from scratch
        ImageResult planned = ImageBuilder.build(request(changed, tmp.resolve("cache-keys-fresh"), null, null, Log.NONE));
        assertThat(remembered.manifestDigest()).isEqualTo(planned.manifestDigest());

        // a damaged record is ignored
        try (Stream<Path> files = Files.list(keys)) {
            for (Path f : files.toList()) {
                Files.writeString(f, "garbage\n");
            }
        }
        RecordingLog afterDamageLog = new RecordingLog();
        ImageResult afterDamage = ImageBuilder.build(request(changed, cache, null, null, afterDamageLog));
        assertThat(afterDamageLog.lines("DEBUG")).noneMatch(l -> l.startsWith("DEBUG dependency layers unchanged"));
        assertThat(afterDamage.manifestDigest()).isEqualTo(planned.manifestDigest());

        // a remembered layer gone from the layer cache: every layer is planned and the missing one rebuilt
        Path blobs = cache.resolve("layers-v1/blobs");
        Files.delete(blobs.resolve(BuiltImage.hex(planned.layers().get(0).digest())));
        RecordingLog rebuiltLog = new RecordingLog();
        ImageResult rebuilt = ImageBuilder.build(request(changed, cache, null, null, rebuiltLog));
        assertThat(rebuiltLog.lines("DEBUG")).noneMatch(l -> l.startsWith("DEBUG dependency layers unchanged"));
        assertThat(rebuilt.manifestDigest()).isEqualTo(planned.manifestDigest());
        assertThat(rebuilt.layers().get(0).cached()).isFalse();
    }

    @Test
    void aFailedBuildLeavesThePreviousArchiveAndNoTemporaryFile() throws IOException {
        Path out = tmp.resolve("out-failed");
        Path tar = out.resolve("image.tar");
        ImageBuilder.build(request(closure.packages(), tmp.resolve("cache-1"), null, tar, Log.NONE));
        byte[] good = Files.readAllBytes(tar);

        // the dependencies are those of cache-1 (their layers start copying into the archive at once), and the
        // "app" is busybox again, which planning refuses after that
        List<ImagePackage> twice = List.of(ImagePackage.dependency(closure.basefs), ImagePackage.dependency(closure.busybox),
                ImagePackage.dependency(closure.owners), ImagePackage.app(closure.busybox));
        RecordingLog failedLog = new RecordingLog();
        assertThatThrownBy(() -> ImageBuilder.build(request(twice, tmp.resolve("cache-1"), null, tar, failedLog)))
                .isInstanceOf(ImageBuildException.class).hasMessageContaining("'busybox' is given twice");
        assertThat(failedLog.lines("DEBUG")).anyMatch(l -> l.startsWith("DEBUG dependency layers unchanged"));
        assertThat(Files.readAllBytes(tar)).isEqualTo(good);
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("image.tar");
        }
    }

    @Test
    void logNamesSkippedScriptletsAndHooks() {
        assertThat(log).anyMatch(l -> l.startsWith("install scriptlets not run") && l.contains("owners"));
        assertThat(log).anyMatch(l -> l.startsWith("libalpm hooks not run") && l.contains("basefs (30-fake-update.hook)"));
        Set<String> labels = new HashSet<>();
        first.layers().forEach(l -> labels.add(l.label()));
        assertThat(labels).contains("app", "config");
    }
}
