package dev.archcore.util;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes a file next to its target and moves it into place, so a failed build never leaves half a file. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    public static void write(Path target, Writer writer) throws IOException {
        // temp files are created 0600; outputs are meant to be served and shared, as a plain file would be
        write(target, "rw-r--r--", writer);
    }

    /** As {@link #write(Path, Writer)} with the given mode (e.g. {@code rw-------} for a private key) from the start. */
    public static void write(Path target, String permissions, Writer writer) throws IOException {
        try (Pending file = begin(target, permissions)) {
            OutputStream out = Channels.newOutputStream(file.channel());
            writer.write(out);
            out.flush();
            file.commit();
        }
    }

    /** Starts a file that is written over time, through its channel (see {@link Pending}), mode {@code rw-r--r--}. */
    public static Pending begin(Path target) throws IOException {
        return begin(target, "rw-r--r--");
    }

    private static Pending begin(Path target, String permissions) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".part",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        try {
            return new Pending(target, temp, FileChannel.open(temp, StandardOpenOption.WRITE));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** A file being written next to its target: {@link #commit} moves it into place; closing without that removes it. */
    public static final class Pending implements Closeable {
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private boolean committed;

        private Pending(Path target, Path temp, FileChannel channel) {
            this.target = target;
            this.temp = temp;
            this.channel = channel;
        }

        public FileChannel channel() {
            return channel;
        }

        public void commit() throws IOException {
            channel.close();
            move(temp, target);
            committed = true;
        }

        @Override
        public void close() throws IOException {
            try {
                channel.close();
            } finally {
                if (!committed) {
                    Files.deleteIfExists(temp);
                }
            }
        }
    }

    public static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
