package dev.archcore.image;

import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

/**
 * The keyring's "Pacman Keyring Master Key": an Ed25519 key (deterministic signatures) derived from a secret seed
 * and a time, which locally signs the trusted keys as {@code pacman-key --lsign-key} does. Only its public half
 * leaves this class.
 */
final class MasterKey {
    static final String USER_ID = "Pacman Keyring Master Key <pacman@localhost>";

    private final PGPKeyPair pair;
    private final PGPPublicKeyRing ring;
    private final Date time;

    private MasterKey(PGPKeyPair pair, PGPPublicKeyRing ring, Date time) {
        this.pair = pair;
        this.ring = ring;
        this.time = time;
    }

    static MasterKey derive(byte[] seed, long epochSeconds) {
        if (seed == null || seed.length < 16) {
            throw new ImageBuildException("the pacman keyring needs a secret seed of at least 16 bytes for its master key");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(seed, "HmacSHA256"));
            byte[] secret = mac.doFinal(("archcore pacman keyring master key " + epochSeconds).getBytes(StandardCharsets.UTF_8));
            Ed25519PrivateKeyParameters priv = new Ed25519PrivateKeyParameters(secret, 0);
            Date time = new Date(epochSeconds * 1000);
            PGPKeyPair pair = new BcPGPKeyPair(PublicKeyAlgorithmTags.EDDSA_LEGACY,
                    new AsymmetricCipherKeyPair(priv.generatePublicKey(), priv), time);
            PGPSignatureSubpacketGenerator hashed = subpackets(time, pair.getPublicKey());
            hashed.setKeyFlags(false, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
            PGPSignature self = generator(pair, PGPSignature.POSITIVE_CERTIFICATION, hashed)
                    .generateCertification(USER_ID, pair.getPublicKey());
            PGPPublicKey pub = PGPPublicKey.addCertification(pair.getPublicKey(), USER_ID, self);
            return new MasterKey(pair, new PGPPublicKeyRing(List.of(pub)), time);
        } catch (GeneralSecurityException | PGPException e) {
            throw new ImageBuildException("cannot make the pacman keyring master key: " + e.getMessage(), e);
        }
    }

    PGPPublicKeyRing ring() {
        return ring;
    }

    String fingerprint() {
        return HexFormat.of().withUpperCase().formatHex(pair.getPublicKey().getFingerprint());
    }

    /** The key with a non-exportable certification of each of its user IDs. */
    PGPPublicKeyRing localSign(PGPPublicKeyRing target) {
        try {
            PGPPublicKey key = target.getPublicKey();
            List<String> ids = new ArrayList<>();
            for (Iterator<String> it = key.getUserIDs(); it.hasNext(); ) {
                ids.add(it.next());
            }
            for (String id : ids) {
                PGPSignatureSubpacketGenerator hashed = subpackets(time, pair.getPublicKey());
                hashed.setExportable(false, false);
                PGPSignature cert = generator(pair, PGPSignature.DEFAULT_CERTIFICATION, hashed)
                        .generateCertification(id, key);
                key = PGPPublicKey.addCertification(key, id, cert);
            }
            return PGPPublicKeyRing.insertPublicKey(target, key);
        } catch (PGPException e) {
            throw new ImageBuildException("cannot sign a key of the pacman keyring: " + e.getMessage(), e);
        }
    }

    private static PGPSignatureSubpacketGenerator subpackets(Date time, PGPPublicKey issuer) {
        PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
        hashed.setSignatureCreationTime(false, time);
        hashed.setIssuerFingerprint(false, issuer);
        return hashed;
    }

    private static PGPSignatureGenerator generator(PGPKeyPair pair, int type, PGPSignatureSubpacketGenerator hashed)
            throws PGPException {
        PGPSignatureGenerator gen = new PGPSignatureGenerator(
                new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, HashAlgorithmTags.SHA512),
                pair.getPublicKey());
        gen.init(type, pair.getPrivateKey());
        gen.setHashedSubpackets(hashed.generate());
        return gen;
    }
}
