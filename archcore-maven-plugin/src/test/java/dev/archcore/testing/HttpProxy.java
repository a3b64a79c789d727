package dev.archcore.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP proxy on 127.0.0.1, as corporate proxies work: {@code CONNECT host:port} tunnels (for https) and
 * absolute-URI requests ({@code GET http://host/path}) forwarded, one request per connection. With a user and
 * password it answers 407 to a request without the right Basic {@code Proxy-Authorization}. It records each
 * request it forwarded ({@code "CONNECT 127.0.0.1:5000"}, {@code "GET http://127.0.0.1:8080/core.db"}) and each it
 * refused.
 */
public final class HttpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String expectedAuthorization;
    public final List<String> forwarded = new CopyOnWriteArrayList<>();
    public final List<String> refused = new CopyOnWriteArrayList<>();

    /** An open proxy. */
    public HttpProxy() {
        this(null, null);
    }

    /** A proxy that wants Basic credentials (null user: none). */
    public HttpProxy(String user, String password) {
        expectedAuthorization = user == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread accept = new Thread(this::acceptLoop, "http-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread t = new Thread(() -> serve(client), "http-proxy-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            List<String> head = readHead(in);
            if (head.isEmpty()) {
                return;
            }
            String[] line = head.get(0).split(" ");
            String authorization = header(head, "Proxy-Authorization");
            if (expectedAuthorization != null && !expectedAuthorization.equals(authorization)) {
                refused.add(line[0] + " " + line[1] + (authorization == null ? "" : " with " + authorization));
                out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                        + "Content-Length: 0\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return;
            }
            if (line[0].equals("CONNECT")) {
                String[] hostPort = line[1].split(":");
                try (Socket upstream = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
                    forwarded.add("CONNECT " + line[1]);
                    out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    pipe(client, upstream);
                }
                return;
            }
            URI uri = URI.create(line[1]); // absolute-form: the proxy decides where to go
            int port = uri.getPort() == -1 ? 80 : uri.getPort();
            try (Socket upstream = new Socket(uri.getHost(), port)) {
                forwarded.add(line[0] + " " + line[1]);
                StringBuilder request = new StringBuilder(line[0] + " " + uri.getRawPath()
                        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()) + " " + line[2] + "\r\n");
                for (String h : head.subList(1, head.size())) {
                    String name = h.substring(0, h.indexOf(':')).toLowerCase(Locale.ROOT);
                    if (!name.startsWith("proxy-") && !name.equals("connection")) {
                        request.append(h).append("\r\n");
                    }
                }
                // one request per connection: the answer ends when the server hangs up
                request.append("Connection: close\r\n\r\n");
                upstream.getOutputStream().write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
                upstream.getOutputStream().flush();
                pipe(client, upstream);
            }
        } catch (IOException e) {
            // a client or server that hung up: nothing to report
        }
    }

    /** Copies both ways until the server's side ends. */
    private static void pipe(Socket client, Socket upstream) throws IOException {
        Thread up = new Thread(() -> {
            try {
                client.getInputStream().transferTo(upstream.getOutputStream());
                upstream.shutdownOutput(); // the client is done: let the server finish and hang up
            } catch (IOException ignored) {
                // closed below
            }
        }, "http-proxy-up");
        up.setDaemon(true);
        up.start();
        upstream.getInputStream().transferTo(client.getOutputStream());
        client.getOutputStream().flush();
    }

    private static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new java.util.ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String s = line.toString(StandardCharsets.ISO_8859_1).replaceFirst("\r$", "");
                line.reset();
                if (s.isEmpty()) {
                    return lines;
                }
                lines.add(s);
            } else {
                line.write(c);
            }
        }
        return List.of();
    }

    private static String header(List<String> head, String name) {
        for (String h : head.subList(1, head.size())) {
            int colon = h.indexOf(':');
            if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return h.substring(colon + 1).trim();
            }
        }
        return null;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
