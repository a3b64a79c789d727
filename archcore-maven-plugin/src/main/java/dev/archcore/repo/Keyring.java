package dev.archcore.repo;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * OpenPGP public keys and the trust pacman gives them, read without gpg: the pacman keyring format that
 * {@code pacman-key --populate NAME} imports ({@code NAME.gpg} with any number of keys, binary or armored;
 * {@code NAME-trusted} with {@code FINGERPRINT:LEVEL:} owner-trust lines; {@code NAME-revoked} with
 * fingerprints that are disabled), and plain "project keyring" files whose keys are all trusted. Several
 * keyrings combine into one. {@link #verify} checks a detached signature (what {@code makepkg --sign} and
 * {@code repo-add --sign} write) and says whether it is good and whether its key is trusted, by the web of
 * trust described in {@link WebOfTrust}: the Arch master keys in {@code archlinux-trusted} vouch for the
 * packager keys they certified.
 *
 * <p>This class is the Bouncy-Castle-free face: the keys live in {@link OpenPgpKeyring}, which is loaded only
 * when a keyring file is read or a signature is parsed, so a build that checks no signature ({@link #EMPTY}, or
 * a {@link #lazy} keyring never asked to verify) loads none of Bouncy Castle's (signed, slow to open) jars.
 *
 * <p>Immutable apart from a memo of computed key states (and a lazy keyring's keys once read); safe to share
 * between threads.
 */
public final class Keyring {

    /** A keyring that cannot be read; the message names the file and what to do. */
    public static final class KeyringException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public KeyringException(String message, Throwable cause) {
            super(message, cause);
        }

        public KeyringException(String message) {
            super(message);
        }
    }

    /** Where Arch ({@code /usr/share/pacman/keyrings}) and Debian's archlinux-keyring put keyrings. */
    public static final List<Path> SYSTEM_DIRECTORIES =
            List.of(Path.of("/usr/share/pacman/keyrings"), Path.of("/usr/share/keyrings"));

    public static final Keyring EMPTY = new Keyring(null, null);

    /** The keys; null in {@link #EMPTY} and in a lazy keyring (whose keys are those of {@link #loaded}). */
    private final OpenPgpKeyring keys;
    /** Reads a lazy keyring; null for the others. */
    private final Supplier<Keyring> reader;
    private final Object readLock = new Object();
    private volatile Keyring loaded;

    private Keyring(OpenPgpKeyring keys, Supplier<Keyring> reader) {
        this.keys = keys;
        this.reader = reader;
    }

    /** {@code DIR/NAME.gpg} with {@code DIR/NAME-trusted} and {@code DIR/NAME-revoked} when they exist. */
    public static Keyring pacman(Path directory, String name) {
        return pacman(directory.resolve(name + ".gpg"), directory.resolve(name + "-trusted"),
                directory.resolve(name + "-revoked"));
    }

    /**
     * A pacman keyring from its three files, as {@code pacman-key --populate} reads them.
     *
     * @param trusted owner-trust lines; null or a missing file: no key is trusted
     * @param revoked disabled fingerprints; null or a missing file: none
     */
    public static Keyring pacman(Path keyFile, Path trusted, Path revoked) {
        return new Keyring(OpenPgpKeyring.pacman(keyFile, trusted, revoked), null);
    }

    /** A keyring of the system's archlinux-keyring (or another NAME), if one of {@link #SYSTEM_DIRECTORIES} has it. */
    public static Optional<Keyring> system(String name) {
        return SYSTEM_DIRECTORIES.stream().filter(d -> Files.isRegularFile(d.resolve(name + ".gpg")))
                .findFirst().map(d -> pacman(d, name));
    }

    /** A file of public keys (binary or armored, e.g. {@code gpg --export --armor}) that are all trusted. */
    public static Keyring project(Path keyFile) {
        return new Keyring(OpenPgpKeyring.project(keyFile), null);
    }

    /**
     * A keyring that {@code reader} reads when it is first needed: when a signature is verified or its keys,
     * counts or sources are asked for (not by {@link #toString}). A build whose repositories check no signature
     * never reads the keyring file. The reader runs once; if it throws (a {@link KeyringException} naming the
     * file), the first use throws that, and a later use reads again.
     */
    public static Keyring lazy(Supplier<Keyring> reader) {
        return new Keyring(null, Objects.requireNonNull(reader, "reader"));
    }

    /**
     * All keys and trust of the given keyrings. A fingerprint revoked by any of them stays revoked; the highest
     * owner trust wins; the same key from two files is merged. Lazy when one of them is and has not been read.
     */
    public static Keyring combine(List<Keyring> keyrings) {
        List<Keyring> all = List.copyOf(keyrings);
        if (all.stream().anyMatch(k -> k.reader != null && k.loaded == null)) {
            return lazy(() -> combine(all.stream().map(Keyring::resolved).toList()));
        }
        List<OpenPgpKeyring> parts = new ArrayList<>();
        for (Keyring k : all) {
            OpenPgpKeyring part = k.resolved().keys;
            if (part != null) {
                parts.add(part);
            }
        }
        return parts.isEmpty() ? EMPTY : new Keyring(OpenPgpKeyring.combine(parts), null);
    }

    public static Keyring combine(Keyring... keyrings) {
        return combine(List.of(keyrings));
    }

    /** Number of primary keys (what {@code gpg --show-keys} lists as {@code pub}). */
    public int keyCount() {
        OpenPgpKeyring k = keys();
        return k == null ? 0 : k.keyCount();
    }

    /** Number of owner-trust entries from {@code -trusted} files. */
    public int trustedCount() {
        OpenPgpKeyring k = keys();
        return k == null ? 0 : k.trustedCount();
    }

    /** Number of fingerprints from {@code -revoked} files. */
    public int revokedCount() {
        OpenPgpKeyring k = keys();
        return k == null ? 0 : k.revokedCount();
    }

    public Set<String> fingerprints() {
        OpenPgpKeyring k = keys();
        return k == null ? Set.of() : k.fingerprints();
    }

    /** The files this keyring was read from, for messages. */
    public List<String> sources() {
        OpenPgpKeyring k = keys();
        return k == null ? List.of() : k.sources();
    }

    public SignatureCheck verify(byte[] data, byte[] signature) {
        try {
            return verify(new ByteArrayInputStream(data), signature);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public SignatureCheck verify(Path file, byte[] signature) {
        try (InputStream in = Files.newInputStream(file)) {
            return verify(in, signature);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " to check its signature: " + e.getMessage(), e);
        }
    }

    /**
     * Checks a detached signature over everything read from {@code data}. A signature file may hold several
     * signatures; as in pacman, all of them must be good (the first problem found is reported).
     */
    public SignatureCheck verify(InputStream data, byte[] signature) throws IOException {
        if (signature == null || signature.length == 0) {
            return SignatureCheck.none();
        }
        OpenPgpKeyring k = keys();
        // no keys: the signature is still parsed, to say whose key it needs or that it is no signature at all
        return (k == null ? OpenPgpKeyring.NONE : k).verify(data, signature);
    }

    /** The trust state of one primary key, as of when this keyring was loaded (for tests and diagnostics). */
    WebOfTrust.KeyState keyState(String fingerprint) {
        OpenPgpKeyring k = keys();
        if (k == null) {
            throw new IllegalArgumentException("no key " + fingerprint + " in " + sources());
        }
        return k.keyState(fingerprint);
    }

    /** Whether the keys are at hand: false for a lazy keyring until it is first used. */
    boolean loaded() {
        return reader == null || loaded != null;
    }

    private OpenPgpKeyring keys() {
        return resolved().keys;
    }

    /** This keyring, or for a lazy one the keyring its reader returned (read on the first call). */
    private Keyring resolved() {
        if (reader == null) {
            return this;
        }
        Keyring k = loaded;
        if (k == null) {
            synchronized (readLock) {
                k = loaded;
                if (k == null) {
                    k = Objects.requireNonNull(reader.get(), "the keyring reader returned null").resolved();
                    loaded = k;
                }
            }
        }
        return k;
    }

    @Override
    public String toString() {
        if (!loaded()) {
            return "keyring (read when a signature is checked)";
        }
        Keyring k = resolved();
        return "keyring " + String.join(", ", k.sources()) + " (" + k.keyCount() + " keys, " + k.trustedCount()
                + " trusted, " + k.revokedCount() + " revoked)";
    }
}
