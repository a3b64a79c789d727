package dev.archcore.pacman;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compares {@link Vercmp} with pacman's own {@code /usr/bin/vercmp} on generated version pairs. */
class VercmpDifferentialTest {

    private static final Path VERCMP = Path.of("/usr/bin/vercmp");
    private static final long SEED = 0x5eed_a1c9L;
    private static final int RANDOM_PAIRS = 12_000;
    private static final int MAX_REPORTED = 25;

    private static final String[] WORDS = {"a", "b", "p", "z", "rc", "pre", "beta", "alpha", "git", "r", "A", "Z"};
    private static final String[] SEPARATORS = {".", ".", ".", ".", "..", "...", "_", "+", "~", "-", ":", "._", " ", "é"};
    private static final String[] EPOCHS = {"", "0", "1", "2", "01", "10"};
    private static final String MUTATION_CHARS = "0123456789abzA._-+:~";

    @BeforeAll
    static void requireVercmp() {
        // Deliberately a failure, not a skip: without the oracle this test would prove nothing.
        if (!Files.isExecutable(VERCMP)) {
            fail("vercmp not found: run scripts/setup (installs Debian's pacman-package-manager)");
        }
    }

    @Test
    void agreesWithPacmanOnGeneratedPairs(@TempDir Path tmp) throws Exception {
        List<String[]> pairs = generatePairs(new Random(SEED));
        Path input = tmp.resolve("pairs.tsv");
        Files.write(input, pairs.stream().map(p -> p[0] + "\t" + p[1]).toList(), UTF_8);

        // One bash loop instead of one JVM-spawned process per pair: much faster.
        List<String> output = run(tmp, "bash", "-c",
                "while IFS=$'\\t' read -r a b; do \"$0\" \"$a\" \"$b\"; done < \"$1\"",
                VERCMP.toString(), input.toString());
        assertThat(output).as("one vercmp result per pair").hasSize(pairs.size());

        assertAgree(pairs, output);
    }

    @Test
    void agreesWithPacmanOnEmptyStrings(@TempDir Path tmp) throws Exception {
        // The tab-separated loop cannot carry empty fields (tab is IFS whitespace), so run these directly.
        List<String[]> pairs = List.of(
                new String[] {"", ""}, new String[] {"", "a"}, new String[] {"a", ""},
                new String[] {"", "1"}, new String[] {"", "-1"}, new String[] {":", ""});
        List<String> output = new ArrayList<>();
        for (String[] p : pairs) {
            output.addAll(run(tmp, VERCMP.toString(), p[0], p[1]));
        }
        assertAgree(pairs, output);
    }

