package dev.archcore.cluster;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A status, the headers (names lower-cased) and the whole body. */
public record HttpResponse(int status, Map<String, String> headers, byte[] body) {
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
