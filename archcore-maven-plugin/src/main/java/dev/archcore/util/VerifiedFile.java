package dev.archcore.util;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A file's bytes as they were hashed: the open descriptor of the file that was written and hashed in one pass
 * (a download into the package cache), kept open so that later readers (the image's indexer and layer writer)
 * read that inode and not whatever the path names by then. A file created exclusively by this process, mode 600
 * while written and 644 after, can only be written by its owner: renaming or replacing files in the cache (a
 * restored, tampered cache) cannot change what is read here, so these bytes need no second hash. Only the owner
 * could write into that inode; {@link #checkUnchanged} still catches a write through {@code path} while it names
 * the inode (a tool rewriting a cache entry in place), by the inode's ctime, which every write moves.
 */
public final class VerifiedFile implements Closeable {
    private final Path path;
    private final String sha256;
    private final long size;
    private final FileChannel channel;
    private final String stamp;

    /** {@code path} names the written file now (its inode's attributes are recorded for {@link #checkUnchanged}). */
    public VerifiedFile(Path path, String sha256, long size, FileChannel channel) {
        this.path = Objects.requireNonNull(path, "path");
        this.sha256 = Objects.requireNonNull(sha256, "sha256");
        this.size = size;
        this.channel = Objects.requireNonNull(channel, "channel");
        this.stamp = stamp(path);
    }

    /** Inode number, size, mtime and ctime (ns) of what {@code path} names, or null where they are not known. */
    private static String stamp(Path path) {
        try {
            Map<String, Object> a = Files.readAttributes(path, "unix:ino,size,lastModifiedTime,ctime",
                    LinkOption.NOFOLLOW_LINKS);
            return a.get("ino") + " " + a.get("size") + " " + nanos((FileTime) a.get("lastModifiedTime")) + " "
                    + nanos((FileTime) a.get("ctime"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long nanos(FileTime t) {
        Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /**
     * Throws when {@code path} still names the verified inode but its size, mtime or ctime moved since it was
     * verified: something wrote into it in place. (A different file at {@code path} is no concern: it is not read.)
     */
    public void checkUnchanged() throws IOException {
        String now = stamp(path);
        if (stamp == null || now == null) {
            return;
        }
        String inode = stamp.substring(0, stamp.indexOf(' ') + 1);
        if (now.startsWith(inode) && !now.equals(stamp)) {
            throw new IOException(path + " was written in place after its download was verified (inode, size, mtime,"
                    + " ctime were " + stamp + ", now " + now + ")");
        }
    }

    public Path path() {
        return path;
    }

    /** The SHA-256 the bytes had as they were written (lower-case hex). */
    public String sha256() {
        return sha256;
    }

    public long size() {
        return size;
    }

    /**
     * A new stream over the hashed bytes, from the start; streams read independently (positional reads), so the
     * indexer and the layer writers can read at once. Ends after {@code size} bytes, however long the file is.
     */
    public InputStream open() {
        return new InputStream() {
            private long position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                Objects.checkFromIndexSize(off, len, b.length);
                if (len == 0) {
                    return 0;
                }
                long left = size - position;
                if (left <= 0) {
                    return -1;
                }
                int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, left)), position);
                if (n < 0) {
                    throw new IOException(path + " is shorter than the " + size + " bytes that were verified");
                }
                position += n;
                return n;
            }

            @Override
            public long skip(long n) {
                long skipped = Math.max(0, Math.min(n, size - position));
                position += skipped;
                return skipped;
            }

            @Override
            public int available() {
                return (int) Math.min(Integer.MAX_VALUE, size - position);
            }
        };
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return path + " (sha256 " + sha256 + ", " + size + " bytes, open)";
    }
}
