package dev.archcore.provision.digitalocean;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.archcore.testing.FuzzRules;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz target for DigitalOcean's answers, fed as the body text the client received: a success answer read as
 * a droplet, an image and a page (with its next link), and the same text as an error answer. Seeds in
 * DigitalOceanFuzzTestInputs/ are the API's documented shapes; bench/fuzz.sh fuzzes the target.
 */
@Timeout(10)
class DigitalOceanFuzzTest {
    private static final HttpUrl API = HttpUrl.get("https://api.digitalocean.com/");

    @FuzzTest
    void apiAnswer(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        FuzzRules.onlyClearErrors(() -> {
            JsonNode answer = DigitalOceanClient.parse(text, "GET /v2/droplets");
            Droplet.from(answer.path("droplet"));
            Image.from(answer.path("image"));
            answer.path("droplets").forEach(Droplet::from);
            answer.path("images").forEach(Image::from);
            HttpUrl next = DigitalOceanClient.nextPage(API, answer);
            if (next != null) {
                assertThat(next.host()).isEqualTo(API.host()); // the token never goes to another host
            }
        }, DigitalOceanException.class);
        assertThat(DigitalOceanClient.apiError(422, text, null, "POST /v2/droplets").getMessage())
                .startsWith("DigitalOcean answered HTTP 422");
    }
}
