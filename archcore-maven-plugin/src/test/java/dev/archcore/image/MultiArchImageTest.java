package dev.archcore.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.registry.PushRequest;
import dev.archcore.registry.PushResult;
import dev.archcore.registry.RegistryClient;
import dev.archcore.registry.RegistryReference;
import dev.archcore.repo.ClosureRequest;
import dev.archcore.repo.DependencyClosure;
import dev.archcore.repo.Keyring;
import dev.archcore.repo.PackageFetcher;
import dev.archcore.repo.PacmanConf;
import dev.archcore.testing.Fixtures;
import dev.archcore.testing.Pacman;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.TestPackages;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Images for i686 and aarch64 from synthetic repositories of those architectures (packages made by makepkg with
 * CARCH set, plus an {@code any} package from archcore's writer), resolved as pacman would for each, combined in
 * one OCI index, pushed to a real registry: skopeo sees an index with both platforms, umoci unpacks each.
 */
class MultiArchImageTest {
    private static final List<String> ARCHS = List.of("i686", "aarch64");
    private static final String TAG = "2026.01";

    @TempDir
    static Path tmp;
    static Map<String, Path> layouts = new LinkedHashMap<>();
    static Map<String, ImageResult> results = new LinkedHashMap<>();
    static Path index;
    static Path anyPackage;
    static Map<String, Path> nativePackages = new LinkedHashMap<>();
    static String indexDigest;
    static RegistryServer registry;
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void build() throws IOException {
        Tools.require("makepkg", "repo-add", "umoci", "skopeo");
        Path repos = tmp.resolve("repos");
        Path any = TestPackages.write(Files.createDirectories(tmp.resolve("any")), "hello-data", "1.0-1", 4096);
        anyPackage = any;
        for (String arch : ARCHS) {
            Path src = Files.createDirectories(tmp.resolve("makepkg-" + arch));
            Files.writeString(src.resolve("PKGBUILD"), """
                    pkgname=hello
                    pkgver=1.0
                    pkgrel=1
                    pkgdesc='says which architecture it was built for'
                    arch=('i686' 'aarch64')
                    license=('MIT')
                    depends=('hello-data')
                    package() {
                      install -d "$pkgdir/usr/share/hello"
                      echo "$CARCH" > "$pkgdir/usr/share/hello/arch"
                    }
                    """);
            Path conf = src.resolve("makepkg-" + arch + ".conf");
            Files.writeString(conf, Files.readString(Path.of("/etc/makepkg.conf")) + "\nCARCH=\"" + arch + "\"\nCHOST=\""
                    + arch + "-unknown-linux-gnu\"\n");
            Path pkg = Pacman.makepkg(src, Fixtures.EPOCH, "--config", conf.toString());
            assertThat(pkg.getFileName().toString()).endsWith("-" + arch + ".pkg.tar.zst");
            nativePackages.put(arch, pkg);
            Path repo = Files.createDirectories(repos.resolve(arch));
            Files.copy(pkg, repo.resolve(pkg.getFileName()));
            Files.copy(any, repo.resolve(any.getFileName()));
            Tools.run(repo, "repo-add", repo.resolve("multi.db.tar.gz").toString(), pkg.getFileName().toString(),
                    any.getFileName().toString()).ok("repo-add " + arch);

            PacmanConf pacmanConf = PacmanConf.parse("[options]\nArchitecture = " + arch + "\nSigLevel = Never\n\n[multi]\n"
                    + "Server = file://" + repos + "/$arch\n", "pacman-" + arch + ".conf", tmp);
            DependencyClosure.Result closure = DependencyClosure.resolve(new ClosureRequest(pacmanConf, List.of("hello"),
                    Keyring.EMPTY, tmp.resolve("cache"), tmp.resolve("packages-" + arch + ".lock.json"), false, false, Log.NONE));
            List<ImagePackage> packages = new ArrayList<>();
            for (PackageFetcher.Fetched f : closure.packages()) {
                packages.add(new ImagePackage(f.file(), false, f.pkg().repository(), List.of("sha256"), f.pkg().sha256()));
            }
            Path layout = tmp.resolve("out/image-" + arch);
            results.put(arch, ImageBuilder.build(ImageRequest.of(packages, null, Fixtures.EPOCH, "archcore/hello", TAG,
                    layout, null, tmp.resolve("layers"), Log.NONE)));
            layouts.put(arch, layout);
        }
        index = tmp.resolve("out/image");
        indexDigest = ImageIndexWriter.write(layouts, index, TAG);
        registry = RegistryServer.plain(tmp.resolve("registry"));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void eachImageHasThePlatformOfItsArchitecture() throws IOException {
        Map<String, String> platforms = new LinkedHashMap<>();
        for (String arch : ARCHS) {
            JsonNode config = json.readTree(Tools.run(tmp, "skopeo", "inspect", "--config", "oci:" + layouts.get(arch) + ":" + TAG)
                    .ok("skopeo inspect --config").text());
            platforms.put(arch, config.path("architecture").asText() + config.path("variant").asText(""));
            assertThat(config.path("config").path("Labels").path("dev.archcore.image.packages").asText())
                    .isEqualTo("hello-data=1.0-1 hello=1.0-1");
        }
        assertThat(platforms).containsEntry("i686", "386").containsEntry("aarch64", "arm64v8");
    }

    @Test
    void pushedIndexNamesBothPlatformsAndUmociUnpacksEach() throws IOException {
        PushResult pushed = RegistryClient.push(new PushRequest(index, new RegistryReference(registry.host(),
                "archcore/hello", List.of(TAG))).image(indexDigest).insecure(true));
        assertThat(pushed.digest()).isEqualTo(indexDigest);

        JsonNode raw = json.readTree(Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false", "--raw",
                "docker://" + registry.host() + "/archcore/hello:" + TAG).ok("skopeo inspect --raw").text());
        assertThat(raw.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.index.v1+json");
        List<String> platforms = new ArrayList<>();
        raw.path("manifests").forEach(m -> platforms.add(m.path("platform").path("architecture").asText() + "/"
                + m.path("platform").path("variant").asText("")));
        assertThat(platforms).containsExactly("386/", "arm64/v8");
        assertThat(raw.path("manifests").get(0).path("digest").asText()).isEqualTo(results.get("i686").manifestDigest());
        // every platform's image can be pulled back by digest
        for (String arch : ARCHS) {
            Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + registry.host()
                    + "/archcore/hello@" + results.get(arch).manifestDigest()).ok("skopeo inspect " + arch);
        }

        for (String arch : ARCHS) {
            Path bundle = tmp.resolve("bundle-" + arch);
            Tools.run(tmp, "umoci", "unpack", "--image", index + ":" + TAG + "-" + arch, bundle.toString())
                    .ok("umoci unpack " + arch);
            assertThat(bundle.resolve("rootfs/usr/share/hello/arch")).hasContent(arch);
            assertThat(bundle.resolve("rootfs/usr/share/hello-data/data")).exists();
        }
    }

    /** Issue 16, item 11: an image of only {@code any} packages takes the platform of the target asked for. */
    @Test
    void anImageOfAnyPackagesHasThePlatformOfItsTargetAndTheIndexSaysSo() throws IOException {
        Map<String, Path> anyLayouts = new LinkedHashMap<>();
        for (String arch : List.of("x86_64", "i686")) {
            Path layout = tmp.resolve("any-out/image-" + arch);
            ImageBuilder.build(ImageRequest.of(List.of(ImagePackage.app(anyPackage)), null, Fixtures.EPOCH,
                    "archcore/data", TAG, layout, null, tmp.resolve("layers"), Log.NONE).forArch(arch));
            anyLayouts.put(arch, layout);
        }
        Path anyIndex = tmp.resolve("any-out/image");
        ImageIndexWriter.write(anyLayouts, anyIndex, TAG);
        JsonNode raw = json.readTree(Tools.run(tmp, "skopeo", "inspect", "--raw", "oci:" + anyIndex + ":" + TAG)
                .ok("skopeo inspect --raw").text());
        List<String> platforms = new ArrayList<>();
        raw.path("manifests").forEach(m -> platforms.add(m.path("platform").path("os").asText() + "/"
                + m.path("platform").path("architecture").asText()));
        assertThat(platforms).containsExactly("linux/amd64", "linux/386");
        JsonNode config = json.readTree(Tools.run(tmp, "skopeo", "inspect", "--config", "oci:" + anyIndex + ":" + TAG
                + "-i686").ok("skopeo inspect --config").text());
        assertThat(config.path("architecture").asText()).isEqualTo("386");
    }

    @Test
    void aPackageOfAnotherArchitectureThanTheTargetIsRefusedNamingIt() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ImageBuilder.build(ImageRequest.of(
                        List.of(ImagePackage.app(nativePackages.get("i686"))), null, Fixtures.EPOCH, "archcore/hello",
                        TAG, tmp.resolve("wrong-out/image"), null, tmp.resolve("layers"), Log.NONE).forArch("aarch64")))
                .isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("'hello' is built for i686, but the image is for aarch64");
        // nor does the index writer take an image for another platform than its key says
        Map<String, Path> swapped = new LinkedHashMap<>();
        swapped.put("aarch64", layouts.get("i686"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ImageIndexWriter.write(swapped, tmp.resolve("swapped"), TAG))
                .isInstanceOf(ImageBuildException.class).hasMessageContaining("is an image for 386, not for aarch64");
    }

    @Test
    void theSameLayoutsGiveTheSameIndex() throws IOException {
        assertThat(ImageIndexWriter.write(layouts, tmp.resolve("out/again"), TAG)).isEqualTo(indexDigest);
    }
}
