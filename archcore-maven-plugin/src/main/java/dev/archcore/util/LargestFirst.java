package dev.archcore.util;

import java.util.Comparator;
import java.util.List;
import java.util.function.IntToLongFunction;
import java.util.stream.IntStream;

/**
 * The order to start jobs of known sizes on a small pool: largest first, so the longest job does not start last
 * and finish alone on one core (longest-processing-time scheduling). Callers keep results by index.
 */
public final class LargestFirst {
    private LargestFirst() {
    }

    /** The indices {@code 0..count-1}, by descending {@code size} (asked once per index); ties keep their order. */
    public static List<Integer> order(int count, IntToLongFunction size) {
        long[] sizes = IntStream.range(0, count).mapToLong(size).toArray();
        return IntStream.range(0, count).boxed()
                .sorted(Comparator.comparingLong((Integer i) -> sizes[i]).reversed())
                .toList();
    }
}
