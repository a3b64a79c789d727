package dev.archcore.util;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

/**
 * The per-user secret that authenticates what archcore remembers in its cache (layer keys, package indexes, the
 * remembered dependency plan, package cache stamps) with HMAC-SHA256. Whoever can write the cache but not this key
 * (a CI cache restored from another branch) cannot make an entry archcore accepts: an entry whose tag does not
 * verify is treated as absent and derived again. The key is {@code ARCHCORE_CACHE_KEY}, else
 * {@code ~/.archcore/cache.key} (32 random bytes, mode 600, made on first use), never inside the cache.
 *
 * <p>Every tag covers a context (what the entry is and the name it is stored under) besides the bytes, so a valid
 * entry cannot be moved under another name.
 */
public final class CacheKey {
    public static final String ENV = "ARCHCORE_CACHE_KEY";
    public static final String FILE = "cache.key";
    /** Bytes of a tag (HMAC-SHA256). */
    public static final int TAG = 32;
    private static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();
    private static volatile CacheKey user;

    private final SecretKeySpec key;

    private CacheKey(byte[] secret) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** A key from these bytes (tests; a CI secret). */
    public static CacheKey of(byte[] secret) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("a cache key needs at least 16 bytes");
        }
        return new CacheKey(secret.clone());
    }

    /** A key that lives as long as this object, for a cache that is thrown away after one build. */
    public static CacheKey ephemeral() {
        byte[] secret = new byte[LENGTH];
        new SecureRandom().nextBytes(secret);
        return new CacheKey(secret);
    }

    /** {@code ~/.archcore}: where the cache key and the keyring seed live (beside the PKI), outside the cache. */
    public static Path userDirectory() {
        return Path.of(System.getProperty("user.home"), ".archcore");
    }

    /** The user's key: {@code ARCHCORE_CACHE_KEY}, else {@code ~/.archcore/cache.key}; loaded (or made) once. */
    public static CacheKey user() {
        CacheKey k = user;
        if (k == null) {
            synchronized (CacheKey.class) {
                if (user == null) {
                    try {
                        user = load(userDirectory(), System.getenv());
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read or make the cache key " + userDirectory()
                                .resolve(FILE) + " (" + e.getMessage() + "): make " + userDirectory()
                                + " writable, or set " + ENV + " to a secret of at least 16 characters", e);
                    }
                }
                k = user;
            }
        }
        return k;
    }

    /** {@code ENV} from {@code env} when set, else {@code dir/cache.key}, made (mode 600) if missing. */
    public static CacheKey load(Path dir, Map<String, String> env) throws IOException {
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            if (fromEnv.strip().length() < 16) {
                throw new IllegalArgumentException(ENV + " is too short: use at least 16 random characters "
                        + "(e.g. openssl rand -hex 32)");
            }
            return new CacheKey(fromEnv.strip().getBytes(StandardCharsets.UTF_8));
        }
        Path file = dir.resolve(FILE);
        byte[] secret = PrivateFile.readOrCreate(file, LENGTH).bytes();
        if (secret.length < 16) {
            throw new IllegalArgumentException(file + " holds " + secret.length + " bytes, not a cache key: delete "
                    + "it and a new one is made (every cache entry is then checked, or derived, again once)");
        }
        return new CacheKey(secret);
    }

    /** A MAC over {@code context}, ready for the content to be added. */
    public Mac mac(String context) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(context.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    }

    public byte[] tag(String context, byte[] content) {
        return mac(context).doFinal(content);
    }

    /** The tag of short text fields (a stamp line, a layer key's digests) as hex. */
    public String tagHex(String context, String text) {
        return HEX.formatHex(tag(context, text.getBytes(StandardCharsets.UTF_8)));
    }

    public boolean verifyHex(String context, String text, String tagHex) {
        return tagHex != null && MessageDigest.isEqual(tagHex(context, text).getBytes(StandardCharsets.US_ASCII),
                tagHex.getBytes(StandardCharsets.US_ASCII));
    }

    /** {@code content} followed by its tag. */
    public byte[] seal(String context, byte[] content) {
        byte[] out = Arrays.copyOf(content, content.length + TAG);
        System.arraycopy(tag(context, content), 0, out, content.length, TAG);
        return out;
    }

    /** The content of what {@link #seal} made under the same context, or null when the tag does not verify. */
    public byte[] open(String context, byte[] stored) {
        if (stored == null || stored.length < TAG) {
            return null;
        }
        int length = stored.length - TAG;
        Mac mac = mac(context);
        mac.update(stored, 0, length);
        byte[] expected = mac.doFinal();
        return MessageDigest.isEqual(expected, Arrays.copyOfRange(stored, length, stored.length))
                ? Arrays.copyOf(stored, length) : null;
    }

    /** A secret file only its owner reads: read, or made with {@code length} random bytes (then {@code created}). */
    public record PrivateFile(byte[] bytes, boolean created) {
        public static PrivateFile readOrCreate(Path file, int length) throws IOException {
            boolean created = false;
            if (!Files.isRegularFile(file)) {
                byte[] secret = new byte[length];
                new SecureRandom().nextBytes(secret);
                Path dir = file.toAbsolutePath().getParent();
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
                }
                // readable by its owner only from the start, then linked into place, which never replaces a file:
                // two builds may race, one wins and both read the winner
                Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".part",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                try {
                    Files.write(temp, secret);
                    Files.createLink(file, temp);
                    created = true;
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // another build made it first
                } finally {
                    Files.deleteIfExists(temp);
                }
            }
            return new PrivateFile(Files.readAllBytes(file), created);
        }
    }
}
