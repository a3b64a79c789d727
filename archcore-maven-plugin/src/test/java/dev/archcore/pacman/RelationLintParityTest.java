package dev.archcore.pacman;

import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relation arrays of a PKGBUILD (depends, makedepends, checkdepends, optdepends, provides, conflicts) are
 * judged as makepkg's own lint judges them: each entry goes through {@code makepkg --printsrcinfo}, which runs
 * lint_pkgbuild first, and through {@link PkgbuildLint}; the verdicts must agree.
 */
class RelationLintParityTest {
    @TempDir
    Path tmp;

    static final List<String[]> CASES = List.of(
            new String[]{"depends", "glibc"},
            new String[]{"depends", "glibc>=2.38"},
            new String[]{"depends", "glibc<=1:2.38-1.1"},
            new String[]{"depends", "libfoo.so=1-64"},
            new String[]{"depends", "glibc>="},
            new String[]{"depends", "glibc; touch x"},
            new String[]{"depends", "glibc$(id)"},
            new String[]{"depends", "-glibc"},
            new String[]{"depends", ".glibc"},
            new String[]{"depends", ">=1"},
            new String[]{"depends", "glibc>=2 38"},
            new String[]{"depends", "glibc>=a:1"},
            new String[]{"depends", "glibc=1-x"},
            new String[]{"depends", "glibc=1/2"},
            new String[]{"depends", "glïbc"},
            new String[]{"makedepends", "gcc>"},
            new String[]{"makedepends", "make|x"},
            new String[]{"checkdepends", "check<0.15"},
            new String[]{"checkdepends", "check<"},
            new String[]{"optdepends", "bash: for the scripts; and more"},
            new String[]{"optdepends", "bash>=5: for scripts"},
            new String[]{"optdepends", "bash;rm: x"},
            new String[]{"optdepends", "bash>="},
            new String[]{"provides", "libfoo.so=1-64"},
            new String[]{"provides", "foo"},
            new String[]{"provides", "foo>=1"},
            new String[]{"provides", "foo=1=2"},
            new String[]{"provides", "foo="},
            new String[]{"provides", "foo bar"},
            new String[]{"conflicts", "foo<2"},
            new String[]{"conflicts", "foo<"},
            new String[]{"conflicts", "foo&bar"});

    /**
     * Entries makepkg's lint lets through but archcore refuses on purpose: makepkg lints the name before the first
     * operator character ({@code glibc}, version {@code >1}), while libalpm, which reads the package, looks for
     * {@code <} and {@code >} first and so reads the name {@code glibc=}: the package would depend on another
     * name than the PKGBUILD seems to say.
     */
    static final List<String[]> STRICTER = List.<String[]>of(new String[]{"depends", "glibc=>1"});

    @Test
    void eachRelationEntryPassesOrFailsAsMakepkgsLintSays() throws IOException {
        Tools.require("makepkg");
        List<String> verdicts = makepkgLint(CASES);
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            String[] c = CASES.get(i);
            boolean makepkgAccepts = verdicts.get(i).equals("ok");
            String ours = PkgbuildLint.relationProblem(c[0], c[1]);
            if (makepkgAccepts != (ours == null)) {
                disagreements.add(c[0] + "=('" + c[1] + "'): makepkg " + (makepkgAccepts ? "accepts" : "refuses")
                        + ", archcore " + (ours == null ? "accepts" : "says it " + ours));
            }
        }
        assertThat(disagreements).isEmpty();
        List<String> stricter = makepkgLint(STRICTER);
        for (int i = 0; i < STRICTER.size(); i++) {
            String[] c = STRICTER.get(i);
            assertThat(stricter.get(i)).as("makepkg's verdict on %s=('%s')", c[0], c[1]).isEqualTo("ok");
            assertThat(PkgbuildLint.relationProblem(c[0], c[1])).as("archcore on %s=('%s')", c[0], c[1]).isNotNull();
        }
        // the cases cover both verdicts
        assertThat(verdicts).contains("ok", "fail");
    }

    @Test
    void makepkgItselfRefusesAShellCommandInDepends() throws IOException {
        Tools.require("makepkg");
        Path dir = Files.createDirectories(tmp.resolve("p"));
        Files.writeString(dir.resolve("PKGBUILD"), "pkgname=relation-test\npkgver=1\npkgrel=1\narch=(any)\n"
                + "depends=('glibc; touch x')\npackage() { :; }\n");
        List<String> command = new ArrayList<>(List.of("makepkg", "--printsrcinfo"));
        if (Tools.isRoot()) {
            Tools.run(dir, "sh", "-c", "id -u builder >/dev/null 2>&1 || useradd -m builder").ok("useradd builder");
            Tools.run(dir, "chown", "-R", "builder:", dir.toString()).ok("chown"); // makepkg wants $BUILDDIR writable
            Tools.run(dir, "chmod", "755", dir.getParent().toString()).ok("chmod");
            command.addAll(0, List.of("runuser", "-u", "builder", "--"));
        }
        Tools.Output out = Tools.run(dir, Map.of(), command);
        assertThat(out.exitCode()).isNotZero();
        assertThat(out.text()).contains("depends contains invalid characters");
        assertThat(PkgbuildLint.relationProblem("depends", "glibc; touch x")).isNotNull();
    }

    @Test
    void replacesIsCheckedAsConflictsAre() {
        // makepkg has no lint of its own for replaces; pacman reads it as a relation like conflicts
        assertThat(PkgbuildLint.relationProblem("replaces", "old-app<2")).isNull();
        assertThat(PkgbuildLint.relationProblem("replaces", "old-app; rm -rf /")).isNotNull();
    }

    /**
     * makepkg's own lint functions (lint_depends, lint_provides, ...), sourced from /usr/share/makepkg as makepkg
     * sources them, on one entry at a time: "ok" or "fail" per case, in one bash (a makepkg run per case takes 1.4 s).
     */
    private List<String> makepkgLint(List<String[]> cases) throws IOException {
        StringBuilder script = new StringBuilder("""
                shopt -s extglob  # as makepkg sets it before sourcing its libraries
                LIBRARY=/usr/share/makepkg
                for lib in "$LIBRARY"/*.sh; do source "$lib"; done
                pkgname=relation-test; pkgver=1; pkgrel=1; arch=(any)
                check() {
                  unset depends makedepends checkdepends optdepends provides conflicts
                  eval "$1=(\\"\\$2\\")"
                  if "lint_$1" 2>/dev/null; then echo ok; else echo fail; fi
                }
                """);
        for (String[] c : cases) {
            script.append("check ").append(c[0]).append(" '").append(c[1]).append("'\n");
        }
        Path file = tmp.resolve("lint.sh");
        Files.writeString(file, script);
        List<String> verdicts = Tools.run(tmp, "bash", file.toString()).ok("makepkg lint functions").text().lines().toList();
        assertThat(verdicts).hasSize(cases.size());
        return verdicts;
    }
}