    private static void assertAgree(List<String[]> pairs, List<String> output) {
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            String a = pairs.get(i)[0];
            String b = pairs.get(i)[1];
            int expected = Integer.parseInt(output.get(i).trim());
            int actual = Vercmp.compare(a, b);
            if (actual != expected) {
                mismatches.add(String.format("vercmp '%s' '%s': pacman %d, Vercmp %d", a, b, expected, actual));
            }
        }
        assertThat(mismatches)
                .withFailMessage(() -> mismatches.size() + " of " + pairs.size() + " pairs disagree, first ones:\n"
                        + String.join("\n", mismatches.subList(0, Math.min(MAX_REPORTED, mismatches.size()))))
                .isEmpty();
    }

    private static List<String> run(Path tmp, String... command) throws IOException, InterruptedException {
        Path stderr = Files.createTempFile(tmp, "vercmp", ".err");
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectError(stderr.toFile())
                .start();
        String stdout = new String(process.getInputStream().readAllBytes(), UTF_8);
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            fail("%s failed: %s", String.join(" ", command), Files.readString(stderr));
        }
        return stdout.lines().toList();
    }

    private static List<String[]> generatePairs(Random r) {
        List<String[]> pairs = new ArrayList<>();
        // Hand-picked corners first, so they are always covered whatever the seed does.
        String[][] fixed = {
            {"1.0", "1.0-1"}, {"1.0", "1..0"}, {"1.0.", "1.0.."}, {"1.0", "1.0."}, {"4.34", "1:001"},
            {"2:1.0-1", "1:3.6-1"}, {"1.5", "1.5-1"}, {":1.0", "1.0"}, {"1.0a", "1.0"}, {"1.0", "1.0.a"},
            {"1.0~rc1", "1.0"}, {"1.0+1", "1.0.1"}, {"1_0", "1.0"}, {"001", "1"}, {"1-2-3", "1-2-4"},
            {"1:2:3", "1:2:4"}, {"-1", "1"}, {"a", "."}, {"1é0", "1.0"}, {"1.0", "1.0"},
            {"99999999999999999999999", "99999999999999999999998"},
        };
        for (String[] p : fixed) {
            pairs.add(p);
        }
        while (pairs.size() < fixed.length + RANDOM_PAIRS) {
            String a = version(r);
            String b = switch (r.nextInt(8)) {
                case 0 -> a;
                case 1, 2 -> mutate(r, a);
                case 3 -> a.contains("-") ? a.substring(0, a.lastIndexOf('-')) : a + "-" + part(r, 2);
                default -> version(r);
            };
            if (usable(a) && usable(b)) {
                pairs.add(r.nextBoolean() ? new String[] {a, b} : new String[] {b, a});
            }
        }
        return pairs;
    }

    /** Empty strings cannot pass the tab loop, and vercmp treats these two as its own options. */
    private static boolean usable(String s) {
        return !s.isEmpty() && !s.equals("-h") && !s.equals("--help");
    }

    private static String version(Random r) {
        StringBuilder sb = new StringBuilder();
        if (r.nextInt(5) == 0) {
            sb.append(EPOCHS[r.nextInt(EPOCHS.length)]).append(':');
        }
        sb.append(part(r, 5));
        if (r.nextInt(3) == 0) {
            sb.append('-').append(part(r, 2));
        }
        return sb.toString();
    }

    /** Up to {@code maxSegments} segments, possibly none, with occasional leading/odd separators. */
    private static String part(Random r, int maxSegments) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(maxSegments + 1);
        for (int i = 0; i < n; i++) {
            if (i > 0 || r.nextInt(10) == 0) {
                sb.append(SEPARATORS[r.nextInt(SEPARATORS.length)]);
            }
            sb.append(segment(r));
            if (r.nextInt(6) == 0) {
                sb.append(segment(r)); // glued segments such as "0a" or "rc1"
            }
        }
        if (r.nextInt(15) == 0) {
            sb.append(SEPARATORS[r.nextInt(SEPARATORS.length)]);
        }
        return sb.toString();
    }

    private static String segment(Random r) {
        int kind = r.nextInt(20);
        if (kind < 9) {
            return Integer.toString(r.nextInt(4)); // small numbers, so neighbours often tie
        } else if (kind < 12) {
            return Integer.toString(r.nextInt(200));
        } else if (kind < 14) {
            return "0".repeat(1 + r.nextInt(3)) + r.nextInt(20);
        } else if (kind < 15) {
            return Long.toString(Math.abs(r.nextLong())) + r.nextInt(1000); // longer than a long
        }
        return WORDS[r.nextInt(WORDS.length)];
    }

    private static String mutate(Random r, String s) {
        StringBuilder sb = new StringBuilder(s);
        for (int k = 1 + r.nextInt(2); k > 0; k--) {
            int op = sb.length() == 0 ? 0 : r.nextInt(3);
            char c = MUTATION_CHARS.charAt(r.nextInt(MUTATION_CHARS.length()));
            switch (op) {
                case 0 -> sb.insert(r.nextInt(sb.length() + 1), c);
                case 1 -> sb.deleteCharAt(r.nextInt(sb.length()));
                default -> sb.setCharAt(r.nextInt(sb.length()), c);
            }
        }
        return sb.toString();
    }
}
