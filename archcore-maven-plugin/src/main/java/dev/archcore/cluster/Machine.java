package dev.archcore.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.Map;

/** fleet API v1 {@code Machine}: the full machine id, its primary IP and metadata ({@code role=registry}). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Machine(String id, String primaryIP, Map<String, String> metadata) {
    public Machine {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** The first 8 characters, as fleetctl shows machine ids. */
    public String shortId() {
        return id.length() > 8 ? id.substring(0, 8) : id;
    }

    @Override
    public String toString() {
        return shortId() + (primaryIP == null ? "" : " (" + primaryIP + ")");
    }
}
