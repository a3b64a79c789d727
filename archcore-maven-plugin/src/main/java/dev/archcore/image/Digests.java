package dev.archcore.image;

import java.io.FilterInputStream;
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

    /**
     * A package file that no longer has the SHA-256 it was verified with (swapped or damaged after the check):
     * nothing read from it is used.
     */
    static ImageBuildException changed(Path file, String expected, String actual) {
        return new ImageBuildException(file + " changed after it was verified: its SHA-256 is now " + actual
                + ", not the verified " + expected + ", so none of its bytes went into the image. Something"
                + " replaced or damaged the file during the build; run the build again (a package from the package"
                + " cache is then hashed in full and fetched again), and find what writes to it if it recurs");
    }

    /** Passes bytes through while hashing and counting them; {@link #finish} reads what is left and compares. */
    static final class HashingInputStream extends FilterInputStream {
        private final MessageDigest digest = sha256();
        private long count;

        HashingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                digest.update((byte) b);
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // skipped bytes must be hashed too
            byte[] buffer = new byte[(int) Math.min(n, 1 << 16)];
            int read = read(buffer, 0, buffer.length);
            return Math.max(read, 0);
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        /** Reads the rest of the stream (what a tar reader leaves after its end marker); the hex digest of it all. */
        String finish() throws IOException {
            byte[] buffer = new byte[1 << 16];
            while (read(buffer, 0, buffer.length) >= 0) {
                // hashed by read
            }
            return hex(digest.digest());
        }

        long count() {
            return count;
        }
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
