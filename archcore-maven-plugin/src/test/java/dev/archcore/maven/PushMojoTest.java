package dev.archcore.maven;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.registry.TestLayouts;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.Tools;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** archcore:push on target/archcore/image.json, against the real registry (plain HTTP), judged by skopeo. */
class PushMojoTest {
    @TempDir
    static Path tmp;
    static RegistryServer registry;
    static String digest;
    static Path target;

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.plain(tmp.resolve("registry"));
        target = tmp.resolve("target");
        Path layout = target.resolve("archcore/image");
        digest = TestLayouts.write(layout, "1.0", List.of(new TestLayouts.Layer("usr/bin/app", 100_000, 7)));
        ImageInfo.write(target.resolve("archcore/image.json"),
                new ImageInfo("archcore/demo-app:1.0", digest, null, null, layout.toString()));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static PushMojo mojo(Object... fields) throws Exception {
        PushMojo mojo = new PushMojo();
        set(mojo, "buildDirectory", target.toFile());
        set(mojo, "retrySeconds", 3);
        set(mojo, "parallelUploads", 3);
        dev.archcore.testing.MojoFields.setAll(mojo, fields);
        return mojo;
    }

    static void set(Object o, String name, Object value) {
        dev.archcore.testing.MojoFields.set(o, name, value);
    }

    @Test
    void pushesTheBuiltImageUnderItsTagAndTheAdditionalOnesAndWritesTheDigest() throws Exception {
        mojo("registry", registry.host(), "insecure", true, "additionalTags", List.of("latest")).execute();
        assertThat(Files.readString(target.resolve("archcore/push.digest")).strip()).isEqualTo(digest);
        for (String tag : List.of("1.0", "latest")) {
            String out = Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false",
                    "docker://" + registry.host() + "/archcore/demo-app:" + tag).ok("skopeo inspect").text();
            assertThat(new ObjectMapper().readTree(out).path("Digest").asText()).isEqualTo(digest);
        }
    }

    @Test
    void imageNameAndTagsOverrideTheBuiltOnes() throws Exception {
        mojo("registry", "http://" + registry.host() + "/", "insecure", true, "imageName", "team/renamed",
                "tags", List.of("2.0,stable")).execute();
        Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false", "docker://" + registry.host() + "/team/renamed:stable")
                .ok("skopeo inspect");
    }

    @Test
    void skipAndMissingInputsAreClear() throws Exception {
        mojo("skip", true).execute();
        assertThatThrownBy(() -> mojo().execute()).isInstanceOf(MojoFailureException.class).hasMessageContaining("archcore.registry");
        PushMojo noImage = mojo("registry", registry.host(), "insecure", true);
        set(noImage, "buildDirectory", new File(tmp.toFile(), "empty-target"));
        assertThatThrownBy(noImage::execute).isInstanceOf(MojoFailureException.class).hasMessageContaining("no image to push");
    }

    @Test
    void aClusterMadeByArchcoreIsoNeedsNoCredentialsOrCaToPushTo() throws Exception {
        // the PKI archcore:iso makes: a CA, the registry's certificate, htpasswd and a generated password
        Path pki = tmp.resolve("home/.archcore/demo/pki");
        dev.archcore.testing.RecordingLog pkiLog = new dev.archcore.testing.RecordingLog();
        dev.archcore.provision.pki.ClusterPki.ensure(new dev.archcore.provision.pki.ClusterPki.Request(pki, "demo",
                List.of("127.0.0.1"), "archcore", null, pkiLog));
        // the log says what push will use (not a settings.xml server or ARCHCORE_REGISTRY_PASSWORD, which are unset)
        assertThat(pkiLog.lines("INFO")).anySatisfy(l -> assertThat(l).contains("Generated the registry password for user "
                + "archcore into " + pki.resolve("registry.password"), "archcore:push and archcore:deploy use it from there"));
        try (RegistryServer secure = RegistryServer.secure(tmp.resolve("secure-registry"), pki.resolve("ca.crt"),
                pki.resolve("registry.crt"), pki.resolve("registry.key"), pki.resolve("htpasswd"))) {
            PushMojo mojo = mojo("registry", secure.host(), "pkiDirectory", pki.toFile(), "registryUser", "archcore");
            mojo.execute();
            assertThat(Files.readString(target.resolve("archcore/push.digest")).strip()).isEqualTo(digest);
            String password = Files.readString(pki.resolve("registry.password")).strip();
            String out = Tools.run(tmp, "skopeo", "inspect", "--cert-dir", secure.certDir.toString(),
                    "--creds", "archcore:" + password, "docker://" + secure.host() + "/archcore/demo-app:1.0")
                    .ok("skopeo inspect").text();
            assertThat(new ObjectMapper().readTree(out).path("Digest").asText()).isEqualTo(digest);

            // without the PKI folder: no CA, no credentials, one clear failure
            PushMojo bare = mojo("registry", secure.host(), "pkiDirectory", tmp.resolve("no-pki").toFile());
            assertThatThrownBy(bare::execute).isInstanceOf(MojoFailureException.class)
                    .hasMessageNotContaining(password);
        }
    }

    @Test
    void splitsBuiltReferences() {
        assertThat(PushMojo.splitReference("archcore/demo:1.0")).containsExactly("archcore/demo", "1.0");
        assertThat(PushMojo.splitReference("localhost:5000/demo:1.0")).containsExactly("demo", "1.0");
        assertThat(PushMojo.splitReference("demo")).containsExactly("demo", null);
    }
}
