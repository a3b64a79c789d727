package dev.archcore.pacman;

import dev.archcore.util.AtomicFiles;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.SignatureSubpacketTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;

/**
 * Makes detached binary OpenPGP signatures, like {@code gpg --detach-sign --no-armor}: what
 * {@code makepkg --sign} writes next to a package and what pacman verifies.
 *
 * <p>The key comes from a {@code gpg --export-secret-keys} file (binary or ASCII-armored), so a
 * build needs neither gpg nor a gpg-agent. Uses Bouncy Castle's lightweight API (no JCA provider
 * registration), which signs both RSA and EdDSA legacy (algorithm 22, gpg's {@code ed25519}).
 */
public final class PackageSigner {

    /** A signing problem the user must fix; the message is one sentence saying what to do. */
    public static final class SigningException extends PackageBuildException {
        private static final long serialVersionUID = 1L;

        public SigningException(String message) {
            super(message);
        }

        public SigningException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final String PASSPHRASE_HINT =
            "set the key's passphrase (settings.xml server password or ARCHCORE_GPG_PASSPHRASE)";

    private final PGPPrivateKey privateKey;
    private final PGPPublicKey publicKey;

    private PackageSigner(PGPPrivateKey privateKey, PGPPublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /**
     * Loads and unlocks a signing key.
     *
     * @param keyring    a {@code gpg --export-secret-keys} file, binary or ASCII-armored
     * @param keyId      a fingerprint, long or short key id in hex (optional {@code 0x}, any case,
     *                   spaces ignored), or null for the first usable signing key
     * @param passphrase the key's passphrase; null or empty for an unprotected key
     */
    public static PackageSigner fromSecretKeyring(Path keyring, String keyId, char[] passphrase) {
        String asked = keyId == null || keyId.isBlank() ? "the first signing key" : keyId.strip();
        PGPSecretKeyRingCollection rings = readKeyring(keyring);
        PGPSecretKey secretKey = keyId == null || keyId.isBlank()
                ? firstSigningKey(rings, keyring)
                : requestedKey(rings, keyring, keyId);

        if (secretKey.isPrivateKeyEmpty()) {
            // gpg exports a stub when the secret lives on a smartcard or was left out on export
            throw new SigningException("key " + hex(secretKey) + " in " + keyring
                    + " has no secret part (smartcard or stub), asked for " + asked
                    + ": export a key whose secret is on this machine with gpg --export-secret-keys");
        }
        char[] pass = passphrase == null ? new char[0] : passphrase;
        boolean protectedKey = secretKey.getS2KUsage() != 0;
        if (protectedKey && pass.length == 0) {
            throw new SigningException("key " + hex(secretKey) + " in " + keyring
                    + " is passphrase-protected but no passphrase was given for " + asked + ": "
                    + PASSPHRASE_HINT);
        }
        PGPPrivateKey privateKey;
        try {
            privateKey = secretKey.extractPrivateKey(
                    new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(pass));
        } catch (PGPException | RuntimeException e) {
            // a wrong passphrase shows up as a checksum or padding failure while decrypting
            String what = protectedKey ? "wrong passphrase for key " : "cannot read the secret of key ";
            String todo = protectedKey ? PASSPHRASE_HINT
                    : "re-export it with gpg --export-secret-keys";
            throw new SigningException(what + hex(secretKey) + " in " + keyring + " (asked for "
                    + asked + "): " + todo, e);
        }
        return new PackageSigner(privateKey, secretKey.getPublicKey());
    }

    /** The signing key's fingerprint, uppercase hex, as gpg prints it without spaces. */
    public String fingerprint() {
        return HexFormat.of().withUpperCase().formatHex(publicKey.getFingerprint());
    }

    /**
     * Signs everything read from {@code data} and returns a binary detached signature.
     *
     * @param signatureTime the signature's creation time (for reproducible builds the build
     *                      timestamp); clamped to the key's creation time, null means now
     */
    public byte[] sign(InputStream data, Instant signatureTime) {
        try {
            PGPSignatureGenerator generator = new PGPSignatureGenerator(
                    new BcPGPContentSignerBuilder(publicKey.getAlgorithm(), HashAlgorithmTags.SHA256),
                    publicKey);
            generator.init(PGPSignature.BINARY_DOCUMENT, privateKey);

            // all three hashed, so Bouncy Castle adds nothing of its own (it would stamp "now")
            PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
            hashed.setSignatureCreationTime(false, Date.from(effectiveTime(signatureTime)));
            hashed.setIssuerFingerprint(false, publicKey);
            hashed.setIssuerKeyID(false, publicKey.getKeyID());
            generator.setHashedSubpackets(hashed.generate());

            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = data.read(buffer)) != -1; ) {
                generator.update(buffer, 0, n);
            }
            return generator.generate().getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (PGPException e) {
            throw new SigningException("signing with key " + fingerprint() + " failed (" + e.getMessage()
                    + "): check that the key is an RSA or Ed25519 signing key", e);
        }
    }

