package dev.archcore.registry.signing;

import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Log;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;

/**
 * The ECDSA P-256 key images are signed with: the cluster PKI's {@code image-signing.key} (made on first use,
 * 0600, beside the CA, one per PKI folder and so per environment), or a PEM file the user names. Read: PKCS#8
 * ({@code PRIVATE KEY}, {@code ENCRYPTED PRIVATE KEY}) and OpenSSL's {@code EC PRIVATE KEY} (also encrypted).
 */
public record SigningKey(PrivateKey privateKey, PublicKey publicKey, String source) {
    public static final String KEY_FILE = "image-signing.key";
    public static final String PUBLIC_KEY_FILE = "image-signing.pub";
    private static final SecureRandom RANDOM = new SecureRandom();
    // the JDK has no AES/CBC/PKCS7Padding, which openssl's encrypted PKCS#8 (PBES2) needs: Bouncy Castle's own
    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    @Override
    public String toString() {
        return "SigningKey[" + source + "]";
    }

    /** The public key as PEM ({@code PUBLIC KEY}, SubjectPublicKeyInfo): what policy.json's {@code keyPath} names. */
    public String publicKeyPem() {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(publicKey);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    /**
     * The PKI folder's signing key, made (with its {@code .pub}) when missing. The private key file is 0600 in a
     * 0700 folder, as the CA's key is.
     */
    public static SigningKey ensure(Path pkiDirectory, Log log) {
        Path keyFile = pkiDirectory.resolve(KEY_FILE);
        Path pubFile = pkiDirectory.resolve(PUBLIC_KEY_FILE);
        try {
            if (!Files.isRegularFile(keyFile)) {
                Files.createDirectories(pkiDirectory);
                Files.setPosixFilePermissions(pkiDirectory, PosixFilePermissions.fromString("rwx------"));
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
                KeyPair pair = generator.generateKeyPair();
                StringWriter pem = new StringWriter();
                try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
                    writer.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(pair.getPrivate(), null));
                }
                AtomicFiles.write(keyFile, "rw-------", out -> out.write(pem.toString().getBytes(StandardCharsets.UTF_8)));
                log.info("Created the image signing key " + keyFile + " (ECDSA P-256, 0600); its public key is "
                        + pubFile + ": give it to the nodes (docs/signing.md)");
            }
            SigningKey key = read(keyFile, null);
            String pub = key.publicKeyPem();
            if (!Files.isRegularFile(pubFile) || !Files.readString(pubFile, StandardCharsets.UTF_8).equals(pub)) {
                AtomicFiles.write(pubFile, out -> out.write(pub.getBytes(StandardCharsets.UTF_8)));
            }
            return key;
        } catch (IOException | GeneralSecurityException e) {
            throw new SigningException("cannot create or read the image signing key " + keyFile + ": " + e.getMessage()
                    + ". Check the folder (archcore.pkiDirectory) is writable; delete a damaged key file to have a new "
                    + "one made (then give the nodes its new .pub)", e);
        }
    }

    /**
     * Reads an EC P-256 private key from a PEM file.
     *
     * @param passphrase for an encrypted key; null or empty when it is not encrypted
     */
    public static SigningKey read(Path file, char[] passphrase) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new SigningException("cannot read the image signing key " + file + ": " + e.getMessage()
                    + " (archcore.push.sign.key)", e);
        }
        PrivateKey key;
        try {
            PemObject pem;
            try (PemReader reader = new PemReader(new StringReader(text))) {
                pem = reader.readPemObject();
            }
            if (pem == null) {
                throw new SigningException(file + " holds no PEM private key (archcore.push.sign.key): give an EC P-256 "
                        + "key in PEM, e.g. from openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256");
            }
            if (pem.getType().startsWith("ENCRYPTED SIGSTORE") || pem.getType().startsWith("ENCRYPTED COSIGN")) {
                throw new SigningException(file + " is in cosign's own encrypted format (" + pem.getType() + "), which "
                        + "archcore does not read: give an EC P-256 key in openssl's PEM formats (PKCS#8 or EC PRIVATE KEY, "
                        + "encrypted or not) in archcore.push.sign.key, or leave it unset to use the cluster PKI's key");
            }
            key = bouncyCastle(text, passphrase, file);
        } catch (IOException e) {
            throw new SigningException("cannot read the image signing key " + file + ": " + e.getMessage()
                    + ". Give an EC P-256 private key in PEM (archcore.push.sign.key)", e);
        }
        if (!(key instanceof ECPrivateKey ec) || !isP256(ec)) {
            throw new SigningException("the image signing key " + file + " is not an ECDSA P-256 key (it is "
                    + key.getAlgorithm() + "): sigstore signatures here use ECDSA P-256 with SHA-256; make one with "
                    + "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256");
        }
        try {
            return new SigningKey(key, publicKey(ec), file.toString());
        } catch (GeneralSecurityException e) {
            throw new SigningException("cannot derive the public key of " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean isP256(ECPrivateKey key) {
        try {
            java.security.AlgorithmParameters p = java.security.AlgorithmParameters.getInstance("EC");
            p.init(new ECGenParameterSpec("secp256r1"));
            java.security.spec.ECParameterSpec p256 = p.getParameterSpec(java.security.spec.ECParameterSpec.class);
            return key.getParams().getCurve().equals(p256.getCurve()) && key.getParams().getGenerator().equals(p256.getGenerator());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PrivateKey bouncyCastle(String text, char[] passphrase, Path file) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (o instanceof PEMEncryptedKeyPair encrypted) {
                o = encrypted.decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(BC).build(need(passphrase, file)));
            } else if (o instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                o = encrypted.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(need(passphrase, file)));
            }
            if (o instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (o instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new SigningException(file + " holds a " + (o == null ? "non-PEM text" : o.getClass().getSimpleName())
                    + ", not a private key (archcore.push.sign.key)");
        } catch (PEMException | OperatorCreationException | PKCSException e) {
            throw new SigningException("cannot decrypt the image signing key " + file + ": the passphrase is wrong or the "
                    + "file is damaged (" + e.getMessage() + "). The passphrase comes from the settings.xml <server> named by "
                    + "archcore.push.sign.serverId, else ARCHCORE_SIGN_PASSPHRASE", e);
        }
    }

    private static char[] need(char[] passphrase, Path file) {
        if (passphrase == null || passphrase.length == 0) {
            throw new SigningException("the image signing key " + file + " is encrypted and no passphrase was given: put it "
                    + "in settings.xml as <server><id>archcore-signing</id><passphrase>...</passphrase></server> (or the "
                    + "server named by archcore.push.sign.serverId), or in ARCHCORE_SIGN_PASSPHRASE; never in the pom");
        }
        return passphrase;
    }

    /** The public point of a private key: d x G on the key's curve (PEM private keys do not always carry it). */
    static PublicKey publicKey(ECPrivateKey key) throws GeneralSecurityException {
        org.bouncycastle.jce.spec.ECParameterSpec bc = org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util
                .convertSpec(key.getParams());
        org.bouncycastle.math.ec.ECPoint q = bc.getG().multiply(key.getS()).normalize();
        ECPoint point = new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, key.getParams()));
    }
}
