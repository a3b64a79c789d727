package dev.archcore.image;

import dev.archcore.util.Compressed;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The bytes of a package's regular files, read from the archive as the layer tar needs them. Packages are
 * sorted the way layers are (makepkg archives in bytewise path order), so normally one forward pass over the
 * archive serves the whole layer: {@link Streaming}. A package whose order does not fit (unsorted archive,
 * paths moved by a symlink) is first read once into a flat spool file of the needed contents: {@link Spooled}.
 * Either way the whole package file is hashed as it is read, and {@link #verify} compares that with the SHA-256
 * the package was verified with before the layer is accepted: bytes swapped in after the check never reach an image.
 * A package just downloaded is read from its download's open descriptor instead, the bytes that were hashed
 * ({@link PackageBytes}).
 */
abstract sealed class PackageContent implements Closeable {

    final ImagePackage pkg;
    final Path file;
    final String sha256;
    /** One per package and layer (one thread): 20,000 files each taking a new 64 KiB array cost more than copying. */
    final byte[] buffer = new byte[1 << 16];

    PackageContent(ImagePackage pkg, String sha256) {
        this.pkg = pkg;
        this.file = pkg.file();
        this.sha256 = sha256;
    }

    /** Copies the content of {@code c} (exactly {@code size} bytes) to {@code out}. */
    abstract void copy(LayerEntry.FromPackage c, long size, OutputStream out) throws IOException;

    /**
     * Throws unless the package file, read to its end, had the SHA-256 it was verified with; call it after the last
     * {@link #copy} and before the layer is used.
     */
    abstract void verify() throws IOException;

    /** The package's tar, over its checked bytes ({@code raw}). */
    static TarArchiveInputStream open(PackageBytes raw) throws IOException {
        InputStream in = Compressed.open(raw.in());
        return new TarArchiveInputStream(in, "UTF-8");
    }

    static void copyExactly(InputStream in, long size, OutputStream out, String what, byte[] buffer) throws IOException {
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new ImageBuildException(what + ": archive ended early; did the package file change during the build?");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    /** One forward pass: contents must be asked for in increasing archive order. */
    static final class Streaming extends PackageContent {
        private PackageBytes raw;
        private TarArchiveInputStream tar;
        private int current = -1;
        private TarArchiveEntry entry;

        Streaming(ImagePackage pkg, String sha256) {
            super(pkg, sha256);
        }

        private void open() throws IOException {
            if (tar == null) {
                raw = PackageBytes.open(pkg, sha256);
                tar = open(raw);
            }
        }

        @Override
        void copy(LayerEntry.FromPackage c, long size, OutputStream out) throws IOException {
            open();
            if (c.ordinal() <= current) {
                throw new IllegalStateException("archive order broken at " + c.name() + " in " + file);
            }
            while (current < c.ordinal()) {
                entry = tar.getNextEntry();
                current++;
                if (entry == null) {
                    break;
                }
            }
            if (entry == null || !entry.getName().equals(c.name()) || entry.getSize() != size) {
                throw new ImageBuildException(file + ": entry " + c.ordinal() + " is not '" + c.name() + "' of " + size
                        + " bytes any more; did the package file change during the build?");
            }
            copyExactly(tar, size, out, file.toString(), buffer);
        }

        @Override
        void verify() throws IOException {
            open();
            raw.check();
        }

        @Override
        public void close() throws IOException {
            if (tar != null) {
                tar.close();
            }
        }
    }

    /** The needed contents copied once into a spool file, then read in any order. */
    static final class Spooled extends PackageContent {
        private final Path spool;
        private final FileChannel channel;
        private final Map<Integer, long[]> where = new HashMap<>();

        Spooled(ImagePackage pkg, String sha256, Set<Integer> ordinals, Path spoolDir) throws IOException {
            super(pkg, sha256);
            Files.createDirectories(spoolDir);
            spool = Files.createTempFile(spoolDir, "spool", ".bin");
            PackageBytes raw = PackageBytes.open(pkg, sha256);
            try (raw; TarArchiveInputStream tar = open(raw);
                 OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(spool), 1 << 16)) {
                long offset = 0;
                int ordinal = -1;
                for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                    ordinal++;
                    if (ordinals.contains(ordinal)) {
                        copyExactly(tar, e.getSize(), out, file.toString(), buffer);
                        where.put(ordinal, new long[] {offset, e.getSize()});
                        offset += e.getSize();
                    }
                }
                raw.check(); // the whole file has been read: check it before anything is taken from the spool
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(spool);
                throw e;
            }
            channel = FileChannel.open(spool, StandardOpenOption.READ);
        }

        @Override
        void verify() {
            // checked when spooled
        }

        @Override
        void copy(LayerEntry.FromPackage c, long size, OutputStream out) throws IOException {
            long[] at = where.get(c.ordinal());
            if (at == null || at[1] != size) {
                throw new ImageBuildException("spooled content of '" + c.name() + "' is missing or of another size");
            }
            channel.position(at[0]);
            copyExactly(Channels.newInputStream(channel), size, out, spool.toString(), buffer);
        }

        @Override
        public void close() throws IOException {
            channel.close();
            Files.deleteIfExists(spool);
        }
    }
}
