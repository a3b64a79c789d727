package dev.archcore.image;

import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pacman keyring ({@code /etc/pacman.d/gnupg}) that {@code pacman-key --init} and {@code --populate} leave,
 * written without gpg from the keyring files of the keyring package ({@code usr/share/pacman/keyrings/NAME.gpg},
 * {@code NAME-trusted}, {@code NAME-revoked}): {@code pubring.gpg} (the keys, read and written by Bouncy Castle),
 * {@code trustdb.gpg} (gpg's trust database), gpg.conf and gpg-agent.conf as pacman-key writes them.
 * <p>
 * As pacman-key does, a master key with ultimate trust locally signs the trusted keys, which get their owner
 * trust from {@code NAME-trusted} (marginal for Arch: a packager key is valid when three of them certified it),
 * and the keys in {@code NAME-revoked} are disabled. pacman-key's master key is random, which makes every image
 * different; here it is an Ed25519 key derived from a secret seed and the build time, so equal inputs give equal
 * bytes while nobody without the seed can certify with it. Its private key is never written (Arch's image
 * removes it too). gpg computes the validity of the keys at its first use (the trust database is marked as due
 * for a check), as {@code pacman-key --updatedb} would.
 */
final class ImageKeyring {
    static final String DIR = "etc/pacman.d/gnupg";
    static final String SOURCE = "usr/share/pacman/keyrings/";
    /** gpg's defaults, which pacman-key keeps. */
    private static final int MARGINALS_NEEDED = 3;
    private static final int COMPLETES_NEEDED = 1;
    private static final int MAX_CERT_DEPTH = 5;
    private static final int RECORD = 40;
    private static final int HTBL_ITEMS = 9;
    private static final int HLST_ITEMS = 8;
    private static final int ULTIMATE = 6;
    private static final int DISABLED = 0x80;

    private ImageKeyring() {
    }

    /** One keyring of the keyring package. */
    record Source(String name, byte[] keys, String trusted, String revoked) {
    }

    /** @param files the keyring package's files below {@link #SOURCE}, by their name there */
    static List<Source> sources(Map<String, byte[]> files) {
        List<Source> out = new ArrayList<>();
        new TreeMap<>(files).forEach((name, bytes) -> {
            if (name.endsWith(".gpg")) {
                String base = name.substring(0, name.length() - 4);
                out.add(new Source(base, bytes, text(files.get(base + "-trusted")), text(files.get(base + "-revoked"))));
            }
        });
        return out;
    }

    /**
     * The files of {@code etc/pacman.d/gnupg}, by path.
     *
     * @param seed secret bytes the master key is derived from (with the build time)
     */
    static Map<String, byte[]> files(List<Source> sources, long timestamp, byte[] seed) {
        Map<String, PGPPublicKeyRing> keys = new LinkedHashMap<>();
        Map<String, Integer> ownertrust = new TreeMap<>();
        for (Source s : sources) {
            read(s, keys);
            for (String line : s.trusted().split("\n")) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] f = l.split(":");
                if (f.length < 2 || !f[0].matches("[0-9A-Fa-f]{40}") || !f[1].matches("[2-6]")) {
                    throw new ImageBuildException(SOURCE + s.name() + "-trusted: '" + l + "' is not FINGERPRINT:LEVEL: "
                            + "(a 40-digit fingerprint and an owner trust of 2-6, as gpg --export-ownertrust writes)");
                }
                ownertrust.put(f[0].toUpperCase(), Integer.parseInt(f[1]));
            }
        }
        ownertrust.keySet().retainAll(keys.keySet());
        if (ownertrust.isEmpty()) {
            throw new ImageBuildException("the keyring package's " + SOURCE + " has no trusted key that its .gpg "
                    + "files hold: pacman could verify no package; check that the keyring package is complete");
        }
        for (Source s : sources) {
            for (String line : s.revoked().split("\n")) {
                String l = line.strip().toUpperCase();
                if (l.matches("[0-9A-F]{40}") && keys.containsKey(l)) {
                    ownertrust.merge(l, DISABLED, (a, b) -> a | b);
                }
            }
        }
        // signatures must not predate the keys they certify, or gpg ignores them
        long time = timestamp;
        for (String fpr : ownertrust.keySet()) {
            time = Math.max(time, keys.get(fpr).getPublicKey().getCreationTime().getTime() / 1000);
        }
        MasterKey master = MasterKey.derive(seed, time);
        ByteArrayOutputStream pubring = new ByteArrayOutputStream();
        try {
            master.ring().encode(pubring);
            for (Map.Entry<String, PGPPublicKeyRing> e : keys.entrySet()) {
                Integer trust = ownertrust.get(e.getKey());
                boolean lsign = trust != null && (trust & DISABLED) == 0;
                (lsign ? master.localSign(e.getValue()) : e.getValue()).encode(pubring);
            }
        } catch (IOException e) {
            throw new ImageBuildException("cannot encode the pacman keyring: " + e.getMessage(), e);
        }
        ownertrust.put(master.fingerprint(), ULTIMATE);

        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(DIR + "/gpg-agent.conf", "disable-scdaemon\n".getBytes(StandardCharsets.UTF_8));
        files.put(DIR + "/gpg.conf", GPG_CONF.getBytes(StandardCharsets.UTF_8));
        files.put(DIR + "/pubring.gpg", pubring.toByteArray());
        files.put(DIR + "/trustdb.gpg", trustdb(ownertrust, timestamp));
        return files;
    }

    /** What pacman-key --init writes. */
    static final String GPG_CONF = "no-greeting\n"
            + "no-permission-warning\n"
            + "lock-never\n"
            + "keyserver-options timeout=10\n"
            + "keyserver-options import-clean\n"
            + "keyserver-options no-self-sigs-only\n";

    private static void read(Source s, Map<String, PGPPublicKeyRing> keys) {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(s.keys()))) {
            PGPObjectFactory factory = new PGPObjectFactory(in, new BcKeyFingerprintCalculator());
            for (Object o; (o = factory.nextObject()) != null; ) {
                if (o instanceof PGPPublicKeyRing ring) {
                    String fpr = HexFormat.of().withUpperCase().formatHex(ring.getPublicKey().getFingerprint());
                    keys.merge(fpr, ring, ImageKeyring::join);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new ImageBuildException(SOURCE + s.name() + ".gpg is not an OpenPGP keyring (" + e.getMessage()
                    + "); the keyring package is damaged", e);
        }
    }

    private static PGPPublicKeyRing join(PGPPublicKeyRing a, PGPPublicKeyRing b) {
        try {
            PGPPublicKeyRing joined = PGPPublicKeyRing.join(a, b);
            return joined == null ? a : joined;
        } catch (PGPException e) {
            return a;
        }
    }

    /**
     * gpg's trustdb.gpg (GnuPG's doc/DETAILS, "Layout of the TrustDB"): 40-byte records; the version record; a
     * hash table of 256 slots (the first fingerprint byte) over 29 records, a slot naming a trust record or, when
     * several fingerprints share it, a hash list record; then the trust records. The next check is due, so gpg
     * computes every key's validity before it first answers.
     */
    static byte[] trustdb(Map<String, Integer> ownertrust, long timestamp) {
        int htblRecords = (256 + HTBL_ITEMS - 1) / HTBL_ITEMS;
        List<byte[]> records = new ArrayList<>();
        ByteBuffer ver = ByteBuffer.allocate(RECORD);
        ver.put((byte) 1).put("gpg".getBytes(StandardCharsets.US_ASCII)).put((byte) 3)
                .put((byte) MARGINALS_NEEDED).put((byte) COMPLETES_NEEDED).put((byte) MAX_CERT_DEPTH)
                .put((byte) 1) // trust model pgp
                .put((byte) 2) // min-cert-level
                .put((byte) 0).put((byte) 0)
                .putInt((int) timestamp)
                .putInt(1); // next check: long overdue
        ver.putInt(36, 1); // the hash table starts at record 1
        records.add(ver.array());
        for (int i = 0; i < htblRecords; i++) {
            byte[] r = new byte[RECORD];
            r[0] = 10;
            records.add(r);
        }
        Map<Integer, List<Integer>> slots = new TreeMap<>();
        for (Map.Entry<String, Integer> e : ownertrust.entrySet()) {
            byte[] fpr = HexFormat.of().parseHex(e.getKey());
            byte[] r = new byte[RECORD];
            r[0] = 12;
            System.arraycopy(fpr, 0, r, 2, 20);
            r[22] = (byte) (int) e.getValue();
            slots.computeIfAbsent(fpr[0] & 0xff, k -> new ArrayList<>()).add(records.size());
            records.add(r);
        }
        for (Map.Entry<Integer, List<Integer>> slot : slots.entrySet()) {
            int item = slot.getKey();
            List<Integer> recnums = slot.getValue();
            int target = recnums.size() == 1 ? recnums.get(0) : hashList(recnums, records);
            ByteBuffer.wrap(records.get(1 + item / HTBL_ITEMS)).putInt(2 + 4 * (item % HTBL_ITEMS), target);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(records.size() * RECORD);
        records.forEach(out::writeBytes);
        return out.toByteArray();
    }

    /** Hash list records (type 11: next, then 8 record numbers) for the trust records of one slot. */
    private static int hashList(List<Integer> recnums, List<byte[]> records) {
        int first = records.size();
        for (int start = 0; start < recnums.size(); start += HLST_ITEMS) {
            ByteBuffer r = ByteBuffer.allocate(RECORD);
            r.put(0, (byte) 11);
            boolean more = start + HLST_ITEMS < recnums.size();
            r.putInt(2, more ? records.size() + 1 : 0);
            for (int i = 0; i < HLST_ITEMS && start + i < recnums.size(); i++) {
                r.putInt(6 + 4 * i, recnums.get(start + i));
            }
            records.add(r.array());
        }
        return first;
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
    }
}
