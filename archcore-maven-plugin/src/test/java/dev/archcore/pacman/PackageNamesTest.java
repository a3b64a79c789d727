package dev.archcore.pacman;

import dev.archcore.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PackageNames} against makepkg's own lint functions (lint_one_pkgname, check_pkgver, check_fullpkgver,
 * the depends loop of lint_depends), run by bash from /usr/share/makepkg on the same strings: where makepkg
 * refuses, archcore refuses, and the other way round.
 */
class PackageNamesTest {
    /** Sources makepkg's lint scripts and answers 0 (accepted) or 1 per NUL-separated (kind, value) pair. */
    private static final String LINT = """
            LIBRARY=/usr/share/makepkg
            source $LIBRARY/util/message.sh
            for f in pkgname pkgver pkgrel epoch fullpkgver; do source $LIBRARY/lint_pkgbuild/$f.sh; done
            shopt -s extglob
            depend() {
              local depend=$1 name ver
              name=${depend%%@(<|>|=|>=|<=)*}
              lint_one_pkgname depends "$name" || return 1
              if [[ $name != "$depend" ]]; then
                ver=${depend##$name@(<|>|=|>=|<=)}
                if [[ -n $ver ]]; then check_fullpkgver "$ver" depends || return 1; fi
              fi
            }
            while IFS= read -r -d '' kind && IFS= read -r -d '' value; do
              case $kind in
                name) lint_one_pkgname pkgname "$value" ;;
                pkgver) check_pkgver "$value" ;;
                version) [[ $value = ?*-* ]] && check_fullpkgver "$value" ;;
                relation) depend "$value" ;;
              esac >/dev/null 2>&1
              echo $?
            done
            """;

    static final List<String> NAMES = List.of("glibc", "lib32-glibc", "gtk+3", "python-foo_bar", "foo@bar", "c++",
            "Foo", "0ad", "a", "x.y", "-foo", ".foo", "../../../../../etc/cron.d/x", "foo/bar", "foo bar", "foo\nbar",
            "", "ünï", "foo:bar", "foo=1", "foo*", "foo;touch", "foo$", "a..b", "a-", "a.");
    static final List<String> PKGVERS = List.of("1.0", "2.40+r16+gaa533d58ff", "1.0_rc1", "1.0~beta", "r123.abc",
            "1-1", "1:2", "1/2", "1 2", "", "..", "ä", "1\t2", "1.0!", "'1'");
    static final List<String> VERSIONS = List.of("1.0-1", "1:1.3.1-2", "2.40+r16+gaa533d58ff-2", "1.0-1.1",
            "1-1/../../../../../etc/sudoers.d", "1.0", "1.0-", "1.0-a", "1.0-1.2.3", "x:1.0-1", ":1.0-1",
            "1:2:3-1", "1.0-1-1", "-1", "1.0--1", "1.0-1 x", "01:1-01", "1.0-1\n");
    static final List<String> RELATIONS = List.of("glibc", "glibc>=2.40", "glibc<2.41", "libcrypto.so=3-64",
            "java-runtime>=11", "perl>=5.38", "sh", "foo=1:2.3-4", "foo>", "foo=", "glibc; touch x", "../x",
            "foo>=1/2", "foo>=1.0-x", "=1", ">=1", "foo>=1 2", "-foo", ".foo=1", "foo<=a:1");

    @BeforeAll
    static void tools() {
        Tools.require("bash");
    }

    @Test
    void namesAreJudgedLikeMakepkgsLint() throws Exception {
        assertSameAsMakepkg("name", NAMES, PackageNames::checkName);
    }

    @Test
    void pkgversAreJudgedLikeMakepkgsLint() throws Exception {
        assertSameAsMakepkg("pkgver", PKGVERS, PackageNames::checkPkgver);
    }

    @Test
    void fullVersionsAreJudgedLikeMakepkgsLintWithTheReleaseRequired() throws Exception {
        assertSameAsMakepkg("version", VERSIONS, PackageNames::checkVersion);
    }

    @Test
    void relationsAreJudgedLikeMakepkgsLintOfDepends() throws Exception {
        assertSameAsMakepkg("relation", RELATIONS, PackageNames::checkRelation);
    }

    @Test
    void archAndFileNamesFollowArchShAndLibalpm() {
        for (String ok : List.of("x86_64", "any", "aarch64", "armv7h", "i686", "pentium4")) {
            assertThat(PackageNames.checkArch(ok)).as(ok).isNull();
        }
        for (String bad : List.of("", "x86-64", "../x", "x 86", "x/y", "any\n")) {
            assertThat(PackageNames.checkArch(bad)).as(bad).isNotNull();
        }
        assertThat(PackageNames.checkFileName("zlib-1:1.3.1-2-x86_64.pkg.tar.zst")).isNull();
        for (String bad : List.of("", "../x.pkg.tar.zst", ".hidden", "a/b", "a\nb", "a b", "a%2fb", "x".repeat(4097))) {
            assertThat(PackageNames.checkFileName(bad)).as(bad).isNotNull();
        }
    }

    @Test
    void aPkginfoNeedsExactlyOneNameAndVersionAndNamesTheField() {
        assertThat(PackageNames.checkPkginfo(Map.of("pkgname", List.of("a"), "pkgver", List.of("1-1")))).isNull();
        assertThat(PackageNames.checkPkginfo(Map.of("pkgname", List.of("a", "b"), "pkgver", List.of("1-1"))))
                .startsWith("pkgname is given 2 times");
        assertThat(PackageNames.checkPkginfo(Map.of("pkgname", List.of("a"), "pkgver", List.of("1-1"),
                "provides", List.of("x/y=1")))).startsWith("provides 'x/y=1'");
    }

    private static void assertSameAsMakepkg(String kind, List<String> values, Function<String, String> check)
            throws IOException, InterruptedException {
        Process bash = new ProcessBuilder("bash", "-c", LINT).redirectErrorStream(false).start();
        try (OutputStream in = bash.getOutputStream()) {
            for (String v : values) {
                in.write((kind + "\0" + v + "\0").getBytes(StandardCharsets.UTF_8));
            }
        }
        List<String> answers = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertThat(bash.waitFor()).isZero();
        assertThat(answers).hasSize(values.size());
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            boolean makepkg = answers.get(i).equals("0");
            String ours = check.apply(values.get(i));
            if (makepkg != (ours == null)) {
                disagreements.add("'" + values.get(i) + "': makepkg " + (makepkg ? "accepts" : "refuses")
                        + ", archcore " + (ours == null ? "accepts" : "refuses (" + ours + ")"));
            }
        }
        assertThat(disagreements).isEmpty();
    }
}
