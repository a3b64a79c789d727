package dev.archcore.registry.signing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.registry.PushRequest;
import dev.archcore.registry.PushResult;
import dev.archcore.registry.RegistryClient;
import dev.archcore.registry.RegistryReference;
import dev.archcore.registry.TestLayouts;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Signatures archcore:push attaches, judged as a node judges them: skopeo with policy.json and
 * {@code use-sigstore-attachments} ({@link SigstoreJudge}; openssl checks the signatures where Debian's skopeo has
 * the check patched out). A signed image is accepted; a wrong public key, a replaced image, a tampered signature
 * or payload, an unsigned image are refused. Against the real distribution registry.
 */
class SignaturePushTest {
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

    static String layout(String name, long seed) {
        return TestLayouts.write(tmp.resolve(name), "1.0", List.of(new TestLayouts.Layer("usr/bin/app", 20_000, seed)));
    }

    static PushResult push(String layout, String repo, SigningKey key, List<String> tags) {
        PushRequest request = new PushRequest(tmp.resolve(layout), new RegistryReference(registry.host(), repo, tags))
                .insecure(true).log(Log.NONE);
        if (key != null) {
            request.attach(List.of(new SignaturePush(new CosignSigner(key, "archcore test"))));
        }
        return RegistryClient.push(request);
    }

    static SigstoreJudge.Verdict verify(String repo, String tag, Path publicKey) throws Exception {
        return SigstoreJudge.verify(tmp, registry.host(), repo, tag, publicKey);
    }

    static void accepted(String repo, String tag, Path publicKey) throws Exception {
        SigstoreJudge.Verdict v = verify(repo, tag, publicKey);
        assertThat(v.accepted()).as(repo + ":" + tag + " refused by " + v.by() + ": " + v.reasons()).isTrue();
    }

    static void refused(String repo, String tag, Path publicKey, String reason) throws Exception {
        SigstoreJudge.Verdict v = verify(repo, tag, publicKey);
        assertThat(v.accepted()).as(repo + ":" + tag + " accepted by " + v.by()).isFalse();
        assertThat(v.reasons()).contains(reason);
    }

    @Test
    void skopeoAcceptsTheSignedImageWithTheMatchingKeyOnlyAndTheDigestStays() throws Exception {
        String digest = layout("signed", 1);
        SigningKey key = SigningKey.ensure(tmp.resolve("pki"), Log.NONE);
        PushResult result = push("signed", "app/signed", key, List.of("1.0", "latest"));
        assertThat(result.digest()).isEqualTo(digest);
        assertThat(result.attached()).containsExactly("signature " + registry.host() + "/app/signed:"
                + digest.replace(':', '-') + ".sig");
        Path pub = tmp.resolve("pki/image-signing.pub");
        for (String tag : List.of("1.0", "latest")) {
            // each tag has its own signature, naming it exactly (the default identity rule, matchRepoDigestOrExact)
            accepted("app/signed", tag, pub);
        }
        // the image's digest is what it was: the signature is beside it, not in it
        assertThat(inspectDigest(registry.host() + "/app/signed:1.0")).isEqualTo(digest);

        // (a) another key: refused
        SigningKey other = SigningKey.ensure(tmp.resolve("other-pki"), Log.NONE);
        refused("app/signed", "1.0", tmp.resolve("other-pki/image-signing.pub"), "cryptographic signature verification failed");
        assertThat(other.publicKeyPem()).isNotEqualTo(key.publicKeyPem());
    }

    @Test
    void anUnsignedImageIsRefused() throws Exception {
        layout("unsigned", 2);
        SigningKey key = SigningKey.ensure(tmp.resolve("pki"), Log.NONE);
        push("unsigned", "app/unsigned", null, List.of("1.0"));
        refused("app/unsigned", "1.0", tmp.resolve("pki/image-signing.pub"), "A signature was required, but no signature exists");
        assertThat(key).isNotNull();
    }

    @Test
    void aReplacedImageWithTheOldSignatureCopiedToItIsRefused() throws Exception {
        String good = layout("good", 3);
        SigningKey key = SigningKey.ensure(tmp.resolve("pki"), Log.NONE);
        push("good", "app/swapped", key, List.of("1.0"));
        // the attacker pushes another image under the tag and copies the good image's signature manifest to it
        String evil = layout("evil", 4);
        push("evil", "app/swapped", null, List.of("1.0"));
        byte[] sig = get("/v2/app/swapped/manifests/" + SignaturePush.tag(good));
        put("/v2/app/swapped/manifests/" + SignaturePush.tag(evil), sig, "application/vnd.oci.image.manifest.v1+json");
        refused("app/swapped", "1.0", tmp.resolve("pki/image-signing.pub"), "Signature for digest " + good + " does not match");
    }

