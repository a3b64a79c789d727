package dev.archcore.image;

import dev.archcore.util.CacheKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layer cache's key files: read back as written, a damaged one, or one not tagged with the cache key, is a
 * miss and never an error.
 */
class LayerCacheTest {
    private static final String DIFF_ID = "sha256:" + "1".repeat(64);
    private static final String DIGEST = "sha256:" + "a".repeat(64);
    private static final CacheKey KEY = CacheKey.of(new byte[32]);

    @TempDir
    Path dir;

    private LayerCache cacheWithBlob(int size) throws IOException {
        LayerCache cache = new LayerCache(dir, KEY);
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
        String mac = KEY.tagHex("archcore layer cache key k", DIFF_ID + "\n" + DIGEST + "\n3\n10240000000");
        assertThat(Files.readString(keyFile("k"))).isEqualTo("{\"diffId\":\"" + DIFF_ID + "\",\"digest\":\"" + DIGEST
                + "\",\"size\":3,\"tarSize\":10240000000,\"mac\":\"" + mac + "\"}");
        assertThat(new LayerCache(dir, KEY).get("k")).isEqualTo(hit);
        assertThat(cache.get("other")).isNull();
        assertThat(new LayerCache(dir, CacheKey.of(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}))
                .get("k")).as("another user's key").isNull();
        Files.copy(keyFile("k"), keyFile("moved"));
        assertThat(cache.get("moved")).as("a key file under another name").isNull();
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
                good.replaceFirst(",\"mac\":\"[0-9a-f]+\"", ""),              // no tag
                good.replace("\"size\":3", "\"size\":4"),                   // tag of other values
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
