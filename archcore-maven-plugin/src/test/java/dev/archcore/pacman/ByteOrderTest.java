package dev.archcore.pacman;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The entry order of packages and layers is the order of the names' UTF-8 bytes; the comparator gets there
 * without encoding. Judged by {@code sort} in the C locale, which compares bytes, on names mixing ASCII,
 * two- and three-byte characters, U+E000-U+FFFF and characters above U+FFFF (surrogate pairs in Java).
 */
class ByteOrderTest {
    private static final int[][] RANGES = {{0x21, 0x7e}, {0xa0, 0x7ff}, {0x800, 0xd7ff}, {0xe000, 0xfffd},
            {0x10000, 0x10ffff}};

    @TempDir
    Path tmp;

    @Test
    void sortsAsCLocaleSortDoes() throws IOException {
        Random random = new Random(42);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            StringBuilder name = new StringBuilder(i % 3 == 0 ? "usr/share/" : "");
            for (int n = 1 + random.nextInt(6); n > 0; n--) {
                int[] range = RANGES[random.nextInt(RANGES.length)];
                name.appendCodePoint(range[0] + random.nextInt(range[1] - range[0] + 1));
            }
            names.add(name.toString());
            names.add(name + "/x"); // prefixes sort first
        }
        Path input = tmp.resolve("names");
        Files.writeString(input, String.join("\n", names) + "\n", StandardCharsets.UTF_8);
        ProcessBuilder sort = new ProcessBuilder("sort", input.toString()).redirectErrorStream(true);
        sort.environment().putAll(Map.of("LC_ALL", "C"));
        Process p = sort.start();
        List<String> expected = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();

        List<String> ours = new ArrayList<>(names);
        ours.sort(PackageTree.byteOrder());
        assertThat(ours).containsExactlyElementsOf(expected);
    }
}