    @Test
    void aTamperedSignatureOrPayloadIsRefused() throws Exception {
        String digest = layout("tampered", 5);
        SigningKey key = SigningKey.ensure(tmp.resolve("pki"), Log.NONE);
        push("tampered", "app/tampered", key, List.of("1.0"));
        String sigPath = "/v2/app/tampered/manifests/" + SignaturePush.tag(digest);
        byte[] original = get(sigPath);

        // one byte of the signature changed
        ObjectNode m = (ObjectNode) JSON.readTree(original);
        ObjectNode annotations = (ObjectNode) m.path("layers").get(0).path("annotations");
        byte[] raw = java.util.Base64.getDecoder().decode(annotations.path(CosignSigner.SIGNATURE_ANNOTATION).asText());
        raw[raw.length - 3] ^= 1;
        annotations.put(CosignSigner.SIGNATURE_ANNOTATION, java.util.Base64.getEncoder().encodeToString(raw));
        put(sigPath, JSON.writeValueAsBytes(m), "application/vnd.oci.image.manifest.v1+json");
        refused("app/tampered", "1.0", tmp.resolve("pki/image-signing.pub"), "cryptographic signature verification failed");

        // the payload replaced (another identity), the signature kept
        m = (ObjectNode) JSON.readTree(original);
        ObjectNode layer = (ObjectNode) m.path("layers").get(0);
        byte[] payload = SigstoreJudge.blob(registry.host(), "app/tampered", layer.path("digest").asText());
        byte[] forged = new String(payload, StandardCharsets.UTF_8).replace("app/tampered:1.0", "app/tampered:2.0")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(forged).isNotEqualTo(payload);
        String forgedDigest = uploadBlob("app/tampered", forged);
        layer.put("digest", forgedDigest).put("size", forged.length);
        put(sigPath, JSON.writeValueAsBytes(m), "application/vnd.oci.image.manifest.v1+json");
        refused("app/tampered", "1.0", tmp.resolve("pki/image-signing.pub"), "cryptographic signature verification failed");

        // the original back: accepted again (the refusals were the tampering's)
        put(sigPath, original, "application/vnd.oci.image.manifest.v1+json");
        accepted("app/tampered", "1.0", tmp.resolve("pki/image-signing.pub"));
    }

    @Test
    void signaturesAlreadyThereAreKeptAndOwnOnesAreNotPiledUp() throws Exception {
        String digest = layout("resigned", 6);
        SigningKey first = SigningKey.ensure(tmp.resolve("first-pki"), Log.NONE);
        SigningKey second = SigningKey.ensure(tmp.resolve("second-pki"), Log.NONE);
        push("resigned", "app/resigned", first, List.of("1.0"));
        push("resigned", "app/resigned", second, List.of("1.0"));
        push("resigned", "app/resigned", second, List.of("1.0"));
        JsonNode sig = JSON.readTree(get("/v2/app/resigned/manifests/" + SignaturePush.tag(digest)));
        assertThat(sig.path("layers")).hasSize(2);
        assertThat(sig.path("config").path("mediaType").asText()).isEqualTo("application/vnd.oci.image.config.v1+json");
        JsonNode config = JSON.readTree(SigstoreJudge.blob(registry.host(), "app/resigned", sig.path("config").path("digest").asText()));
        assertThat(config.path("rootfs").path("diff_ids").get(1).asText()).isEqualTo(sig.path("layers").get(1).path("digest").asText());
        // each key's signature is accepted by skopeo
        accepted("app/resigned", "1.0", tmp.resolve("first-pki/image-signing.pub"));
        accepted("app/resigned", "1.0", tmp.resolve("second-pki/image-signing.pub"));
    }

