package dev.archcore.repo;

import org.bouncycastle.bcpg.SignatureSubpacketTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPSignatureSubpacketVector;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of gpg's classic trust model that a pacman keyring uses, evaluated the way
 * {@code pacman-key --populate} sets gpg up: keys listed in a {@code -trusted} file are locally signed by the
 * keyring's own ultimately trusted key (so they are fully valid) and get the listed owner trust; any other key
 * is valid when a trusted introducer certified one of its user ids: one with full trust (level 5, 6) or three
 * with marginal trust (level 4, Arch's master keys) make it fully valid, fewer make it marginal. gpg's
 * defaults: {@code completes-needed 1}, {@code marginals-needed 3}, {@code min-cert-level 2} (persona
 * certifications, 0x11, do not count). Introducers are only the listed keys, so one level of certification
 * is all there is to follow.
 *
 * <p>Every self-signature, binding and certification is checked cryptographically. Not thread-safe on its
 * own: Bouncy Castle signature objects keep verification state, so {@link Keyring} calls in under a lock.
 */
final class WebOfTrust {

    enum Validity { FULL, MARGINAL, NONE }

    /**
     * What the keyring knows about one primary key.
     *
     * @param expires      when the key expires (null: never)
     * @param selfRevoked  when its owner revoked it (null: not revoked)
     * @param disabled     listed in a {@code -revoked} file
     */
    record KeyState(String fingerprint, String userId, Instant created, Instant expires, Instant selfRevoked,
                    boolean disabled, Validity validity, int fullCertifications, int marginalCertifications) {

        boolean expiredAt(Instant time) {
            return expires != null && !time.isBefore(expires);
        }
    }

    /** Whether a subkey may make data signatures for its primary key, and until when. */
    record SubkeyState(String problem, Instant expires, Instant revoked) {
    }

    private static final BcPGPContentVerifierBuilderProvider VERIFIERS = new BcPGPContentVerifierBuilderProvider();
    private static final int MARGINALS_NEEDED = 3;
    private static final int MARGINAL = 4;

    private final Map<String, PGPPublicKeyRing> keys;
    private final Map<String, Integer> ownerTrust;
    private final Set<String> lsigned;
    private final Set<String> disabled;
    private final Instant now;
    private final Map<String, KeyState> states = new HashMap<>();
    private final Map<Long, SubkeyState> subkeys = new HashMap<>();

    /**
     * @param ownerTrust fingerprints from {@code -trusted} files with their level (they are also lsigned)
     * @param lsigned    further keys that are valid by themselves (project keyrings), without owner trust
     */
    WebOfTrust(Map<String, PGPPublicKeyRing> keys, Map<String, Integer> ownerTrust, Set<String> lsigned,
               Set<String> disabled, Instant now) {
        this.keys = keys;
        this.ownerTrust = ownerTrust;
        this.lsigned = lsigned;
        this.disabled = disabled;
        this.now = now;
    }

    KeyState state(String fingerprint) {
        KeyState known = states.get(fingerprint);
        if (known != null) {
            return known;
        }
        KeyState state = evaluate(keys.get(fingerprint));
        states.put(fingerprint, state);
        return state;
    }

    SubkeyState subkey(PGPPublicKey primary, PGPPublicKey subkey) {
        return subkeys.computeIfAbsent(subkey.getKeyID(), id -> evaluateSubkey(primary, subkey));
    }

    private KeyState evaluate(PGPPublicKeyRing ring) {
        PGPPublicKey key = ring.getPublicKey();
        String fingerprint = fingerprint(key);
        Instant created = key.getCreationTime().toInstant();
        Instant revoked = null;
        PGPSignature direct = null;
        for (PGPSignature sig : list(key.getSignatures())) {
            if (sig.getKeyID() != key.getKeyID()) {
                continue;
            }
            if (sig.getSignatureType() == PGPSignature.KEY_REVOCATION && verifiesKey(sig, key)) {
                revoked = sig.getCreationTime().toInstant();
            } else if (sig.getSignatureType() == PGPSignature.DIRECT_KEY && verifiesKey(sig, key) && newer(sig, direct)) {
                direct = sig;
            }
        }

        List<UserId> userIds = userIds(key);
        UserId primary = primaryUserId(userIds);
        Instant expires = expiry(created, direct, primary);

        Validity validity = Validity.NONE;
        int bestFull = 0;
        int bestMarginal = 0;
        if (ownerTrust.containsKey(fingerprint) || lsigned.contains(fingerprint)) {
            validity = Validity.FULL;
        } else {
            for (UserId uid : userIds) {
                int full = 0;
                int marginal = 0;
                for (Map.Entry<String, Integer> introducer : ownerTrust.entrySet()) {
                    int level = introducer.getValue();
                    if (level < MARGINAL || introducer.getKey().equals(fingerprint)
                            || !usableIntroducer(introducer.getKey()) || !certifies(introducer.getKey(), uid, key)) {
                        continue;
                    }
                    if (level > MARGINAL) {
                        full++;
                    } else {
                        marginal++;
                    }
                }
                Validity v = full >= 1 || marginal >= MARGINALS_NEEDED ? Validity.FULL
                        : full + marginal > 0 ? Validity.MARGINAL : Validity.NONE;
                if (v.ordinal() < validity.ordinal()) {
                    validity = v;
                }
                bestFull = Math.max(bestFull, full);
                bestMarginal = Math.max(bestMarginal, marginal);
            }
        }
        String shown = primary != null ? primary.text : userIds.isEmpty() ? "" : userIds.get(0).text;
        return new KeyState(fingerprint, shown, created, expires, revoked, disabled.contains(fingerprint), validity,
                bestFull, bestMarginal);
    }

    private boolean usableIntroducer(String fingerprint) {
        if (!keys.containsKey(fingerprint) || disabled.contains(fingerprint)) {
            return false;
        }
        KeyState s = state(fingerprint);
        return s.selfRevoked() == null && !s.expiredAt(now);
    }

    /** The introducer's newest certification or certification revocation on this user id decides. */
    private boolean certifies(String introducerFingerprint, UserId uid, PGPPublicKey key) {
        PGPPublicKey introducer = keys.get(introducerFingerprint).getPublicKey();
        PGPSignature newest = null;
        for (PGPSignature sig : uid.signatures) {
            int type = sig.getSignatureType();
            boolean counts = type == PGPSignature.DEFAULT_CERTIFICATION || type == PGPSignature.CASUAL_CERTIFICATION
                    || type == PGPSignature.POSITIVE_CERTIFICATION || type == PGPSignature.CERTIFICATION_REVOCATION;
            if (counts && sig.getKeyID() == introducer.getKeyID() && newer(sig, newest)
                    && verifiesUserId(sig, introducer, uid.raw, key)) {
                newest = sig;
            }
        }
        return newest != null && newest.getSignatureType() != PGPSignature.CERTIFICATION_REVOCATION
                && !signatureExpired(newest);
    }

    private static final class UserId {
        final byte[] raw;
        final String text;
        final List<PGPSignature> signatures;
        PGPSignature selfCertification;

        UserId(byte[] raw, List<PGPSignature> signatures) {
            this.raw = raw;
            this.text = new String(raw, StandardCharsets.UTF_8);
            this.signatures = signatures;
        }
    }

    /** User ids with a valid, unexpired self-certification that was not revoked afterwards. */
    private List<UserId> userIds(PGPPublicKey key) {
        List<UserId> result = new ArrayList<>();
        for (Iterator<byte[]> it = key.getRawUserIDs(); it.hasNext(); ) {
            byte[] raw = it.next();
            UserId uid = new UserId(raw, list(key.getSignaturesForID(raw)));
            PGPSignature revocation = null;
            for (PGPSignature sig : uid.signatures) {
                if (sig.getKeyID() != key.getKeyID()) {
                    continue;
                }
                if (sig.getSignatureType() == PGPSignature.CERTIFICATION_REVOCATION) {
                    if (newer(sig, revocation) && verifiesUserId(sig, key, raw, key)) {
                        revocation = sig;
                    }
                } else if (sig.isCertification() && newer(sig, uid.selfCertification)
                        && verifiesUserId(sig, key, raw, key)) {
                    uid.selfCertification = sig;
                }
            }
            boolean revoked = revocation != null && (uid.selfCertification == null
                    || !revocation.getCreationTime().before(uid.selfCertification.getCreationTime()));
            if (uid.selfCertification != null && !revoked && !signatureExpired(uid.selfCertification)) {
                result.add(uid);
            }
        }
        return result;
    }

    /** gpg's choice: the newest self-certification that says "primary user id", else the newest one. */
    private static UserId primaryUserId(List<UserId> userIds) {
        UserId best = null;
        boolean bestFlagged = false;
        for (UserId uid : userIds) {
            PGPSignatureSubpacketVector hashed = uid.selfCertification.getHashedSubPackets();
            boolean flagged = hashed != null && hashed.isPrimaryUserID();
            if (best == null || (flagged && !bestFlagged)
                    || (flagged == bestFlagged && newer(uid.selfCertification, best.selfCertification))) {
                best = uid;
                bestFlagged = flagged;
            }
        }
        return best;
    }

    /** A direct-key signature's key expiry wins; otherwise the primary user id's self-certification says. */
    private static Instant expiry(Instant created, PGPSignature direct, UserId primary) {
        PGPSignature source = null;
        if (direct != null && hasSubpacket(direct, SignatureSubpacketTags.KEY_EXPIRE_TIME)) {
            source = direct;
        } else if (primary != null) {
            source = primary.selfCertification;
        }
        long seconds = source == null || source.getHashedSubPackets() == null
                ? 0 : source.getHashedSubPackets().getKeyExpirationTime();
        return seconds > 0 ? created.plusSeconds(seconds) : null;
    }

    private SubkeyState evaluateSubkey(PGPPublicKey primary, PGPPublicKey subkey) {
        PGPSignature binding = null;
        Instant revoked = null;
        for (PGPSignature sig : list(subkey.getSignatures())) {
            if (sig.getKeyID() != primary.getKeyID()) {
                continue;
            }
            if (sig.getSignatureType() == PGPSignature.SUBKEY_BINDING && newer(sig, binding)
                    && verifiesSubkey(sig, primary, primary, subkey)) {
                binding = sig;
            } else if (sig.getSignatureType() == PGPSignature.SUBKEY_REVOCATION
                    && verifiesSubkey(sig, primary, primary, subkey)) {
                revoked = sig.getCreationTime().toInstant();
            }
        }
        if (binding == null) {
            return new SubkeyState("it has no valid binding signature from its primary key", null, revoked);
        }
        PGPSignatureSubpacketVector hashed = binding.getHashedSubPackets();
        if (hashed != null && hashed.hasSubpacket(SignatureSubpacketTags.KEY_FLAGS)
                && (hashed.getKeyFlags() & KeyFlags.SIGN_DATA) == 0) {
            return new SubkeyState("it is not marked for signing", null, revoked);
        }
        if (!crossCertified(binding, primary, subkey)) {
            // gpg refuses signing subkeys without a primary-key binding ("not cross-certified")
            return new SubkeyState("it is not cross-certified (no primary key binding signature)", null, revoked);
        }
        long seconds = hashed == null ? 0 : hashed.getKeyExpirationTime();
        Instant expires = seconds > 0 ? subkey.getCreationTime().toInstant().plusSeconds(seconds) : null;
        return new SubkeyState(null, expires, revoked);
    }

    private static boolean crossCertified(PGPSignature binding, PGPPublicKey primary, PGPPublicKey subkey) {
        for (PGPSignatureSubpacketVector area : new PGPSignatureSubpacketVector[]{
                binding.getHashedSubPackets(), binding.getUnhashedSubPackets()}) {
            if (area == null) {
                continue;
            }
            try {
                PGPSignatureList embedded = area.getEmbeddedSignatures();
                for (PGPSignature back : embedded) {
                    if (back.getSignatureType() == PGPSignature.PRIMARYKEY_BINDING
                            && verifiesSubkey(back, subkey, primary, subkey)) {
                        return true;
                    }
                }
            } catch (PGPException | RuntimeException e) {
                // an unreadable embedded signature is no cross-certification
            }
        }
        return false;
    }

    private boolean signatureExpired(PGPSignature sig) {
        PGPSignatureSubpacketVector hashed = sig.getHashedSubPackets();
        long seconds = hashed == null ? 0 : hashed.getSignatureExpirationTime();
        return seconds > 0 && !now.isBefore(sig.getCreationTime().toInstant().plusSeconds(seconds));
    }

    private static boolean hasSubpacket(PGPSignature sig, int tag) {
        return sig.getHashedSubPackets() != null && sig.getHashedSubPackets().hasSubpacket(tag);
    }

    private static boolean newer(PGPSignature candidate, PGPSignature current) {
        return current == null || !candidate.getCreationTime().before(current.getCreationTime());
    }

    private static boolean verifiesKey(PGPSignature sig, PGPPublicKey key) {
        try {
            sig.init(VERIFIERS, key);
            return sig.verifyCertification(key);
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    private static boolean verifiesUserId(PGPSignature sig, PGPPublicKey signer, byte[] rawId, PGPPublicKey key) {
        try {
            sig.init(VERIFIERS, signer);
            return sig.verifyCertification(rawId, key);
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    private static boolean verifiesSubkey(PGPSignature sig, PGPPublicKey signer, PGPPublicKey primary,
                                          PGPPublicKey subkey) {
        try {
            sig.init(VERIFIERS, signer);
            return sig.verifyCertification(primary, subkey);
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    static String fingerprint(PGPPublicKey key) {
        return HexFormat.of().withUpperCase().formatHex(key.getFingerprint());
    }

    private static <T> List<T> list(Iterator<T> it) {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
