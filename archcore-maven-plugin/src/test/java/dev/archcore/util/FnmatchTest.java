package dev.archcore.util;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class FnmatchTest {
    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource(delimiter = '|', value = {
            "linux*|linux|true",
            "linux*|linux-lts|true",
            "linux*|xlinux|false",
            "lib?.so|libc.so|true",
            "lib?.so|lib.so|false",
            "gcc|gcc|true",
            "gcc|gcc-libs|false",
            "*-git|foo-git|true",
            "[abc]x|bx|true",
            "[abc]x|dx|false",
            "[!abc]x|dx|true",
            "[^abc]x|ax|false",
            "[a-c]1|b1|true",
            "[a-c]1|d1|false",
            "[-a]z|-z|true",
            "[]a]z|]z|true",
            "a\\*b|a*b|true",
            "a\\*b|axb|false",
            "a[b|a[b|true",
            "a.b|axb|false",
            "x+y|x+y|true",
            "*/bin|usr/bin|true",
    })
    void matchesLikeFnmatchWithoutFlags(String pattern, String text, boolean expected) {
        assertThat(Fnmatch.matches(pattern, text)).isEqualTo(expected);
    }
}
