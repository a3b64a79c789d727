package dev.archcore.registry.signing;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.archcore.util.Json;

import java.security.GeneralSecurityException;
import java.security.Signature;
import java.util.Base64;

/**
 * Signs an image digest as cosign does (and skopeo/containers-image verify it): the "simple signing" payload
 * naming the manifest digest and the image's reference, an ECDSA P-256 / SHA-256 signature over its bytes,
 * DER-encoded and base64'd into the {@code dev.cosignproject.cosign/signature} annotation.
 */
public final class CosignSigner {
    public static final String PAYLOAD_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
    static final String TYPE = "cosign container image signature";

    private final SigningKey key;
    private final String creator;

    /** @param creator the payload's {@code optional.creator} (e.g. {@code archcore 1.0}) */
    public CosignSigner(SigningKey key, String creator) {
        this.key = key;
        this.creator = creator;
    }

    public SigningKey key() {
        return key;
    }

    /**
     * The payload, keys in the order Go's encoding/json writes maps (sorted), as containers/image and cosign do.
     * No timestamp: the same image and name give the same payload, so a signature is not piled up again on each
     * push of the same digest (the signature itself is randomized, as ECDSA's are).
     *
     * @param dockerReference {@code host[:port]/name:tag}, what policy.json's {@code signedIdentity} matches
     */
    public byte[] payload(String manifestDigest, String dockerReference) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("critical");
            g.writeObjectFieldStart("identity");
            g.writeStringField("docker-reference", dockerReference);
            g.writeEndObject();
            g.writeObjectFieldStart("image");
            g.writeStringField("docker-manifest-digest", manifestDigest);
            g.writeEndObject();
            g.writeStringField("type", TYPE);
            g.writeEndObject();
            writeOptional(g);
            g.writeEndObject();
        });
    }

    private void writeOptional(JsonGenerator g) throws java.io.IOException {
        g.writeObjectFieldStart("optional");
        g.writeStringField("creator", creator);
        g.writeEndObject();
    }

    /** The base64 of the DER ECDSA signature of {@code payload} (SHA-256). */
    public String sign(byte[] payload) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(key.privateKey());
            s.update(payload);
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new SigningException("cannot sign with the image signing key " + key.source() + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code base64Signature} is this key's signature of {@code payload}. */
    public boolean verifies(byte[] payload, String base64Signature) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(key.publicKey());
            s.update(payload);
            return s.verify(Base64.getDecoder().decode(base64Signature));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }
}
