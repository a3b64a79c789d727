package dev.archcore.provision.digitalocean;

import com.fasterxml.jackson.databind.JsonNode;

/** The fields of an image object ({@code GET /v2/images/{id}}) that a custom image import needs. */
public record Image(long id, String name, String status, String errorMessage) {

    static Image from(JsonNode i) {
        String error = i.path("error_message").asText("");
        return new Image(i.path("id").asLong(), i.path("name").asText(), i.path("status").asText(),
                error.isEmpty() ? null : error);
    }
}
