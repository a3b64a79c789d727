package dev.archcore.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pacman mirror on 127.0.0.1 (the JDK's HttpServer) serving files under {@code /repo/}, with a fault mode that
 * hits every file except {@code .sig}s: 404, 500, a body cut short, the wrong bytes, or an answer slower than
 * the client's read timeout, or half a body and then nothing for a long time (STALL). Serves ETag/Last-Modified and answers conditional GETs with 304, and counts
 * requests and bodies per file.
 */
public final class MirrorServer implements AutoCloseable {

    public enum Fault { NONE, NOT_FOUND, SERVER_ERROR, TRUNCATED, WRONG_BYTES, SLOW, STALL, ENDLESS }

    /** What ENDLESS sends after the file (chunked, no length) unless the client hangs up first. */
    public static final long ENDLESS_BYTES = 1L << 30;

    /** How long SLOW waits before answering; clients in the tests time out well before. */
    public static final long SLOW_MILLIS = 5_000;

    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    private static final String LAST_MODIFIED = HTTP_DATE.format(Instant.parse("2026-01-01T00:00:00Z"));

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "mirror-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> bodies = new ConcurrentHashMap<>();
    private volatile Fault fault;

    public MirrorServer(Fault fault) {
        this.fault = fault;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/repo/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** The Server URL for pacman.conf, without a trailing slash. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/repo";
    }

    public MirrorServer fault(Fault fault) {
        this.fault = fault;
        return this;
    }

    public MirrorServer put(String name, byte[] content) {
        files.put(name, content);
        return this;
    }

    public MirrorServer put(Path file) {
        try {
            return put(file.getFileName().toString(), Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void remove(String name) {
        files.remove(name);
    }

    public int requests(String name) {
        return requests.getOrDefault(name, new AtomicInteger()).get();
    }

    /** Complete or partial bodies sent for this file (304s and errors send none). */
    public int bodies(String name) {
        return bodies.getOrDefault(name, new AtomicInteger()).get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String name = exchange.getRequestURI().getPath().substring("/repo/".length());
            requests.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            Fault f = name.endsWith(".sig") ? Fault.NONE : fault;
            byte[] content = files.get(name);
            if (f == Fault.SLOW) {
                sleep();
            }
            if (content == null || f == Fault.NOT_FOUND) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (f == Fault.SERVER_ERROR) {
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            String etag = "\"" + sha256(content).substring(0, 16) + "\"";
            exchange.getResponseHeaders().set("ETag", etag);
            exchange.getResponseHeaders().set("Last-Modified", LAST_MODIFIED);
            if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                exchange.sendResponseHeaders(304, -1);
                return;
            }
            bodies.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
            exchange.sendResponseHeaders(200, f == Fault.ENDLESS ? 0 : content.length);
            OutputStream out = exchange.getResponseBody();
            switch (f) {
                case TRUNCATED -> {
                    out.write(content, 0, content.length / 2);
                    out.flush();
                    // the declared length is not reached: closing the exchange drops the connection
                }
                case STALL -> {
                    out.write(content, 0, content.length / 2);
                    out.flush();
                    sleep();
                }
                case WRONG_BYTES -> {
                    byte[] wrong = content.clone();
                    for (int i = 0; i < wrong.length; i += 97) {
                        wrong[i] ^= 0x5a;
                    }
                    out.write(wrong);
                }
                case ENDLESS -> {
                    // the file, then zeros as long as the client reads (a gigabyte at most, so a test ends)
                    out.write(content);
                    byte[] zeros = new byte[1 << 16];
                    for (long sent = 0; sent < ENDLESS_BYTES; sent += zeros.length) {
                        out.write(zeros);
                    }
                }
                default -> out.write(content);
            }
        } catch (IOException e) {
            // the client went away (timeouts) or the truncated body: nothing to do
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(SLOW_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
