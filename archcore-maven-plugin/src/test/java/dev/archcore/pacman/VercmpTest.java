package dev.archcore.pacman;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class VercmpTest {

    // Reference orderings from vercmp(8), formats.md 1.9; each list is strictly ascending.
    static Stream<List<String>> orderings() {
        return Stream.of(
                List.of("1.0a", "1.0b", "1.0beta", "1.0p", "1.0pre", "1.0rc", "1.0", "1.0.a", "1.0.1"),
                List.of("1", "1.0", "1.1", "1.1.1", "1.2", "2.0", "3.0.0"),
                List.of("1:3.6-1", "2:1.0-1"),
                List.of("4.34", "1:001"));
    }

    @ParameterizedTest
    @MethodSource("orderings")
    void referenceOrderingIsStrictlyAscending(List<String> ascending) {
        for (int i = 0; i < ascending.size(); i++) {
            for (int j = 0; j < ascending.size(); j++) {
                String a = ascending.get(i);
                String b = ascending.get(j);
                assertThat(Vercmp.compare(a, b)).as("vercmp %s %s", a, b).isEqualTo(Integer.compare(i, j));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("orderings")
    void comparatorSortsReferenceOrdering(List<String> ascending) {
        List<String> shuffled = new ArrayList<>(ascending);
        Collections.reverse(shuffled);
        shuffled.sort(Vercmp.comparator());
        assertThat(shuffled).containsExactlyElementsOf(ascending);
    }

    @ParameterizedTest(name = "vercmp {0} {1} = {2}")
    @CsvSource(delimiter = '|', value = {
        "2:1.0-1  | 1:3.6-1 | 1",
        "4.34     | 1:001   | -1",
        "1.5      | 1.5-1   | 0",
        "1.5-1    | 1.5-2   | -1",
        "1.0      | 1..0    | -1",   // longer separator run is newer
        "1_0      | 1.0     | 0",    // separator kind does not matter
        "1.01     | 1.1     | 0",    // leading zeros stripped
        "1.0.     | 1.0..   | 0",    // trailing separators only count against nothing
        "1.0      | 1.0.    | -1",
        "1.0~     | 1.0     | 1",
        ":1.0     | 0:1.0   | 0",    // empty epoch is 0
        "1.0-     | 1.0     | 0",
        "1a       | 1       | -1",
        "1        | a       | 1",    // numbers beat letters
        "99999999999999999999999 | 99999999999999999999998 | 1",
        "1.0-1    | 1.0-1.1 | -1",
    })
    void knownResults(String a, String b, int expected) {
        assertThat(Vercmp.compare(a, b)).isEqualTo(expected);
        assertThat(Vercmp.compare(b, a)).isEqualTo(-expected);
    }

    @Test
    void emptyVersionBeatsLetters() {
        // Tail rule quirk, confirmed against /usr/bin/vercmp: "" is newer than "a" but older than "1".
        assertThat(Vercmp.compare("", "a")).isEqualTo(1);
        assertThat(Vercmp.compare("", "1")).isEqualTo(-1);
        assertThat(Vercmp.compare("", "")).isZero();
    }

    @Test
    void nullIsOlderThanAnything() {
        assertThat(Vercmp.compare(null, null)).isZero();
        assertThat(Vercmp.compare(null, "")).isEqualTo(-1);
        assertThat(Vercmp.compare("", null)).isEqualTo(1);
        assertThat(Vercmp.comparator().compare(null, "0")).isEqualTo(-1);
    }

    @Test
    void antisymmetric() {
        List<String> all = new ArrayList<>();
        orderings().forEach(all::addAll);
        all.addAll(List.of("", "1.0-1", "1.0-2", "1..0", "1.0.", "0:1.0", "1.0~", "a", "1_0", "1.0é", "1:", "-1"));
        for (String a : all) {
            for (String b : all) {
                assertThat(Vercmp.compare(a, b)).as("vercmp %s %s", a, b)
                        .isIn(-1, 0, 1)
                        .isEqualTo(-Vercmp.compare(b, a));
            }
        }
    }
}
