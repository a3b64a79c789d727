package dev.archcore.util;

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

    /** Writes through the file's channel, e.g. to copy other files into it in the kernel ({@code transferTo}). */
    @FunctionalInterface
    public interface ChannelWriter {
        void write(FileChannel out) throws IOException;
    }

    public static void write(Path target, Writer writer) throws IOException {
        // temp files are created 0600; outputs are meant to be served and shared, as a plain file would be
        write(target, "rw-r--r--", writer);
    }

    /** As {@link #write(Path, Writer)} with the given mode (e.g. {@code rw-------} for a private key) from the start. */
    public static void write(Path target, String permissions, Writer writer) throws IOException {
        writeChannel(target, permissions, channel -> {
            OutputStream out = Channels.newOutputStream(channel);
            writer.write(out);
            out.flush();
        });
    }

    /** As {@link #write(Path, Writer)}, handing the writer the temporary file's channel. */
    public static void writeChannel(Path target, ChannelWriter writer) throws IOException {
        writeChannel(target, "rw-r--r--", writer);
    }

    private static void writeChannel(Path target, String permissions, ChannelWriter writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".part",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(out);
            }
            move(temp, target);
        } finally {
            Files.deleteIfExists(temp);
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
