package dev.archcore.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback in front of a server: counts connections and the bytes clients send, and can break
 * one connection once after it has carried a given number of client bytes (a connection reset mid-upload).
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    public final AtomicLong clientBytes = new AtomicLong();
    public final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong dropAfter = new AtomicLong(-1);
    public final AtomicBoolean dropped = new AtomicBoolean();

    public TcpProxy(int targetPort) {
        this.targetPort = targetPort;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread accept = new Thread(this::accept, "tcp-proxy-" + server.getLocalPort());
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Breaks the connection that is carrying client bytes when it has sent {@code bytes} of them; only once. */
    public void dropOnceAfter(long bytes) {
        dropAfter.set(bytes);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                connections.incrementAndGet();
                pump(client, upstream, true);
                pump(upstream, client, false);
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean fromClient) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            long carried = 0;
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (fromClient) {
                        long limit = dropAfter.get();
                        if (limit >= 0 && carried + n > limit && dropped.compareAndSet(false, true)) {
                            int part = (int) Math.max(0, limit - carried);
                            out.write(buf, 0, part);
                            out.flush();
                            clientBytes.addAndGet(part);
                            from.setSoLinger(true, 0); // RST
                            from.close();
                            to.close();
                            return;
                        }
                        carried += n;
                        clientBytes.addAndGet(n);
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                }
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
        }
    }
}
