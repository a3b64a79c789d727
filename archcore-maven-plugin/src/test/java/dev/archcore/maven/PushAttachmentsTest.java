package dev.archcore.maven;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.registry.TestLayouts;
import dev.archcore.registry.signing.SigstoreJudge;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * archcore:push signs the image and attaches its SBOM (the real registry, which has no referrers API: the OCI 1.1
 * tag-schema fallback), read back by skopeo; the image's digest stays the built one.
 */
class PushAttachmentsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
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
        digest = TestLayouts.write(layout, "1.0", List.of(new TestLayouts.Layer("usr/bin/app", 30_000, 11)));
        ImageInfo.write(target.resolve("archcore/image.json"),
                new ImageInfo("archcore/demo-app:1.0", digest, null, null, layout.toString()));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static PushMojo mojo(Object... fields) {
        PushMojo mojo = new PushMojo();
        dev.archcore.testing.MojoFields.setAll(mojo, "buildDirectory", target.toFile(), "retrySeconds", 3,
                "parallelUploads", 3, "registry", registry.host(), "insecure", true, "signServerId", "archcore-signing");
        dev.archcore.testing.MojoFields.setAll(mojo, fields);
        return mojo;
    }

    static String raw(String reference) {
        return Tools.run(tmp, "skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + reference)
                .ok("skopeo inspect --raw " + reference).text();
    }

    @Test
    void pushSignsWithThePkiKeyAndAttachesTheSbomAsAReferrer() throws Exception {
        Path sbom = target.resolve("archcore/image.spdx.json");
        Files.writeString(sbom, "{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"first\"}\n");
        Path pki = tmp.resolve("pki");
        mojo("pkiDirectory", pki.toFile()).execute();

        // the key was made in the PKI folder, private; its public half is beside it and in target/archcore
        assertThat(Files.getPosixFilePermissions(pki.resolve("image-signing.key")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(target.resolve("archcore/image-signing.pub")))
                .isEqualTo(Files.readString(pki.resolve("image-signing.pub")));
        SigstoreJudge.Verdict v = SigstoreJudge.verify(tmp, registry.host(), "archcore/demo-app", "1.0",
                target.resolve("archcore/image-signing.pub"));
        assertThat(v.accepted()).as(v.by() + ": " + v.reasons()).isTrue();

        // the image is the one built, signature and SBOM beside it
        String inspect = Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false",
                "docker://" + registry.host() + "/archcore/demo-app:1.0").ok("skopeo inspect").text();
        assertThat(JSON.readTree(inspect).path("Digest").asText()).isEqualTo(digest);

        String fallback = registry.host() + "/archcore/demo-app:" + digest.replace(':', '-');
        JsonNode index = JSON.readTree(raw(fallback));
        assertThat(index.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.index.v1+json");
        assertThat(index.path("manifests")).hasSize(1);
        JsonNode entry = index.path("manifests").get(0);
        assertThat(entry.path("artifactType").asText()).isEqualTo("application/spdx+json");
        assertThat(entry.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        JsonNode referrer = JSON.readTree(raw(registry.host() + "/archcore/demo-app@" + entry.path("digest").asText()));
        assertThat(referrer.path("artifactType").asText()).isEqualTo("application/spdx+json");
        assertThat(referrer.path("subject").path("digest").asText()).isEqualTo(digest);
        assertThat(referrer.path("config").path("mediaType").asText()).isEqualTo("application/vnd.oci.empty.v1+json");
        assertThat(referrer.path("layers").get(0).path("mediaType").asText()).isEqualTo("application/spdx+json");
        byte[] back = SigstoreJudge.blob(registry.host(), "archcore/demo-app", referrer.path("layers").get(0).path("digest").asText());
        assertThat(back).isEqualTo(Files.readAllBytes(sbom));
        assertThat(SigstoreJudge.blob(registry.host(), "archcore/demo-app", referrer.path("config").path("digest").asText()))
                .isEqualTo("{}".getBytes());

        // another referrer of the image (a second SBOM) is added beside the first, which stays listed
        Files.writeString(sbom, "{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"second\"}\n");
        mojo("pkiDirectory", pki.toFile()).execute();
        JsonNode after = JSON.readTree(raw(fallback));
        assertThat(after.path("manifests")).hasSize(2);
        assertThat(after.path("manifests").get(0).path("digest").asText()).isEqualTo(entry.path("digest").asText());
        // the signature was not added again: one per tag
        JsonNode sig = JSON.readTree(raw(registry.host() + "/archcore/demo-app:" + digest.replace(':', '-') + ".sig"));
        assertThat(sig.path("layers")).hasSize(1);
    }

    @Test
    void theSkipsLeaveSignatureAndSbomOut() throws Exception {
        Files.writeString(target.resolve("archcore/image.spdx.json"), "{\"spdxVersion\":\"SPDX-2.3\"}\n");
        mojo("pkiDirectory", tmp.resolve("pki2").toFile(),
                "imageName", "team/bare", "skipSign", true, "skipSbom", true).execute();
        for (String tag : List.of(digest.replace(':', '-') + ".sig", digest.replace(':', '-'))) {
            Tools.Output out = Tools.run(tmp, "skopeo", "inspect", "--raw", "--tls-verify=false",
                    "docker://" + registry.host() + "/team/bare:" + tag);
            assertThat(out.exitCode()).as(tag).isNotZero();
            assertThat(out.text()).contains("manifest unknown");
        }
        assertThat(tmp.resolve("pki2/image-signing.key")).doesNotExist();
    }

    /** A user's own encrypted key, its passphrase from an encrypted settings.xml server, over TLS with htpasswd. */
    @Test
    void aUserKeyWithItsPassphraseFromSettingsSignsThroughTlsAndAuth() throws Exception {
        Path dir = java.nio.file.Files.createDirectories(tmp.resolve("user-key"));
        Tools.run(dir, "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
                "-pass", "pass:open-Sesame-42", "-out", "key.pem").ok("openssl genpkey");
        Tools.run(dir, "openssl", "pkey", "-in", "key.pem", "-passin", "pass:open-Sesame-42", "-pubout", "-out", "key.pub")
                .ok("openssl pubout");
        try (RegistryServer secure = RegistryServer.secure(tmp.resolve("secure-registry"))) {
            org.sonatype.plexus.components.cipher.DefaultPlexusCipher cipher = new org.sonatype.plexus.components.cipher.DefaultPlexusCipher();
            Path security = tmp.resolve("settings-security.xml");
            Files.writeString(security, "<settingsSecurity>\n  <master>" + cipher.encryptAndDecorate("the-master", "settings.security")
                    + "</master>\n</settingsSecurity>\n");
            org.apache.maven.settings.crypto.SettingsDecrypter decrypter = new org.apache.maven.settings.crypto.DefaultSettingsDecrypter(
                    new org.sonatype.plexus.components.sec.dispatcher.DefaultSecDispatcher(cipher, java.util.Map.of(), security.toString()));
            List<String> lines = new java.util.ArrayList<>();
            for (String passphrase : List.of("wrong-Passphrase-1", "open-Sesame-42")) {
                org.apache.maven.execution.DefaultMavenExecutionRequest request = new org.apache.maven.execution.DefaultMavenExecutionRequest();
                org.apache.maven.settings.Server creds = new org.apache.maven.settings.Server();
                creds.setId(secure.host());
                creds.setUsername(RegistryServer.USER);
                creds.setPassword(RegistryServer.PASSWORD);
                request.addServer(creds);
                org.apache.maven.settings.Server signing = new org.apache.maven.settings.Server();
                signing.setId("release-signing");
                signing.setPassphrase(cipher.encryptAndDecorate(passphrase, "the-master"));
                request.addServer(signing);
                @SuppressWarnings("deprecation")
                org.apache.maven.execution.MavenSession session = new org.apache.maven.execution.MavenSession(null, null,
                        request, new org.apache.maven.execution.DefaultMavenExecutionResult());
                PushMojo mojo = mojo("registry", secure.host(), "insecure", false, "caFile", secure.caFile.toFile(),
                        "signKey", dir.resolve("key.pem").toFile(), "signServerId", "release-signing",
                        "session", session, "settingsDecrypter", decrypter, "skipSbom", true);
                mojo.setLog(new dev.archcore.testing.RecordingMavenLog(lines));
                if (passphrase.startsWith("wrong")) {
                    org.assertj.core.api.Assertions.assertThatThrownBy(mojo::execute)
                            .isInstanceOf(org.apache.maven.plugin.MojoFailureException.class)
                            .hasMessageContaining("cannot decrypt the image signing key " + dir.resolve("key.pem"))
                            .hasMessageNotContaining(passphrase);
                } else {
                    mojo.execute();
                }
            }
            assertThat(lines).noneMatch(l -> l.contains("open-Sesame-42") || l.contains("wrong-Passphrase-1"));
            // the public key written for the nodes is the user's key's
            assertThat(Files.readString(target.resolve("archcore/image-signing.pub")).strip())
                    .isEqualTo(Files.readString(dir.resolve("key.pub")).strip());
            String sigTag = digest.replace(':', '-') + ".sig";
            JsonNode sig = JSON.readTree(Tools.run(tmp, "skopeo", "inspect", "--raw", "--cert-dir", secure.certDir.toString(),
                    "--creds", RegistryServer.USER + ":" + RegistryServer.PASSWORD,
                    "docker://" + secure.host() + "/archcore/demo-app:" + sigTag).ok("skopeo inspect .sig").text());
            assertThat(sig.path("layers")).hasSize(1);
            assertThat(sig.path("layers").get(0).path("annotations").path("dev.cosignproject.cosign/signature").asText()).isNotEmpty();
        }
    }
}
