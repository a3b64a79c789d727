package dev.archcore.repo;

import dev.archcore.repo.Keyring.KeyringException;
import dev.archcore.repo.SignatureCheck.Status;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.KeyIdentifier;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Bouncy Castle side of {@link Keyring}: the keys, the trust read from the pacman keyring files and the
 * signature checks. Kept apart so that loading {@link Keyring} (for {@link Keyring#EMPTY}, or a lazy keyring that
 * never verifies anything) loads no Bouncy Castle class: verifying a class loads the types its methods use and catch.
 *
 * <p>Immutable apart from a memo of computed key states; safe to share between threads.
 */
final class OpenPgpKeyring {

    private static final Pattern FINGERPRINT = Pattern.compile("[0-9A-F]{40}|[0-9A-F]{64}");
    private static final Pattern ARMOR_BLOCK = Pattern.compile(
            "-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----.*?-----END PGP \\1 KEY BLOCK-----", Pattern.DOTALL);
    /** Made when the first signature is checked, not when keys are read. */
    private static final class Verifiers {
        static final BcPGPContentVerifierBuilderProvider INSTANCE = new BcPGPContentVerifierBuilderProvider();
    }
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);

    /** No keys: what {@link Keyring#EMPTY} checks a signature with. */
    static final OpenPgpKeyring NONE = new OpenPgpKeyring(Map.of(), Map.of(), Set.of(), Set.of(), List.of());

    private record Candidate(PGPPublicKeyRing ring, PGPPublicKey key) {
    }

    private final Map<String, PGPPublicKeyRing> keys;
    private final Map<String, Integer> ownerTrust;
    private final Set<String> projectKeys;
    private final Set<String> revoked;
    private final List<String> sources;
    private final Map<Long, List<Candidate>> byKeyId = new HashMap<>();
    private final WebOfTrust trust;

    private OpenPgpKeyring(Map<String, PGPPublicKeyRing> keys, Map<String, Integer> ownerTrust, Set<String> projectKeys,
                    Set<String> revoked, List<String> sources) {
        this.keys = Map.copyOf(keys);
        this.ownerTrust = Map.copyOf(ownerTrust);
        this.projectKeys = Set.copyOf(projectKeys);
        this.revoked = Set.copyOf(revoked);
        this.sources = List.copyOf(sources);
        for (PGPPublicKeyRing ring : keys.values()) {
            for (PGPPublicKey key : ring) {
                byKeyId.computeIfAbsent(key.getKeyID(), id -> new ArrayList<>()).add(new Candidate(ring, key));
            }
        }
        this.trust = new WebOfTrust(this.keys, this.ownerTrust, this.projectKeys, this.revoked, Instant.now());
    }

    /** See {@link Keyring#pacman(Path, Path, Path)}. */
    static OpenPgpKeyring pacman(Path keyFile, Path trusted, Path revoked) {
        Map<String, PGPPublicKeyRing> keys = readKeys(keyFile);
        Map<String, Integer> ownerTrust = trusted != null && Files.exists(trusted) ? readTrusted(trusted) : Map.of();
        Set<String> disabled = revoked != null && Files.exists(revoked) ? readRevoked(revoked) : Set.of();
        return new OpenPgpKeyring(keys, ownerTrust, Set.of(), disabled, List.of(keyFile.toString()));
    }

    /** See {@link Keyring#project(Path)}. */
    static OpenPgpKeyring project(Path keyFile) {
        Map<String, PGPPublicKeyRing> keys = readKeys(keyFile);
        return new OpenPgpKeyring(keys, Map.of(), keys.keySet(), Set.of(), List.of(keyFile.toString()));
    }

    /** See {@link Keyring#combine(List)}. */
    static OpenPgpKeyring combine(List<OpenPgpKeyring> keyrings) {
        Map<String, PGPPublicKeyRing> keys = new LinkedHashMap<>();
        Map<String, Integer> ownerTrust = new HashMap<>();
        Set<String> projectKeys = new HashSet<>();
        Set<String> revoked = new HashSet<>();
        List<String> sources = new ArrayList<>();
        for (OpenPgpKeyring k : keyrings) {
            k.keys.forEach((fingerprint, ring) -> keys.merge(fingerprint, ring, OpenPgpKeyring::join));
            k.ownerTrust.forEach((fingerprint, level) -> ownerTrust.merge(fingerprint, level, Math::max));
            projectKeys.addAll(k.projectKeys);
            revoked.addAll(k.revoked);
            sources.addAll(k.sources);
        }
        return new OpenPgpKeyring(keys, ownerTrust, projectKeys, revoked, sources);
    }

    int keyCount() {
        return keys.size();
    }

    int trustedCount() {
        return ownerTrust.size();
    }

    int revokedCount() {
        return revoked.size();
    }

    Set<String> fingerprints() {
        return keys.keySet();
    }

    List<String> sources() {
        return sources;
    }

    /**
     * Checks a detached signature over everything read from {@code data}. A signature file may hold several
     * signatures; as in pacman, all of them must be good (the first problem found is reported).
     *
     * @param signature not empty ({@link Keyring#verify} answers an empty one without Bouncy Castle)
     */
    SignatureCheck verify(InputStream data, byte[] signature) throws IOException {
        List<PGPSignature> signatures;
        try {
            signatures = parseSignatures(signature);
        } catch (IOException | RuntimeException e) {
            signatures = List.of();
        }
        if (signatures.isEmpty()) {
            return new SignatureCheck(Status.BAD_SIGNATURE, "", "",
                    "the signature data (" + signature.length + " bytes) is not an OpenPGP signature");
        }
        List<SignatureCheck> results = new ArrayList<>();
        List<PGPSignature> pending = new ArrayList<>();
        List<Candidate> signers = new ArrayList<>();
        for (PGPSignature sig : signatures) {
            Candidate signer = signerOf(sig);
            SignatureCheck early = precheck(sig, signer);
            if (early != null) {
                results.add(early);
                continue;
            }
            try {
                sig.init(Verifiers.INSTANCE, signer.key());
            } catch (PGPException | RuntimeException e) {
                results.add(bad(signer, "cannot be checked (" + e.getMessage() + ")"));
                continue;
            }
            pending.add(sig);
            signers.add(signer);
        }
        if (!pending.isEmpty()) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = data.read(buffer)) != -1; ) {
                for (PGPSignature sig : pending) {
                    sig.update(buffer, 0, n);
                }
            }
        }
        for (int i = 0; i < pending.size(); i++) {
            results.add(judge(pending.get(i), signers.get(i)));
        }
        return worst(results);
    }

    /** The trust state of one primary key, as of when this keyring was loaded (for tests and diagnostics). */
    WebOfTrust.KeyState keyState(String fingerprint) {
        if (!keys.containsKey(fingerprint)) {
            throw new IllegalArgumentException("no key " + fingerprint + " in " + sources);
        }
        synchronized (trust) {
            return trust.state(fingerprint);
        }
    }

    private SignatureCheck precheck(PGPSignature sig, Candidate signer) {
        if (signer == null) {
            String issuer = issuer(sig);
            return new SignatureCheck(Status.UNKNOWN_KEY, issuer, "", "it is signed by key " + issuer
                    + ", which is not in the keyring (" + String.join(", ", sources) + ")");
        }
        int type = sig.getSignatureType();
        if (type != PGPSignature.BINARY_DOCUMENT && type != PGPSignature.CANONICAL_TEXT_DOCUMENT) {
            return bad(signer, "is a key or certification signature (type 0x" + Integer.toHexString(type)
                    + "), not a signature of a file");
        }
        if (sig.getHashAlgorithm() == HashAlgorithmTags.MD5) {
            return bad(signer, "uses the broken MD5 hash, which gpg rejects too");
        }
        return null;
    }

    private SignatureCheck judge(PGPSignature sig, Candidate signer) {
        boolean good;
        try {
            good = sig.verify();
        } catch (PGPException | RuntimeException e) {
            good = false;
        }
        if (!good) {
            return bad(signer, "does not match the data: the file was changed after it was signed, or is damaged");
        }
        Instant signed = sig.getCreationTime().toInstant();
        PGPPublicKey primary = signer.ring().getPublicKey();
        WebOfTrust.KeyState state;
        WebOfTrust.SubkeyState subkey = null;
        synchronized (trust) {
            state = trust.state(WebOfTrust.fingerprint(primary));
            if (signer.key() != primary) {
                subkey = trust.subkey(primary, signer.key());
            }
        }
        String fpr = state.fingerprint();
        String who = state.userId().isEmpty() ? "key " + fpr : "key " + fpr + " (" + state.userId() + ")";
        if (signed.isBefore(signer.key().getCreationTime().toInstant())) {
            return bad(signer, "was made on " + DAY.format(signed) + ", before its key was created");
        }
        if (state.disabled()) {
            return result(Status.REVOKED, state, who + " is listed as revoked in the keyring's -revoked file ("
                    + String.join(", ", sources) + ")");
        }
        if (state.selfRevoked() != null) {
            return result(Status.REVOKED, state, who + " was revoked by its owner on " + DAY.format(state.selfRevoked()));
        }
        if (subkey != null && subkey.revoked() != null) {
            return result(Status.REVOKED, state, "signing subkey " + WebOfTrust.fingerprint(signer.key()) + " of "
                    + who + " was revoked on " + DAY.format(subkey.revoked()));
        }
        if (subkey != null && subkey.problem() != null) {
            return result(Status.BAD_SIGNATURE, state, "signing subkey " + WebOfTrust.fingerprint(signer.key())
                    + " of " + who + " may not sign: " + subkey.problem());
        }
        long sigSeconds = sig.getHashedSubPackets() == null ? 0 : sig.getHashedSubPackets().getSignatureExpirationTime();
        if (sigSeconds > 0 && !Instant.now().isBefore(signed.plusSeconds(sigSeconds))) {
            return result(Status.EXPIRED_SIGNATURE, state, "the signature by " + who + " expired on "
                    + DAY.format(signed.plusSeconds(sigSeconds)));
        }
        Instant expired = state.expiredAt(signed) ? state.expires()
                : subkey != null && subkey.expires() != null && !signed.isBefore(subkey.expires()) ? subkey.expires()
                : null;
        if (expired != null) {
            return result(Status.EXPIRED_KEY, state, who + " had expired on " + DAY.format(expired)
                    + " when the signature was made on " + DAY.format(signed));
        }
        // pacman (through gpg) no longer trusts a key once it has expired, even for signatures made before
        Instant now = Instant.now();
        Instant expiredSince = state.expiredAt(now) ? state.expires()
                : subkey != null && subkey.expires() != null && !now.isBefore(subkey.expires()) ? subkey.expires()
                : null;
        if (expiredSince != null) {
            return result(Status.UNTRUSTED, state, who + " expired on " + DAY.format(expiredSince)
                    + " (the signature of " + DAY.format(signed) + " predates that), so pacman no longer trusts it:"
                    + " update the keyring, or SigLevel TrustAll accepts it");
        }
        if (state.validity() != WebOfTrust.Validity.FULL) {
            return result(Status.UNTRUSTED, state, who + " is in the keyring but not trusted: it is in no -trusted"
                    + " file or project keyring and " + certifications(state) + " (SigLevel TrustAll accepts it)");
        }
        return result(Status.VALID, state, "");
    }

    private static String certifications(WebOfTrust.KeyState state) {
        if (state.marginalCertifications() == 0 && state.fullCertifications() == 0) {
            return "no trusted key certified it";
        }
        return "only " + state.marginalCertifications() + " of the 3 marginally trusted keys needed certified it";
    }

    private static SignatureCheck result(Status status, WebOfTrust.KeyState state, String detail) {
        return new SignatureCheck(status, state.fingerprint(), state.userId(), detail);
    }

    private SignatureCheck bad(Candidate signer, String what) {
        synchronized (trust) {
            WebOfTrust.KeyState state = trust.state(WebOfTrust.fingerprint(signer.ring().getPublicKey()));
            String who = state.userId().isEmpty() ? "key " + state.fingerprint()
                    : "key " + state.fingerprint() + " (" + state.userId() + ")";
            return result(Status.BAD_SIGNATURE, state, "the signature by " + who + " " + what);
        }
    }

    /** Any hard failure beats "untrusted" (which TrustAll may accept), which beats valid. */
    private static SignatureCheck worst(List<SignatureCheck> results) {
        SignatureCheck untrusted = null;
        for (SignatureCheck r : results) {
            if (r.status() == Status.UNTRUSTED) {
                untrusted = untrusted == null ? r : untrusted;
            } else if (r.status() != Status.VALID) {
                return r;
            }
        }
        return untrusted != null ? untrusted : results.get(0);
    }

    private Candidate signerOf(PGPSignature sig) {
        for (KeyIdentifier id : sig.getKeyIdentifiers()) {
            for (Candidate c : byKeyId.getOrDefault(id.getKeyId(), List.of())) {
                if (id.getFingerprint() == null || Arrays.equals(id.getFingerprint(), c.key().getFingerprint())) {
                    return c;
                }
            }
        }
        for (Candidate c : byKeyId.getOrDefault(sig.getKeyID(), List.of())) {
            return c;
        }
        return null;
    }

    private static String issuer(PGPSignature sig) {
        for (KeyIdentifier id : sig.getKeyIdentifiers()) {
            if (id.getFingerprint() != null) {
                return java.util.HexFormat.of().withUpperCase().formatHex(id.getFingerprint());
            }
        }
        return String.format("%016X", sig.getKeyID());
    }

    private static List<PGPSignature> parseSignatures(byte[] signature) throws IOException {
        List<PGPSignature> out = new ArrayList<>();
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(signature))) {
            BcPGPObjectFactory factory = new BcPGPObjectFactory(in);
            for (Object o; (o = factory.nextObject()) != null; ) {
                if (o instanceof PGPSignatureList list) {
                    list.forEach(out::add);
                }
            }
        }
        return out;
    }

    private static PGPPublicKeyRing join(PGPPublicKeyRing a, PGPPublicKeyRing b) {
        try {
            return PGPPublicKeyRing.join(a, b);
        } catch (PGPException | RuntimeException e) {
            return a;
        }
    }

    // ---- reading the files

    static Map<String, PGPPublicKeyRing> readKeys(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new KeyringException("keyring " + file + " does not exist: point the keyring setting at a file of"
                    + " public keys (gpg --export) or a pacman keyring such as /usr/share/pacman/keyrings/archlinux.gpg", e);
        } catch (IOException e) {
            throw new KeyringException("cannot read keyring " + file + " (" + e.getMessage() + ")", e);
        }
        Map<String, PGPPublicKeyRing> keys = new LinkedHashMap<>();
        try {
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            if (text.contains("-----BEGIN PGP ")) {
                Matcher m = ARMOR_BLOCK.matcher(text);
                while (m.find()) {
                    readBinary(PGPUtil.getDecoderStream(new ByteArrayInputStream(
                            m.group().getBytes(StandardCharsets.ISO_8859_1))), keys);
                }
            } else {
                readBinary(new ByteArrayInputStream(bytes), keys);
            }
        } catch (IOException | PGPException | RuntimeException e) {
            throw new KeyringException("keyring " + file + " is not a readable OpenPGP key file (" + e.getMessage()
                    + "): export public keys with gpg --export [--armor] FINGERPRINT > " + file.getFileName(), e);
        }
        if (keys.isEmpty()) {
            throw new KeyringException("keyring " + file + " holds no OpenPGP public keys: export them with"
                    + " gpg --export [--armor] FINGERPRINT > " + file.getFileName());
        }
        return keys;
    }

    private static void readBinary(InputStream in, Map<String, PGPPublicKeyRing> keys) throws IOException, PGPException {
        BcPGPObjectFactory factory = new BcPGPObjectFactory(in);
        for (Object o; (o = factory.nextObject()) != null; ) {
            PGPPublicKeyRing ring = null;
            if (o instanceof PGPPublicKeyRing r) {
                ring = r;
            } else if (o instanceof PGPSecretKeyRing s) {
                // a secret key export works too: only its public halves are kept
                List<PGPPublicKey> pub = new ArrayList<>();
                for (Iterator<PGPSecretKey> it = s.getSecretKeys(); it.hasNext(); ) {
                    pub.add(it.next().getPublicKey());
                }
                ring = new PGPPublicKeyRing(pub);
            }
            if (ring != null) {
                keys.merge(WebOfTrust.fingerprint(ring.getPublicKey()), ring, OpenPgpKeyring::join);
            }
        }
    }

    private static Map<String, Integer> readTrusted(Path file) {
        Map<String, Integer> trusted = new LinkedHashMap<>();
        List<String> lines = lines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split(":");
            String fingerprint = parts[0].toUpperCase(Locale.ROOT);
            Integer level = null;
            try {
                level = parts.length > 1 ? Integer.valueOf(parts[1]) : null;
            } catch (NumberFormatException e) {
                // reported below
            }
            if (!FINGERPRINT.matcher(fingerprint).matches() || level == null) {
                throw new KeyringException(file + " line " + (i + 1) + " '" + line + "' is not FINGERPRINT:LEVEL:"
                        + " (a full hex fingerprint and a gpg owner-trust level, e.g. 4 for marginal)");
            }
            trusted.put(fingerprint, level);
        }
        return trusted;
    }

    private static Set<String> readRevoked(Path file) {
        Set<String> revoked = new HashSet<>();
        List<String> lines = lines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip().toUpperCase(Locale.ROOT);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (!FINGERPRINT.matcher(line).matches()) {
                throw new KeyringException(file + " line " + (i + 1) + " '" + lines.get(i).strip()
                        + "' is not a full hex fingerprint");
            }
            revoked.add(line);
        }
        return revoked;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KeyringException("cannot read " + file + " (" + e.getMessage() + ")", e);
        }
    }
}
