package dev.archcore.registry.signing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.testing.Tools;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Whether a node would run an image: skopeo copy under a policy.json that requires a sigstore signature by a public
 * key, with {@code use-sigstore-attachments} (the docs' node setup). Debian's skopeo 1.9.3 finds and reads the
 * signature attachments but has the signature check itself patched out ("Debian-local change: sigstore disabled");
 * there, what it found is checked as containers/image's prSigstoreSigned does, by other tools: openssl verifies the
 * ECDSA P-256/SHA-256 signature of the payload, the digest is skopeo's raw manifest's, the identity the reference's.
 */
public final class SigstoreJudge {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String DEBIAN_DISABLED = "Debian-local change: sigstore disabled";

    public record Verdict(boolean accepted, String by, String reasons) {
    }

    private SigstoreJudge() {
    }

    public static Verdict verify(Path work, String host, String repo, String tag, Path publicKey) throws Exception {
        Path dir = Files.createTempDirectory(work, "verify");
        ObjectNode requirement = JSON.createObjectNode().put("type", "sigstoreSigned").put("keyPath", publicKey.toString());
        ObjectNode policy = JSON.createObjectNode();
        policy.putArray("default").add(requirement);
        Files.write(dir.resolve("policy.json"), JSON.writeValueAsBytes(policy));
        Path registriesD = Files.createDirectories(dir.resolve("registries.d"));
        Files.writeString(registriesD.resolve("default.yaml"), "default-docker:\n  use-sigstore-attachments: true\n");
        String reference = host + "/" + repo + ":" + tag;
        Tools.Output copy = Tools.run(dir, "skopeo", "copy", "--policy", dir.resolve("policy.json").toString(),
                "--registries.d", registriesD.toString(), "--src-tls-verify=false", "docker://" + reference,
                "dir:" + dir.resolve("out"));
        if (copy.exitCode() == 0) {
            return new Verdict(true, "skopeo", "");
        }
        if (!copy.text().contains(DEBIAN_DISABLED)) {
            return new Verdict(false, "skopeo", copy.text());
        }
        // skopeo found sigstore signatures (the right tag, manifest and media types) but may not check them here
        byte[] image = raw(dir, "docker://" + reference);
        String digest = sha256(image);
        JsonNode sig = JSON.readTree(raw(dir, "docker://" + host + "/" + repo + ":" + digest.replace(':', '-') + ".sig"));
        List<String> reasons = new ArrayList<>();
        int i = 0;
        for (JsonNode layer : sig.path("layers")) {
            if (!layer.path("mediaType").asText().equals("application/vnd.dev.cosign.simplesigning.v1+json")) {
                continue;
            }
            Path payload = dir.resolve("payload-" + i);
            Path signature = dir.resolve("signature-" + i++);
            Files.write(payload, blob(host, repo, layer.path("digest").asText()));
            try {
                Files.write(signature, Base64.getDecoder().decode(layer.path("annotations")
                        .path("dev.cosignproject.cosign/signature").asText("")));
            } catch (IllegalArgumentException e) {
                reasons.add("base64 decoding: " + e.getMessage());
                continue;
            }
            Tools.Output openssl = Tools.run(dir, "openssl", "dgst", "-sha256", "-verify", publicKey.toString(),
                    "-signature", signature.toString(), payload.toString());
            if (openssl.exitCode() != 0 || !openssl.text().contains("Verified OK")) {
                reasons.add("cryptographic signature verification failed (openssl: " + openssl.text().strip() + ")");
                continue;
            }
            JsonNode p = JSON.readTree(Files.readAllBytes(payload));
            JsonNode critical = p.path("critical");
            String signedDigest = critical.path("image").path("docker-manifest-digest").asText();
            String identity = critical.path("identity").path("docker-reference").asText();
            if (!critical.path("type").asText().equals("cosign container image signature")) {
                reasons.add("Unrecognized signature type " + critical.path("type").asText());
            } else if (!signedDigest.equals(digest)) {
                reasons.add("Signature for digest " + signedDigest + " does not match");
            } else if (!identity.equals(reference)) {
                reasons.add("Signature for identity " + identity + " is not accepted");
            } else {
                return new Verdict(true, "skopeo+openssl", "");
            }
        }
        return new Verdict(false, "skopeo+openssl", reasons.isEmpty() ? copy.text() : String.join("; ", reasons));
    }

    private static byte[] raw(Path dir, String reference) throws IOException {
        Path out = dir.resolve("raw-" + System.nanoTime());
        Tools.run(dir, "sh", "-c", "skopeo inspect --raw --tls-verify=false '" + reference + "' > '" + out + "'")
                .ok("skopeo inspect --raw " + reference);
        return Files.readAllBytes(out);
    }

    public static byte[] blob(String host, String repo, String digest) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + host + "/v2/" + repo + "/blobs/" + digest)).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException("GET blob " + digest + ": HTTP " + r.statusCode());
        }
        return r.body();
    }

    static String sha256(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
