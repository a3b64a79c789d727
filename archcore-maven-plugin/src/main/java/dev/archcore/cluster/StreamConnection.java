package dev.archcore.cluster;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** A byte stream both ways (an SSH channel to a Unix socket or a TCP port) that HTTP/1.1 runs over. */
public interface StreamConnection extends Closeable {
    InputStream in();

    OutputStream out();

    /** Opens a new connection to the same place (after the server closed the previous one). */
    @FunctionalInterface
    interface Opener {
        StreamConnection open() throws IOException;
    }
}
