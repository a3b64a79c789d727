package dev.archcore.pacman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.archcore.pacman.Relation.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RelationTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
        "foo                   | foo        | ANY | null    | null",
        "foo>=1.2              | foo        | GE  | 1.2     | null",
        "foo=1:1.2-3           | foo        | EQ  | 1:1.2-3 | null",
        "foo<2                 | foo        | LT  | 2       | null",
        "foo<=2                | foo        | LE  | 2       | null",
        "foo>2                 | foo        | GT  | 2       | null",
        "foo: some description | foo        | ANY | null    | some description",
        "foo>=1: desc          | foo        | GE  | 1       | desc",
        "foo=1:2: desc: more   | foo        | EQ  | 1:2     | desc: more",
        "libfoo.so=1-64        | libfoo.so  | EQ  | 1-64    | null",
        "lib:libfoo.so.1       | lib:libfoo.so.1 | ANY | null | null",
    })
    void parsesAndRoundTrips(String text, String name, Op op, String version, String description) {
        Relation relation = Relation.parse(text);

        assertThat(relation).isEqualTo(new Relation(name, op, version, description));
        assertThat(relation.toString()).isEqualTo(text);
    }

    @Test
    void lessThanIsFoundBeforeEquals() {
        // libalpm searches for '<' anywhere first, so "a=b<c" splits at '<'.
        assertThat(Relation.parse("a=b<c")).isEqualTo(new Relation("a=b", Op.LT, "c", null));
    }

    @Test
    void operatorSymbols() {
        assertThat(Op.values()).extracting(Op::symbol).containsExactly("", "=", ">=", "<=", ">", "<");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ">=1.2", "=1", ": desc"})
    void rejectsEmptyName(String text) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Relation.parse(text))
                .withMessageContaining("'" + text + "'");
    }

    @ParameterizedTest(name = "{0} satisfied by {1}: {2}")
    @CsvSource(delimiter = '|', value = {
        "foo>=1.2   | 1.2-1   | true",
        "foo>=1.2   | 1.1     | false",
        "foo>=1.2   | 1:0.1-1 | true",
        "foo=1.2    | 1.2-5   | true",    // relation without pkgrel matches any pkgrel
        "foo=1.2-3  | 1.2-3   | true",
        "foo=1.2-3  | 1.2-4   | false",
        "foo=1.2-3  | 1.2     | true",    // nor does a candidate without one compare pkgrel
        "foo<2      | 2-1     | false",
        "foo<2      | 1.9     | true",
        "foo<=2     | 2-7     | true",
        "foo>2      | 2.0.1   | true",
        "foo>2      | 2-9     | false",
        "foo        | 0       | true",
    })
    void satisfiedBy(String relation, String candidate, boolean expected) {
        assertThat(Relation.parse(relation).satisfiedBy(candidate)).isEqualTo(expected);
    }

    @Test
    void unversionedCandidateSatisfiesOnlyUnversionedRelation() {
        assertThat(Relation.parse("foo").satisfiedBy(null)).isTrue();
        assertThat(Relation.parse("foo<2").satisfiedBy(null)).isFalse();
    }
}
