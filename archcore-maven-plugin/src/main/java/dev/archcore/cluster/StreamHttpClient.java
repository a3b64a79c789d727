package dev.archcore.cluster;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a {@link StreamConnection}, one request at a time: keep-alive (the connection is reused until the
 * server closes it or says {@code Connection: close}), bodies by {@code Content-Length}, chunked, or up to the end
 * of the stream. Small on purpose: the only servers it talks to are fleet's Unix socket and etcd, through SSH.
 */
public final class StreamHttpClient implements AutoCloseable {
    private static final int MAX_LINE = 64 * 1024;

    private final StreamConnection.Opener opener;
    private final String hostHeader;
    private StreamConnection connection;
    private int requests;

    public StreamHttpClient(StreamConnection.Opener opener, String hostHeader) {
        this.opener = opener;
        this.hostHeader = hostHeader;
    }

    /** Requests sent so far (the scale test counts them). */
    public int requests() {
        return requests;
    }

    public HttpResponse send(String method, String target, String contentType, byte[] body) throws IOException {
        boolean reused = connection != null;
        try {
            return exchange(method, target, contentType, body);
        } catch (IOException e) {
            closeConnection();
            // a kept-alive connection the server had closed: once more on a new one, for requests safe to repeat
            if (reused && (method.equals("GET") || method.equals("DELETE"))) {
                return exchange(method, target, contentType, body);
            }
            throw e;
        }
    }

    private HttpResponse exchange(String method, String target, String contentType, byte[] body) throws IOException {
        if (connection == null) {
            connection = opener.open();
        }
        requests++;
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(hostHeader).append("\r\n")
                .append("User-Agent: archcore\r\n")
                .append("Accept: application/json\r\n");
        if (body != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n")
                    .append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        OutputStream out = connection.out();
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.write(body);
        }
        out.flush();

        InputStream in = connection.in();
        String statusLine = readLine(in);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: '" + statusLine + "'");
        }
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: '" + statusLine + "'");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line; !(line = readLine(in)).isEmpty(); ) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim(),
                        (a, b) -> a + ", " + b);
            }
        }
        byte[] responseBody;
        boolean untilEof = false;
        if (method.equals("HEAD") || status == 204 || status == 304 || status / 100 == 1) {
            responseBody = new byte[0];
        } else if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
            responseBody = readChunked(in);
        } else if (headers.containsKey("content-length")) {
            int length = size(headers.get("content-length"), 10, "Content-Length");
            responseBody = in.readNBytes(length);
            if (responseBody.length < length) {
                throw new EOFException("the response body ended early");
            }
        } else {
            responseBody = in.readAllBytes();
            untilEof = true;
        }
        if (untilEof || headers.getOrDefault("connection", "").equalsIgnoreCase("close") || parts[0].equals("HTTP/1.0")) {
            closeConnection();
        }
        return new HttpResponse(status, headers, responseBody);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int semi = sizeLine.indexOf(';');
            int size = size((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16, "chunk size");
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length < size) {
                throw new EOFException("a chunk of the response ended early");
            }
            body.write(chunk);
            readLine(in);
        }
    }

    /** A body or chunk length as the server wrote it: digits of the radix only, below 2 GiB. */
    private static int size(String text, int radix, String what) throws IOException {
        try {
            int size = Integer.parseInt(text, radix);
            if (Character.digit(text.charAt(0), radix) >= 0) { // no sign: parseInt takes "+1" and "-1"
                return size;
            }
        } catch (NumberFormatException e) {
            // below
        }
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        throw new IOException("an invalid " + what + " '" + shown + "' in the response");
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new EOFException("the connection closed in the middle of a response");
            }
            if (line.size() > MAX_LINE) {
                throw new IOException("an HTTP line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // already gone
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        closeConnection();
    }
}
