package dev.archcore.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The layer cache's key files: read back as written, a damaged one is a miss and never an error. */
class LayerCacheTest {
    private static final String DIFF_ID = "sha256:" + "1".repeat(64);
    private static final String DIGEST = "sha256:" + "a".repeat(64);

    @TempDir
    Path dir;

    private LayerCache cacheWithBlob(int size) throws IOException {
        LayerCache cache = new LayerCache(dir);
        Files.createDirectories(cache.blobs());
        Files.write(cache.blob(DIGEST), new byte[size]);
        return cache;
    }

    private Path keyFile(String key) {
        return dir.resolve("layers-v1/keys/" + key + ".json");
    }

    @Test
    void aPutLayerIsAHitInTheFormatEarlierBuildsWrote() throws IOException {
        LayerCache cache = cacheWithBlob(3);
        LayerCache.Hit hit = new LayerCache.Hit(DIFF_ID, DIGEST, 3, 10_240_000_000L);
        cache.put("k", hit);
        assertThat(Files.readString(keyFile("k"))).isEqualTo("{\"diffId\":\"" + DIFF_ID + "\",\"digest\":\"" + DIGEST
                + "\",\"size\":3,\"tarSize\":10240000000}");
        assertThat(new LayerCache(dir).get("k")).isEqualTo(hit);
        assertThat(cache.get("other")).isNull();
    }

    @Test
    void aDamagedKeyFileOrAChangedBlobIsAMiss() throws IOException {
        LayerCache cache = cacheWithBlob(3);
        cache.put("k", new LayerCache.Hit(DIFF_ID, DIGEST, 3, 10));
        String good = Files.readString(keyFile("k"));
        for (String damaged : new String[]{
                good.substring(0, good.length() / 2),               // cut short
                "",
                "not json",
                "[]",
                good.replace("\"size\":3", "\"size\":\"three\""),   // wrong type
                good.replace("\"size\":3,", ""),                     // missing field
                good.replace(DIGEST, "a".repeat(64)),                // not a digest
                good.replace("\"digest\":\"" + DIGEST + "\"", "\"digest\":null"),
        }) {
            Files.writeString(keyFile("k"), damaged);
            assertThat(cache.get("k")).as(damaged).isNull();
        }
        Files.writeString(keyFile("k"), good.replace("{", "{\"newer\":{\"x\":[1]},"));
        assertThat(cache.get("k")).as("unknown fields are ignored").isNotNull();
        Files.write(cache.blob(DIGEST), new byte[4]);
        assertThat(cache.get("k")).as("blob of another size").isNull();
    }
}
