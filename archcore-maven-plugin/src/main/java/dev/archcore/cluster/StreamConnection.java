package dev.archcore.cluster;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** A byte stream both ways (an SSH channel to a Unix socket or a TCP port) that HTTP/1.1 runs over. */
public interface StreamConnection extends Closeable {
    InputStream in();

    OutputStream out();

    /** A connection over these streams that {@code onClose} ends. */
    static StreamConnection of(InputStream in, OutputStream out, Closeable onClose) {
        return new StreamConnection() {
            @Override
            public InputStream in() {
                return in;
            }

            @Override
            public OutputStream out() {
                return out;
            }

            @Override
            public void close() throws IOException {
                onClose.close();
            }
        };
    }

    /** Opens a new connection to the same place (after the server closed the previous one). */
    @FunctionalInterface
    interface Opener {
        StreamConnection open() throws IOException;
    }
}
