package dev.archcore.testing;

import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPPrivateKey;
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

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Date;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * One set of real gpg test keys per test JVM, laid out as an Arch-style pacman keyring
 * ({@code archcore-test.gpg}, {@code -trusted}, {@code -revoked}) in {@link #keyringDir()}:
 * three master keys with marginal owner trust, and packager keys that show each verdict.
 */
public final class TestKeys {
    public static final String KEYRING = "archcore-test";

    private static TestKeys instance;

    private final Gpg gpg;
    private final Path root;
    public final String master1;
    public final String master2;
    public final String master3;
    /** Certified by all three masters: fully valid. */
    public final String packager;
    /** Certified by two masters: marginal, so untrusted unless TrustAll. */
    public final String marginal;
    /** Not in the keyring at all. */
    public final String stranger;
    /** Certified by all three but listed in the -revoked file. */
    public final String disabled;
    /** Certified by all three, then revoked by its owner. */
    public final String selfRevoked;
    /** Certified by all three; made ten days ago, expired eight days ago. */
    public final String expired;
    /** A project key whose signing is done by a subkey. */
    public final String subkeyOwner;
    public final String signingSubkey;
    private final long tenDaysAgo = Instant.now().minusSeconds(10 * 86_400).getEpochSecond();

    public static synchronized TestKeys get() {
        if (instance == null) {
            instance = new TestKeys();
            Runtime.getRuntime().addShutdownHook(new Thread(instance::cleanUp));
        }
        return instance;
    }

    private TestKeys() {
        try {
            // short path: gpg-agent's socket path must stay under ~100 characters
            root = Files.createTempDirectory(Path.of("/tmp"), "ackeys",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        gpg = new Gpg(root.resolve("g"));
        try {
            master1 = gpg.generate("Master One <m1@example.invalid>", "never", old());
            master2 = gpg.generate("Master Two <m2@example.invalid>", "never", old());
            master3 = gpg.generate("Master Three <m3@example.invalid>", "never", old());
            packager = certified("Packager <packager@example.invalid>", master1, master2, master3);
            marginal = certified("Marginal Packager <marginal@example.invalid>", master1, master2);
            stranger = gpg.generate("Stranger <stranger@example.invalid>", "never", old());
            disabled = certified("Disabled Packager <disabled@example.invalid>", master1, master2, master3);
            selfRevoked = certified("Revoked Packager <revoked@example.invalid>", master1, master2, master3);
            // gpg will not sign with a revoked key: sign first, then revoke
            Files.writeString(root.resolve("revoked-payload"), "signed before the key was revoked\n");
            gpg.sign(selfRevoked, root.resolve("revoked-payload"));
            gpg.revoke(selfRevoked);

            String faked = "--faked-system-time=" + tenDaysAgo;
            expired = gpg.generate("Expired Packager <expired@example.invalid>", "2d", faked);
            for (String m : new String[]{master1, master2, master3}) {
                gpg.run(java.util.List.of("gpg", "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
                        faked, "-u", m, "--quick-sign-key", expired)).ok("certify expired key");
            }

            subkeyOwner = gpg.generate("Project Key <project@example.invalid>", "never", old());
            gpg.run(java.util.List.of("gpg", "--batch", "--passphrase", "", "--quick-add-key", subkeyOwner, "ed25519",
                    "sign", "never")).ok("gpg --quick-add-key");
            String colons = gpg.run(java.util.List.of("gpg", "--with-colons", "--list-keys", subkeyOwner)).text();
            signingSubkey = colons.lines().filter(l -> l.startsWith("fpr:")).skip(1).findFirst()
                    .map(l -> l.split(":")[9]).orElseThrow();

            Path dir = Files.createDirectories(root.resolve("keyrings"));
            gpg.exportPublic(dir.resolve(KEYRING + ".gpg"), false, master1, master2, master3, packager, marginal,
                    disabled, selfRevoked, expired);
            Files.writeString(dir.resolve(KEYRING + "-trusted"),
                    "# the master keys, marginal owner trust like Arch's\n" + master1 + ":4:\n" + master2 + ":4:\n"
                            + master3 + ":4:\n");
            Files.writeString(dir.resolve(KEYRING + "-revoked"), disabled + "\n");
            gpg.exportPublic(root.resolve("project.asc"), true, subkeyOwner);
            gpg.exportPublic(root.resolve("stranger.asc"), true, stranger);
        } catch (IOException e) {
            cleanUp();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            // no shutdown hook yet: stop the gpg-agent and remove the keys now
            cleanUp();
            throw e;
        }
    }

    /** Keys are made eleven days ago, so that the expired key's certifications come after them. */
    private String old() {
        return "--faked-system-time=" + (tenDaysAgo - 86_400);
    }

    private String certified(String userId, String... masters) {
        String fpr = gpg.generate(userId, "never", old());
        for (String m : masters) {
            gpg.certify(m, fpr);
        }
        return fpr;
    }

    /** The pacman keyring directory: {@code archcore-test.gpg}, {@code -trusted}, {@code -revoked}. */
    public Path keyringDir() {
        return root.resolve("keyrings");
    }

    /** Armored public key of {@link #subkeyOwner}, for a project keyring. */
    public Path projectKeyFile() {
        return root.resolve("project.asc");
    }

    public Path strangerKeyFile() {
        return root.resolve("stranger.asc");
    }

    /** A file and its signature by {@link #selfRevoked}, made before the revocation. */
    public Path revokedPayload() {
        return root.resolve("revoked-payload");
    }

    public byte[] revokedSignature() {
        return read(root.resolve("revoked-payload.sig"));
    }

    public Gpg gpg() {
        return gpg;
    }

    /** gpg's detached binary signature of {@code file} by {@code key} (a fingerprint; a subkey with a '!'). */
    public byte[] sign(String key, Path file) {
        return read(gpg.sign(key, file));
    }

    /** Signed by the expired key while it was still valid (nine days ago). */
    public byte[] signBeforeExpiry(Path file) {
        return read(gpg.sign(expired, file, "--faked-system-time=" + (tenDaysAgo + 86_400)));
    }

    /** Signed by the expired key today, which gpg refuses: Bouncy Castle makes it. */
    public byte[] signAfterExpiry(Path file) {
        try {
            Path secret = gpg.exportSecret(root.resolve("expired.sec"), expired);
            PGPSecretKeyRingCollection rings;
            try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(secret))) {
                rings = new PGPSecretKeyRingCollection(in, new BcKeyFingerprintCalculator());
            }
            PGPSecretKey key = null;
            for (PGPSecretKeyRing ring : rings) {
                for (PGPSecretKey k : ring) {
                    if (HexFormat.of().withUpperCase().formatHex(k.getPublicKey().getFingerprint()).equals(expired)) {
                        key = k;
                    }
                }
            }
            PGPPrivateKey priv = key.extractPrivateKey(
                    new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(new char[0]));
            PGPSignatureGenerator gen = new PGPSignatureGenerator(
                    new BcPGPContentSignerBuilder(key.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256),
                    key.getPublicKey());
            gen.init(PGPSignature.BINARY_DOCUMENT, priv);
            PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
            hashed.setSignatureCreationTime(false, new Date());
            hashed.setIssuerFingerprint(false, key.getPublicKey());
            gen.setHashedSubpackets(hashed.generate());
            gen.update(Files.readAllBytes(file));
            return gen.generate().getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void cleanUp() {
        try {
            PacmanKeys.stopAgents(gpg.home());
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort at exit
        }
    }

    @Override
    public String toString() {
        return "test keys in " + root + " " + Arrays.asList(master1, packager);
    }
}
