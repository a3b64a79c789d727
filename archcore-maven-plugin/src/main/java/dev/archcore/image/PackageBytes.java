package dev.archcore.image;

import dev.archcore.util.VerifiedFile;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;

/**
 * One read of a package file's bytes, checked against the SHA-256 it was verified with: either the file, hashed
 * as it is read ({@link #check} then reads what the reader left and compares), or the open bytes its download
 * hashed ({@link ImagePackage#verified}), which are those bytes by construction and are not hashed again. Every
 * reader of package bytes in the image (indexer, layer writer, recipes) goes through here, so no path reads a
 * package file unchecked.
 */
abstract sealed class PackageBytes implements Closeable {
    final ImagePackage pkg;
    final String sha256;

    private PackageBytes(ImagePackage pkg, String sha256) {
        this.pkg = pkg;
        this.sha256 = sha256;
    }

    /** Opens {@code pkg}'s bytes, which must have {@code sha256}. */
    static PackageBytes open(ImagePackage pkg, String sha256) throws IOException {
        VerifiedFile v = pkg.verified();
        if (v != null && v.sha256().equalsIgnoreCase(sha256)) {
            return new Open(pkg, sha256, v);
        }
        return new Hashed(pkg, sha256);
    }

    /** The raw (compressed) bytes, buffered. */
    abstract InputStream in();

    /**
     * Throws unless the bytes were the verified ones; call it when the reader is done (it reads the rest) and before
     * anything read is used.
     */
    abstract void check() throws IOException;

    /** The number of bytes, after {@link #check}. */
    abstract long size();

    /**
     * For a reader that failed ({@code e}, a damaged archive say): throws the reason instead when it is that the
     * bytes are not the verified ones any more and that can be told without reading on; else returns.
     */
    void failed(Exception e) {
    }

    /** Hashed as read. */
    private static final class Hashed extends PackageBytes {
        private final Digests.HashingInputStream raw;
        private final InputStream in;

        Hashed(ImagePackage pkg, String sha256) throws IOException {
            super(pkg, sha256);
            raw = new Digests.HashingInputStream(Files.newInputStream(pkg.file()));
            in = new BufferedInputStream(raw, 1 << 16);
        }

        @Override
        InputStream in() {
            return in;
        }

        @Override
        void check() throws IOException {
            String actual = raw.finish(); // what the tar reader left (end-of-archive blocks, padding) is hashed too
            if (!actual.equals(sha256)) {
                throw Digests.changed(pkg.file(), sha256, actual);
            }
        }

        @Override
        long size() {
            return raw.count();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** The download's own descriptor: the hashed bytes themselves. */
    private static final class Open extends PackageBytes {
        private final VerifiedFile verified;
        private final InputStream in;

        Open(ImagePackage pkg, String sha256, VerifiedFile verified) {
            super(pkg, sha256);
            this.verified = verified;
            this.in = new BufferedInputStream(verified.open(), 1 << 16);
        }

        @Override
        InputStream in() {
            return in;
        }

        @Override
        void check() {
            // hashed as they were written through this descriptor; only their owner could write into them since,
            // and a write through the cache path (an in-place rewrite of the entry) shows in the inode's ctime
            try {
                verified.checkUnchanged();
            } catch (IOException e) {
                throw new ImageBuildException(e.getMessage() + ", so none of its bytes went into the image. Run the"
                        + " build again (a package from the package cache is then hashed in full and fetched again),"
                        + " and find what writes into the package cache if it recurs", e);
            }
        }

        @Override
        void failed(Exception e) {
            if (e instanceof ImageBuildException && e.getCause() instanceof IOException) {
                return; // check's own refusal
            }
            try {
                check();
            } catch (ImageBuildException written) {
                written.addSuppressed(e);
                throw written;
            }
        }

        @Override
        long size() {
            return verified.size();
        }

        @Override
        public void close() throws IOException {
            in.close(); // not the descriptor: other readers share it
        }
    }
}