    /**
     * Signs {@code file} into {@code signatureOut} (usually {@code file + ".sig"}). The signature
     * is written beside its target and moved into place, so a reader never sees half a file.
     */
    public void signDetached(Path file, Path signatureOut, Instant signatureTime) {
        byte[] signature;
        try (InputStream in = Files.newInputStream(file)) {
            signature = sign(in, signatureTime);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Path target = signatureOut.toAbsolutePath();
        try {
            AtomicFiles.write(target, out -> out.write(signature));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    private Instant effectiveTime(Instant requested) {
        // OpenPGP stores whole seconds; gpg rejects a signature older than its key
        // ("key created in the future"), which a reproducible build timestamp easily is
        Instant created = publicKey.getCreationTime().toInstant();
        Instant time = requested == null ? Instant.now() : requested;
        return (time.isBefore(created) ? created : time).truncatedTo(ChronoUnit.SECONDS);
    }

    private static PGPSecretKeyRingCollection readKeyring(Path keyring) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(keyring);
        } catch (NoSuchFileException e) {
            throw new SigningException("signing keyring " + keyring + " does not exist: export the key with"
                    + " gpg --export-secret-keys KEYID > " + keyring, e);
        } catch (IOException e) {
            throw new SigningException("cannot read signing keyring " + keyring + " (" + e.getMessage()
                    + "): check the path and its permissions", e);
        }
        // getDecoderStream sniffs the first bytes and strips ASCII armor when present
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(bytes))) {
            PGPSecretKeyRingCollection rings =
                    new PGPSecretKeyRingCollection(in, new BcKeyFingerprintCalculator());
            if (rings.size() == 0) {
                throw new PGPException("no secret keys found");
            }
            return rings;
        } catch (IOException | PGPException | RuntimeException e) {
            throw new SigningException("signing keyring " + keyring + " holds no readable secret keys ("
                    + e.getMessage() + "): export one with gpg --export-secret-keys, not --export", e);
        }
    }

    private static PGPSecretKey firstSigningKey(PGPSecretKeyRingCollection rings, Path keyring) {
        for (PGPSecretKeyRing ring : rings) {
            for (PGPSecretKey key : ring) {
                if (unusableReason(key, ring) == null && !key.isPrivateKeyEmpty()) {
                    return key;
                }
            }
        }
        throw new SigningException("signing keyring " + keyring + " has no usable signing key (keys: "
                + describe(rings) + "): export a secret key that can sign and is neither revoked nor expired");
    }

    private static PGPSecretKey requestedKey(PGPSecretKeyRingCollection rings, Path keyring, String keyId) {
        String want = keyId.replaceAll("\\s", "").toUpperCase(Locale.ROOT);
        if (want.startsWith("0X")) {
            want = want.substring(2);
        }
        if (!want.matches("[0-9A-F]{8}|[0-9A-F]{16}|[0-9A-F]{40}|[0-9A-F]{64}")) {
            throw new SigningException("key id '" + keyId + "' for " + keyring + " is not a fingerprint,"
                    + " long or short key id in hex: use the fingerprint from gpg --list-secret-keys");
        }
        for (PGPSecretKeyRing ring : rings) {
            for (PGPSecretKey key : ring) {
                if (matches(key, want)) {
                    String reason = unusableReason(key, ring);
                    if (reason != null) {
                        throw new SigningException("key " + hex(key) + " in " + keyring + " (asked for " + keyId
                                + ") cannot sign (" + reason + "): choose a valid signing key or subkey from"
                                + " gpg --list-secret-keys --with-subkey-fingerprints");
                    }
                    return key;
                }
            }
        }
        throw new SigningException("no secret key " + keyId + " in " + keyring + " (it holds "
                + describe(rings) + "): set the key id to one of these or export the right key"
                + " with gpg --export-secret-keys " + keyId);
    }

    private static boolean matches(PGPSecretKey key, String want) {
        String fingerprint = hex(key);
        String longId = String.format("%016X", key.getKeyID());
        return switch (want.length()) {
            case 8 -> longId.endsWith(want);
            case 16 -> longId.equals(want);
            default -> fingerprint.equals(want);
        };
    }

    /** Why the key cannot sign, or null if it can. */
    private static String unusableReason(PGPSecretKey key, PGPSecretKeyRing ring) {
        PGPPublicKey pub = key.getPublicKey();
        if (!key.isSigningKey()) {
            return "encryption only";
        }
        Integer flags = keyFlags(pub, ring.getPublicKey().getKeyID());
        if (flags != null && (flags & KeyFlags.SIGN_DATA) == 0) {
            return "not marked for signing";
        }
        if (pub.hasRevocation()) {
            return "revoked";
        }
        long valid = pub.getValidSeconds();
        if (valid > 0 && pub.getCreationTime().toInstant().plusSeconds(valid).isBefore(Instant.now())) {
            return "expired";
        }
        return null;
    }

    /** Key flags from the newest self-signature or binding signature that has them. */
    private static Integer keyFlags(PGPPublicKey pub, long primaryKeyId) {
        PGPSignature newest = null;
        for (Iterator<PGPSignature> it = pub.getSignatures(); it.hasNext(); ) {
            PGPSignature sig = it.next();
            boolean selfSig = sig.getKeyID() == primaryKeyId
                    && (sig.isCertification() || sig.getSignatureType() == PGPSignature.DIRECT_KEY
                    || sig.getSignatureType() == PGPSignature.SUBKEY_BINDING);
            if (selfSig && sig.getHashedSubPackets() != null
                    && sig.getHashedSubPackets().hasSubpacket(SignatureSubpacketTags.KEY_FLAGS)
                    && (newest == null || sig.getCreationTime().after(newest.getCreationTime()))) {
                newest = sig;
            }
        }
        return newest == null ? null : newest.getHashedSubPackets().getKeyFlags();
    }

    private static String describe(PGPSecretKeyRingCollection rings) {
        List<String> keys = new ArrayList<>();
        for (PGPSecretKeyRing ring : rings) {
            for (PGPSecretKey key : ring) {
                String reason = unusableReason(key, ring);
                keys.add(reason == null ? hex(key) : hex(key) + " " + reason);
            }
        }
        return keys.isEmpty() ? "none" : String.join(", ", keys);
    }

    private static String hex(PGPSecretKey key) {
        return HexFormat.of().withUpperCase().formatHex(key.getPublicKey().getFingerprint());
    }
}
