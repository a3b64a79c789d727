package dev.archcore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.registry.signing.SigstoreJudge;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SBOMs of a multi-architecture image go up as referrers of each architecture's manifest (the tag-schema
 * fallback of distribution 2.8, read back with skopeo); an SBOM left from an earlier single-architecture build
 * is not attached to the index.
 */
class ReferrerPushTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path tmp;
    static RegistryServer registry;

    @BeforeAll
    static void start() {
        registry = RegistryServer.plain(tmp.resolve("registry"));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void eachArchitecturesSbomRefersToItsManifest() throws Exception {
        Path archcore = Files.createDirectories(tmp.resolve("target/archcore"));
        Path index = archcore.resolve("image");
        Path blobs = Files.createDirectories(index.resolve("blobs/sha256"));
        ArrayNode manifests = JSON.createArrayNode();
        String[][] archs = {{"x86_64", "amd64"}, {"i686", "386"}};
        for (int i = 0; i < archs.length; i++) {
            Path one = archcore.resolve("image-" + archs[i][0]);
            String digest = TestLayouts.write(one, "1.0", List.of(new TestLayouts.Layer("usr/bin/app", 5_000, 20 + i)));
            Files.writeString(archcore.resolve("image-" + archs[i][0] + ".digest"), digest);
            Files.writeString(archcore.resolve("image-" + archs[i][0] + ".spdx.json"), "{\"name\":\"" + archs[i][0] + "\"}");
            try (Stream<Path> files = Files.list(one.resolve("blobs/sha256"))) {
                for (Path f : files.toList()) {
                    Files.copy(f, blobs.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            ObjectNode d = manifests.addObject().put("mediaType", RegistryClient.OCI_MANIFEST).put("digest", digest)
                    .put("size", Files.size(blobs.resolve(digest.substring(7))));
            d.putObject("platform").put("architecture", archs[i][1]).put("os", "linux");
        }
        // a stale SBOM of an earlier one-architecture build, and one of an architecture not in this index
        Files.writeString(archcore.resolve("image.spdx.json"), "{\"name\":\"stale\"}");
        Files.writeString(archcore.resolve("image-aarch64.digest"), "sha256:" + "0".repeat(64));
        Files.writeString(archcore.resolve("image-aarch64.spdx.json"), "{\"name\":\"aarch64\"}");
        ObjectNode top = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", "application/vnd.oci.image.index.v1+json");
        top.set("manifests", manifests);
        byte[] topBytes = JSON.writeValueAsBytes(top);
        String indexDigest = Digests.sha256(topBytes);
        Files.write(blobs.resolve(indexDigest.substring(7)), topBytes);
        ObjectNode layoutIndex = JSON.createObjectNode().put("schemaVersion", 2);
        ObjectNode ref = layoutIndex.putArray("manifests").addObject().put("mediaType", "application/vnd.oci.image.index.v1+json")
                .put("digest", indexDigest).put("size", topBytes.length);
        ref.putObject("annotations").put("org.opencontainers.image.ref.name", "1.0");
        Files.write(index.resolve("index.json"), JSON.writeValueAsBytes(layoutIndex));
        Files.writeString(index.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");

        List<ReferrerPush> sboms = ReferrerPush.besideLayout(index, indexDigest);
        assertThat(sboms).extracting(r -> r.sbom().getFileName().toString())
                .containsExactly("image-i686.spdx.json", "image-x86_64.spdx.json");
        PushResult result = RegistryClient.push(new PushRequest(index, new RegistryReference(registry.host(), "multi/app",
                List.of("1.0"))).image(indexDigest).insecure(true).log(Log.NONE).attach(List.<Attachment>copyOf(sboms)));
        assertThat(result.digest()).isEqualTo(indexDigest);

        for (int i = 0; i < archs.length; i++) {
            String child = manifests.get(i).path("digest").asText();
            String out = Tools.run(tmp, "skopeo", "inspect", "--raw", "--tls-verify=false",
                    "docker://" + registry.host() + "/multi/app:" + child.replace(':', '-')).ok("skopeo inspect fallback").text();
            JsonNode referrers = JSON.readTree(out);
            assertThat(referrers.path("manifests")).hasSize(1);
            assertThat(referrers.path("manifests").get(0).path("artifactType").asText()).isEqualTo("application/spdx+json");
            JsonNode m = JSON.readTree(Tools.run(tmp, "skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"
                    + registry.host() + "/multi/app@" + referrers.path("manifests").get(0).path("digest").asText())
                    .ok("skopeo inspect referrer").text());
            assertThat(m.path("subject").path("digest").asText()).isEqualTo(child);
            byte[] sbom = SigstoreJudge.blob(registry.host(), "multi/app", m.path("layers").get(0).path("digest").asText());
            assertThat(new String(sbom)).isEqualTo("{\"name\":\"" + archs[i][0] + "\"}");
        }
        // nothing refers to the index itself (the stale one-architecture SBOM stayed home)
        Tools.Output none = Tools.run(tmp, "skopeo", "inspect", "--raw", "--tls-verify=false",
                "docker://" + registry.host() + "/multi/app:" + indexDigest.replace(':', '-'));
        assertThat(none.exitCode()).isNotZero();
    }
}
