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

    /** POSIX classes inside brackets (NoExtract patterns use them), judged by bash's own pattern matching. */
    @ParameterizedTest(name = "{0} ~ {1}")
    @CsvSource(delimiter = '|', value = {
            "usr/share/locale/[[:alpha:]][[:alpha:]]/*|usr/share/locale/de/LC_MESSAGES",
            "usr/share/locale/[[:alpha:]][[:alpha:]]/*|usr/share/locale/d1/LC_MESSAGES",
            "lib[[:digit:]]*.so|lib32foo.so",
            "lib[[:digit:]]*.so|libfoo.so",
            "[![:upper:]]x|ax",
            "[![:upper:]]x|Ax",
            "[[:alnum:]_]z|_z",
            "[[:space:]]|' '",
            "file.[[:xdigit:]][[:xdigit:]]|file.aF",
            "file.[[:xdigit:]][[:xdigit:]]|file.ag",
            "[[:punct:]]x|#x",
            "[[:lower:]]x|Bx",
    })
    void posixClassesMatchLikeBash(String pattern, String text) {
        dev.archcore.testing.Tools.require("bash");
        var bash = dev.archcore.testing.Tools.run(java.nio.file.Path.of("."), "bash", "-c",
                "[[ $2 == $1 ]]", "fnmatch", pattern, text);
        assertThat(Fnmatch.matches(pattern, text)).as("bash says %s", bash.exitCode() == 0)
                .isEqualTo(bash.exitCode() == 0);
    }
}