    @Test
    void somethingElseUnderTheSignatureTagFailsThePushSayingTheImageIsThere() throws Exception {
        String digest = layout("occupied", 8);
        SigningKey key = SigningKey.ensure(tmp.resolve("pki"), Log.NONE);
        put("/v2/app/occupied/manifests/" + SignaturePush.tag(digest),
                "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}"
                        .getBytes(StandardCharsets.UTF_8), "application/vnd.oci.image.index.v1+json");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> push("occupied", "app/occupied", key, List.of("1.0")))
                .isInstanceOf(dev.archcore.registry.RegistryException.class)
                .hasMessageContaining("The image was pushed (" + registry.host() + "/app/occupied@" + digest
                        + "), but attaching its signature failed")
                .hasMessageContaining("is not an OCI image manifest of signatures");
        assertThat(inspectDigest(registry.host() + "/app/occupied:1.0")).isEqualTo(digest);
    }

    @Test
    void theGeneratedKeyIsPrivateAndAKeyTheUserNamesIsRead() throws Exception {
        Path pki = tmp.resolve("perm-pki");
        SigningKey made = SigningKey.ensure(pki, Log.NONE);
        assertThat(Files.getPosixFilePermissions(pki.resolve("image-signing.key")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(SigningKey.ensure(pki, Log.NONE).publicKeyPem()).isEqualTo(made.publicKeyPem());
        // openssl's public key of the file is the one written beside it
        String openssl = Tools.run(pki, "openssl", "pkey", "-in", "image-signing.key", "-pubout").ok("openssl pkey").text();
        assertThat(openssl.strip()).isEqualTo(Files.readString(pki.resolve("image-signing.pub")).strip());

        // an encrypted key made by openssl, its passphrase given
        Path dir = Files.createDirectories(tmp.resolve("user-key"));
        Tools.run(dir, "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "plain.pem")
                .ok("openssl genpkey");
        Tools.run(dir, "openssl", "pkcs8", "-topk8", "-in", "plain.pem", "-out", "enc.pem", "-passout", "pass:sesame",
                "-v2", "aes-256-cbc").ok("openssl pkcs8");
        Tools.run(dir, "openssl", "pkey", "-in", "plain.pem", "-pubout", "-out", "enc.pub").ok("openssl pubout");
        SigningKey user = SigningKey.read(dir.resolve("enc.pem"), "sesame".toCharArray());
        assertThat(user.publicKeyPem().strip()).isEqualTo(Files.readString(dir.resolve("enc.pub")).strip());
        String digest = layout("userkey", 7);
        push("userkey", "app/userkey", user, List.of("1.0"));
        accepted("app/userkey", "1.0", dir.resolve("enc.pub"));
        assertThat(digest).startsWith("sha256:");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SigningKey.read(dir.resolve("enc.pem"), null))
                .isInstanceOf(SigningException.class).hasMessageContaining("is encrypted and no passphrase was given");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SigningKey.read(dir.resolve("enc.pem"), "wrong".toCharArray()))
                .isInstanceOf(SigningException.class).hasMessageContaining("the passphrase is wrong")
                .hasMessageNotContaining("wrong\"");
        Tools.run(dir, "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp384r1", "-out", "p384.pem")
                .ok("openssl genpkey p384");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SigningKey.read(dir.resolve("p384.pem"), null))
                .isInstanceOf(SigningException.class).hasMessageContaining("not an ECDSA P-256 key");
    }

    // ---- plain HTTP to the test registry, as an attacker with push access would write it

    static String inspectDigest(String reference) throws IOException {
        String out = Tools.run(tmp, "skopeo", "inspect", "--tls-verify=false", "docker://" + reference).ok("skopeo inspect").text();
        return JSON.readTree(out).path("Digest").asText();
    }

    static byte[] get(String path) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + registry.host() + path))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as("GET " + path).isEqualTo(200);
        return r.body();
    }

    static void put(String path, byte[] body, String type) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + registry.host() + path))
                .header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("PUT " + path + ": " + r.body()).isEqualTo(201);
    }

    static String uploadBlob(String repo, byte[] blob) throws Exception {
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> start = http.send(HttpRequest.newBuilder(URI.create("http://" + registry.host() + "/v2/" + repo
                + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        String location = start.headers().firstValue("Location").orElseThrow();
        URI put = URI.create("http://" + registry.host() + "/").resolve(location);
        put = URI.create(put + (put.getQuery() == null ? "?" : "&") + "digest=" + digest);
        HttpResponse<String> done = http.send(HttpRequest.newBuilder(put).PUT(HttpRequest.BodyPublishers.ofByteArray(blob))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(done.statusCode()).as("blob upload: " + done.body()).isEqualTo(201);
        return digest;
    }

}
