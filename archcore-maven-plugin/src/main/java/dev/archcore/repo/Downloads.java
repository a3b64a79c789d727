package dev.archcore.repo;

import dev.archcore.util.Bounded;
import dev.archcore.util.HttpProxies;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * GETs of mirror files over HTTP(S) with okhttp, and of {@code file://} servers (pacman allows both), with the
 * words the fetchers put in their messages.
 */
final class Downloads {

    /** What a GET gave: the status, and for 200 the body's size and the validators of a later conditional GET. */
    record Got(int status, long bytes, long contentLength, String etag, String lastModified) {
    }

    static final String USER_AGENT = "archcore (pacman-compatible fetcher)";

    private final OkHttpClient given;
    private OkHttpClient client;

    /** {@code client} null: the default client, made on the first HTTP request (file:// servers never need it). */
    Downloads(OkHttpClient client) {
        this.given = client;
    }

    private synchronized OkHttpClient client() {
        if (client == null) {
            client = given != null ? given : defaultClient();
        }
        return client;
    }

    /** Timeouts for mirrors: a connect that hangs or a stream that stalls moves on to the next server. */
    static OkHttpClient defaultClient() {
        return defaultClient(HttpProxies.NONE);
    }

    /** {@link #defaultClient()} through the user's proxies. */
    static OkHttpClient defaultClient(HttpProxies proxies) {
        return proxies.applyTo(new OkHttpClient.Builder())
                .connectTimeout(Duration.ofSeconds(15))
                .readTimeout(Duration.ofSeconds(30))
                .followRedirects(true)
                .followSslRedirects(true)
                .build();
    }

    /**
     * Writes the body of a 200 answer into {@code out}; other statuses write nothing.
     *
     * @throws IOException when the connection fails or the body is cut short; the message says how
     */
    Got get(String url, OutputStream out, Map<String, String> headers) throws IOException {
        return get(url, out, headers, Long.MAX_VALUE, null);
    }

    /**
     * {@link #get(String, OutputStream, Map)} that stops as soon as the body passes {@code limit} bytes, before
     * writing them: a server may not fill the disk with more than the database says the file has.
     *
     * @param limitName what the limit is, for the message (e.g. "the database's %CSIZE%")
     * @throws Bounded.TooLarge when the body (or its announced Content-Length) is larger than the limit
     */
    Got get(String url, OutputStream out, Map<String, String> headers, long limit, String limitName)
            throws IOException {
        if (limit != Long.MAX_VALUE) {
            out = Bounded.limited(out, limit, "it sent more than " + limitName + " of " + limit
                    + " bytes; stopped there and removed the partial file");
        }
        if (url.startsWith("file:")) {
            return getFile(url, out);
        }
        Request.Builder request = new Request.Builder().url(url).header("User-Agent", USER_AGENT);
        headers.forEach(request::header);
        try (Response response = client().newCall(request.build()).execute()) {
            if (response.code() != 200) {
                return new Got(response.code(), 0, -1, null, null);
            }
            ResponseBody body = response.body();
            long length = body.contentLength();
            if (length > limit) {
                throw new Bounded.TooLarge("it announced " + length + " bytes, more than " + limitName + " of "
                        + limit + " bytes; nothing was downloaded");
            }
            long copied = 0;
            try (InputStream in = body.byteStream()) {
                byte[] buffer = new byte[1 << 16];
                while (true) {
                    int n;
                    try {
                        n = in.read(buffer);
                    } catch (IOException e) {
                        String of = length >= 0 ? " of " + length : "";
                        throw new IOException("cut short after " + copied + of + " bytes: " + reason(e), e);
                    }
                    if (n == -1) {
                        break;
                    }
                    out.write(buffer, 0, n);
                    copied += n;
                }
            }
            return new Got(200, copied, length, response.header("ETag"), response.header("Last-Modified"));
        } catch (IOException e) {
            if (e instanceof Bounded.TooLarge || e.getMessage() != null && e.getMessage().startsWith("cut short")) {
                throw e;
            }
            throw new IOException(reason(e), e);
        }
    }

    /** A small file such as a {@code .sig}: its bytes, or null when the server has none (404, 410). */
    byte[] getSmall(String url, int limit) throws IOException {
        LimitedBuffer buffer = new LimitedBuffer(limit);
        Got got = get(url, buffer, Map.of());
        if (got.status() == 404 || got.status() == 410) {
            return null;
        }
        if (got.status() != 200) {
            throw new IOException("HTTP " + got.status());
        }
        return buffer.toByteArray();
    }

    private static Got getFile(String url, OutputStream out) throws IOException {
        Path path;
        try {
            path = Path.of(URI.create(url));
        } catch (IllegalArgumentException e) {
            throw new IOException("not a usable file: URL (" + e.getMessage() + ")", e);
        }
        try (InputStream in = Files.newInputStream(path)) {
            long copied = in.transferTo(out);
            return new Got(200, copied, copied, null, null);
        } catch (NoSuchFileException e) {
            return new Got(404, 0, -1, null, null);
        }
    }

    /** The server URL and a file name, as pacman joins them. */
    static String join(String server, String file) {
        String base = server.strip();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return base + "/" + file;
    }

    /** The URL without {@code user:password@}, for messages and logs: secrets are never shown. */
    static String redact(String url) {
        return url.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", "$1***@");
    }

    static String reason(IOException e) {
        if (e instanceof SocketTimeoutException || (e instanceof InterruptedIOException
                && String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("timeout"))) {
            return "timed out";
        }
        if (e instanceof ConnectException) {
            return "cannot connect: " + e.getMessage();
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    /** Human sizes the way Maven prints transfers: {@code 812 B}, {@code 10.2 kB}, {@code 10.2 MB}. */
    static String size(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** Collects a small body, refusing one larger than the limit (a .sig is never big). */
    private static final class LimitedBuffer extends OutputStream {
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        private final int limit;

        LimitedBuffer(int limit) {
            this.limit = limit;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (bytes.size() + len > limit) {
                throw new IOException("larger than " + limit + " bytes, so not a detached signature");
            }
            bytes.write(b, off, len);
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
