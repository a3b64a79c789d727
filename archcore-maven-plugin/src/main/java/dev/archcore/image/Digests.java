package dev.archcore.image;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** sha256/md5 helpers and a counting, hashing output stream. */
final class Digests {
    private static final HexFormat HEX = HexFormat.of();

    private Digests() {
    }

    static MessageDigest sha256() {
        return get("SHA-256");
    }

    static MessageDigest md5() {
        return get("MD5");
    }

    private static MessageDigest get(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] digest) {
        return HEX.formatHex(digest);
    }

    static String sha256(byte[] data) {
        return hex(sha256().digest(data));
    }

    static String sha256(Path file) {
        MessageDigest sha = sha256();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return hex(sha.digest());
    }

    /** Passes bytes through while hashing and counting them. */
    static final class HashingOutputStream extends FilterOutputStream {
        private final MessageDigest digest = sha256();
        private long count;

        HashingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            digest.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            digest.update(b, off, len);
            count += len;
        }

        private String hex;

        /** The digest of everything written; the stream is finished after this. */
        String hex() {
            if (hex == null) {
                hex = Digests.hex(digest.digest());
            }
            return hex;
        }

        long count() {
            return count;
        }
    }
}
