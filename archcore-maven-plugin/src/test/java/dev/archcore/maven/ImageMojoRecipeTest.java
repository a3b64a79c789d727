package dev.archcore.maven;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.TestKeys;
import dev.archcore.testing.TestPackages;
import dev.archcore.testing.Tools;
import org.apache.maven.model.Model;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.archcore.testing.TestPackages.dirs;
import static dev.archcore.testing.TestPackages.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * archcore:image with {@code archcore.recipe=base} and {@code archcore.arch=i686,aarch64} on a project with a
 * {@code pacman-<arch>.conf} per architecture (synthetic repositories with each distribution's keyring package),
 * then archcore:push: the registry holds one index with both platforms (skopeo), and each platform unpacks (umoci).
 */
class ImageMojoRecipeTest {
    @TempDir
    static Path tmp;
    static Path basedir;
    static RegistryServer registry;

    @BeforeAll
    static void project() throws Exception {
        Tools.require("repo-add", "skopeo", "umoci");
        basedir = Files.createDirectories(tmp.resolve("project"));
        for (String arch : List.of("i686", "aarch64")) {
            Path repo = Files.createDirectories(tmp.resolve("repos/" + arch));
            Path fs = tmp.resolve("src-fs-" + arch);
            dirs(fs, "etc", "usr/bin", "var/lib");
            file(fs, "usr/lib/os-release", "ID=arch\nARCH=" + arch + "\n", "rw-r--r--");
            file(fs, "usr/lib/sysusers.d/root.conf", "u root 0 \"Super User\" /root /bin/sh\n", "rw-r--r--");
            Path kr = tmp.resolve("src-kr-" + arch);
            Path keyrings = Files.createDirectories(kr.resolve("usr/share/pacman/keyrings"));
            try (Stream<Path> files = Files.list(TestKeys.get().keyringDir())) {
                for (Path f : files.toList()) {
                    Files.copy(f, keyrings.resolve(f.getFileName()));
                }
            }
            String keyringPackage = arch.equals("i686") ? "archlinux32-keyring" : "archlinuxarm-keyring";
            List<String> pkgs = new ArrayList<>(List.of(
                    TestPackages.write(TestPackages.Spec.of("filesystem", "2026.01-1").arch(arch), fs, repo, 1_790_000_000L).toString(),
                    TestPackages.write(TestPackages.Spec.of(keyringPackage, "20260101-1").arch("any"), kr, repo, 1_790_000_000L).toString(),
                    TestPackages.write(TestPackages.Spec.of("base", "3-1").arch("any").depends("filesystem"),
                            Files.createDirectories(tmp.resolve("empty-" + arch)), repo, 1_790_000_000L).toString(),
                    TestPackages.write(TestPackages.Spec.of("notes", "1.0-1").arch("any"), notes(arch), repo,
                            1_790_000_000L).toString()));
            List<String> add = new ArrayList<>(List.of("repo-add", repo.resolve("core.db.tar.gz").toString()));
            add.addAll(pkgs);
            Tools.run(repo, add.toArray(String[]::new)).ok("repo-add " + arch);
            Files.writeString(basedir.resolve("pacman-" + arch + ".conf"), "[options]\nArchitecture = " + arch
                    + "\nSigLevel = Never\n\n[core]\nServer = file://" + tmp.resolve("repos") + "/$arch\n");
        }
        registry = RegistryServer.plain(tmp.resolve("registry"));
    }

    private static Path notes(String arch) throws java.io.IOException {
        Path dir = tmp.resolve("src-notes-" + arch);
        file(dir, "usr/share/notes/README", "architecture-independent\n", "rw-r--r--");
        return dir;
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static ImageMojo mojo(Object... fields) throws Exception {
        Model model = new Model();
        model.setGroupId("com.example");
        model.setArtifactId("hello");
        model.setVersion("1.0");
        MavenProject project = new MavenProject(model);
        project.setFile(basedir.resolve("pom.xml").toFile());
        ImageMojo mojo = new ImageMojo();
        set(mojo, "project", project);
        set(mojo, "pacmanConf", basedir.resolve("pacman.conf").toFile());
        set(mojo, "cacheDirectory", tmp.resolve("cache").toFile());
        set(mojo, "lockFile", basedir.resolve("packages.lock.json").toFile());
        set(mojo, "buildDirectory", basedir.resolve("target").toFile());
        set(mojo, "outputTimestamp", "2026-09-21T00:00:00Z");
        set(mojo, "layerCompressionLevel", 6);
        set(mojo, "recipe", "app");
        dev.archcore.testing.MojoFields.setAll(mojo, fields);
        return mojo;
    }

    static void set(Object o, String name, Object value) {
        dev.archcore.testing.MojoFields.set(o, name, value);
    }

    @Test
    void baseRecipeForTwoArchitecturesIsOneIndexThatPushGoalSends() throws Exception {
        mojo("recipe", "base", "arch", "i686,aarch64").execute();
        Path target = basedir.resolve("target");
        Path layout = target.resolve("archcore/base-image");
        ObjectMapper json = new ObjectMapper();
        JsonNode local = json.readTree(Tools.run(tmp, "skopeo", "inspect", "--raw", "oci:" + layout + ":2026.09.21")
                .ok("skopeo inspect --raw oci").text());
        assertThat(local.path("manifests")).hasSize(2);
        assertThat(basedir.resolve("packages-base-i686.lock.json")).exists();
        assertThat(basedir.resolve("packages-base-aarch64.lock.json")).exists();
        for (String arch : List.of("i686", "aarch64")) {
            Path bundle = tmp.resolve("bundle-" + arch);
            Tools.run(tmp, "umoci", "unpack", "--image", layout + ":2026.09.21-" + arch, bundle.toString()).ok("umoci unpack");
            assertThat(Files.readString(bundle.resolve("rootfs/etc/os-release"))).contains("ARCH=" + arch);
            assertThat(bundle.resolve("rootfs/etc/pacman.d/gnupg/trustdb.gpg")).exists();
        }

        PushMojo push = new PushMojo();
        set(push, "buildDirectory", target.toFile());
        set(push, "registry", registry.host());
        set(push, "insecure", true);
        set(push, "retrySeconds", 3);
        set(push, "parallelUploads", 3);
        push.execute();
        JsonNode raw = json.readTree(Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false", "--raw",
                "docker://" + registry.host() + "/hello-base:2026.09.21").ok("skopeo inspect --raw").text());
        assertThat(raw.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.index.v1+json");
        List<String> platforms = new ArrayList<>();
        raw.path("manifests").forEach(m -> platforms.add(m.path("platform").path("architecture").asText()));
        assertThat(platforms).containsExactly("386", "arm64");
        assertThat(Files.readString(target.resolve("archcore/push.digest")).strip())
                .isEqualTo(Files.readString(target.resolve("archcore/base-image.digest")).strip());
    }

    /**
     * Issue 16, item 11: every package of the image is {@code any} (notes and the keyring), so the packages say
     * nothing of the platform; the index must still name each target asked for, not amd64 twice.
     */
    @Test
    void anImageOfAnyPackagesHasThePlatformOfEachTargetAskedFor() throws Exception {
        Path target = tmp.resolve("any-target");
        mojo("recipe", "base", "arch", "i686,aarch64", "packages", List.of("notes"), "buildDirectory", target.toFile(),
                "lockFile", tmp.resolve("any-locks/packages.lock.json").toFile()).execute();
        Path layout = target.resolve("archcore/base-image");
        ObjectMapper json = new ObjectMapper();
        // read the index and each manifest's config from the layout's own bytes, not through archcore
        JsonNode top = json.readTree(layout.resolve("index.json").toFile());
        String indexDigest = top.path("manifests").get(0).path("digest").asText();
        JsonNode index = json.readTree(layout.resolve("blobs/sha256/" + indexDigest.substring(7)).toFile());
        List<String> platforms = new ArrayList<>();
        List<String> configs = new ArrayList<>();
        for (JsonNode m : index.path("manifests")) {
            platforms.add(m.path("platform").path("architecture").asText());
            JsonNode manifest = json.readTree(layout.resolve("blobs/sha256/" + m.path("digest").asText().substring(7)).toFile());
            JsonNode config = json.readTree(layout.resolve("blobs/sha256/"
                    + manifest.path("config").path("digest").asText().substring(7)).toFile());
            configs.add(config.path("architecture").asText());
        }
        assertThat(platforms).containsExactly("386", "arm64");
        assertThat(configs).containsExactly("386", "arm64");
        // and skopeo, choosing by platform, finds the 386 image
        JsonNode i686 = json.readTree(Tools.run(tmp, "skopeo", "--override-arch", "386", "inspect", "--config",
                "oci:" + layout + ":2026.09.21").ok("skopeo inspect --override-arch 386").text());
        assertThat(i686.path("architecture").asText()).isEqualTo("386");
    }

    @Test
    void unknownArchitectureAndRecipeAreClear() {
        assertThatThrownBy(() -> mojo("recipe", "base", "arch", "sparc").execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("'sparc'").hasMessageContaining("x86_64, i686, aarch64");
        assertThatThrownBy(() -> mojo("recipe", "tiny").execute()).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("archcore.recipe='tiny'");
    }
}
