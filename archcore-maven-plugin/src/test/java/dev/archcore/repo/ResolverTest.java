package dev.archcore.repo;

import dev.archcore.repo.ResolutionException.Kind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the resolver tells users: results, notes and failure messages (pacman's choices are proven elsewhere). */
class ResolverTest {

    /** A package of a database: {@code "depends:a b>=2"}, {@code "provides:x=1"}, {@code "conflicts:y"}, ... */
    private static RepoPackage pkg(String repo, String name, String version, String... fields) {
        Map<String, List<String>> desc = new LinkedHashMap<>();
        desc.put("FILENAME", List.of(name + "-" + version + "-any.pkg.tar.zst"));
        desc.put("NAME", List.of(name));
        desc.put("VERSION", List.of(version));
        desc.put("ARCH", List.of("any"));
        for (String field : fields) {
            int colon = field.indexOf(':');
            desc.put(field.substring(0, colon).toUpperCase(), Arrays.asList(field.substring(colon + 1).split(" ")));
        }
        return new RepoPackage(repo, desc);
    }

    private static SyncDatabase db(String name, RepoPackage... packages) {
        List<RepoPackage> list = new ArrayList<>();
        for (RepoPackage p : packages) {
            list.add(new RepoPackage(name, p.desc()));
        }
        return new SyncDatabase(name, list);
    }

    private static List<String> names(Resolution r) {
        return r.packages().stream().map(p -> p.repository() + "/" + p.name()).toList();
    }

    @Test
    void installsDependenciesFirstAndMarksWhatWasAskedFor() {
        Resolution r = new Resolver(List.of(
                db("core", pkg("", "glibc", "2.39-1"), pkg("", "libfoo", "1.3-1", "depends:glibc")),
                db("extra", pkg("", "demo", "1.0-1", "depends:libfoo glibc")))).resolve(List.of("demo"));

        assertThat(names(r)).containsExactly("core/glibc", "core/libfoo", "extra/demo");
        assertThat(r.explicit()).containsExactly("demo");
        assertThat(r.isExplicit(r.packages().get(0))).isFalse();
        assertThat(r.notes()).isEmpty();
    }

    @Test
    void anUnsatisfiableDependencyNamesTheChainAndWhatExists() {
        Resolver resolver = new Resolver(List.of(
                db("core", pkg("", "libfoo", "1.3-1")),
                db("extra", pkg("", "demo", "1.0-1", "depends:libbar"), pkg("", "libbar", "1.0-1", "depends:libfoo>=2"))));

        assertThatThrownBy(() -> resolver.resolve(List.of("demo")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.UNSATISFIED_DEPENDENCY);
                    assertThat(e.problems()).containsExactly(
                            "demo -> libbar -> libfoo>=2 -> not in [core, extra]; libfoo 1.3-1 is in core");
                })
                .hasMessageStartingWith("cannot resolve the dependencies of [demo] from [core, extra]:\n  demo -> libbar");
    }

    @Test
    void anUnversionedProvisionIsExplainedWhenAVersionIsNeeded() {
        Resolver resolver = new Resolver(List.of(db("core",
                pkg("", "app", "1-1", "depends:java-runtime>=17"),
                pkg("", "jre-old", "11-1", "provides:java-runtime"),
                pkg("", "jre8", "8-1", "provides:java-runtime=8"))));

        assertThatThrownBy(() -> resolver.resolve(List.of("app")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> assertThat(e.problems()).containsExactly(
                        "app -> java-runtime>=17 -> not in [core]; jre-old 11-1 in core provides java-runtime without a "
                                + "version, which never satisfies a versioned dependency; jre8 8-1 in core provides "
                                + "java-runtime=8"));
    }

    @Test
    void severalProvidersTakeTheFirstFoundAndSaySo() {
        Resolution r = new Resolver(List.of(
                db("core", pkg("", "app", "1-1", "depends:sh"), pkg("", "zsh", "5-1", "provides:sh"),
                        pkg("", "dash", "0.5-1", "provides:sh")),
                db("extra", pkg("", "bash", "5-1", "provides:sh")))).resolve(List.of("app"));

        // core before extra, and within core by name: dash before zsh
        assertThat(names(r)).containsExactly("core/dash", "core/app");
        assertThat(r.notes()).containsExactly("app -> sh: sh is provided by core/dash 0.5-1, core/zsh 5-1, extra/bash 5-1; "
                + "took core/dash 0.5-1, the first found (pacman asks here; --noconfirm takes the first)");
    }

    @Test
    void anInstalledProviderWins() {
        Resolution r = new Resolver(List.of(
                db("core", pkg("", "app", "1-1", "depends:sh>=1"), pkg("", "dash", "0.5-1", "provides:sh=1"),
                        pkg("", "zsh", "5-1", "provides:sh=5"))))
                .installed(List.of(pkg("local", "zsh", "4-1")))
                .resolve(List.of("app"));

        assertThat(names(r)).containsExactly("core/zsh", "core/app");
    }

    @Test
    void aTargetThatIsOnlyProvidedIsNoted() {
        Resolution r = new Resolver(List.of(db("core", pkg("", "bash", "5-1", "provides:sh")))).resolve(List.of("sh"));

        assertThat(names(r)).containsExactly("core/bash");
        assertThat(r.notes()).containsExactly("target 'sh': no package is named sh; took core/bash 5-1, which provides it");
    }

    @Test
    void conflictsNameBothPackagesAndTheEntry() {
        Resolver resolver = new Resolver(List.of(db("core",
                pkg("", "app", "1-1", "depends:libressl"), pkg("", "libressl", "3-1", "conflicts:openssl<4"),
                pkg("", "openssl", "3.2-1"), pkg("", "tool", "1-1", "depends:openssl"))));

        assertThat(resolver.skipConflictChecks().resolve(List.of("app", "tool")).packages()).hasSize(4);
        assertThatThrownBy(() -> new Resolver(List.of(db("core",
                pkg("", "app", "1-1", "depends:libressl"), pkg("", "libressl", "3-1", "conflicts:openssl<4"),
                pkg("", "openssl", "3.2-1"), pkg("", "tool", "1-1", "depends:openssl")))).resolve(List.of("app", "tool")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.CONFLICT);
                    assertThat(e.problems()).containsExactly("core/libressl 3-1 (needed by app -> libressl) and "
                            + "core/openssl 3.2-1 (needed by tool -> openssl) are in conflict: libressl has conflicts = "
                            + "openssl<4, which openssl matches; leave one of them out");
                });
    }

    @Test
    void aPackageThatProvidesWhatItConflictsWithReplacesIt() {
        Resolution r = new Resolver(List.of(db("core",
                pkg("", "oldfoo", "1-1"), pkg("", "newfoo", "2-1", "provides:oldfoo=2", "conflicts:oldfoo"))))
                .resolve(List.of("oldfoo", "newfoo"));

        assertThat(names(r)).containsExactly("core/newfoo");
        assertThat(r.notes()).containsExactly("dropped core/oldfoo 1-1 because it conflicts with core/newfoo 2-1, which "
                + "provides oldfoo (pacman removes it from the targets the same way)");
        assertThat(r.explicit()).containsExactly("newfoo");
    }

    @Test
    void aDroppedPackageThatWasNeededIsNamed() {
        Resolver resolver = new Resolver(List.of(db("core", pkg("", "oldfoo", "1-1"),
                pkg("", "newfoo", "2-1", "provides:oldfoo=2", "conflicts:oldfoo"), pkg("", "needs-old", "1-1", "depends:oldfoo<2"))));

        assertThatThrownBy(() -> resolver.resolve(List.of("newfoo", "oldfoo", "needs-old")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.UNSATISFIED_DEPENDENCY);
                    assertThat(e.problems()).containsExactly("unable to satisfy dependency 'oldfoo<2' required by needs-old; "
                            + "core/oldfoo 1-1 would, but it was dropped for conflicting with core/newfoo 2-1");
                });
    }

    @Test
    void aConflictWithAnInstalledPackageIsAnError() {
        Resolver resolver = new Resolver(List.of(db("core", pkg("", "mta", "1-1", "conflicts:sendmail"))))
                .installed(List.of(pkg("local", "sendmail", "8-1")));

        assertThatThrownBy(() -> resolver.resolve(List.of("mta")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> assertThat(e.problems()).containsExactly(
                        "core/mta 1-1 (asked for) and local/sendmail 8-1 (installed) are in conflict: mta has conflicts "
                                + "= sendmail, which sendmail matches; remove the installed package first"));
    }

    @Test
    void cyclesAreBrokenAsPacmanBreaksThemAndReported() {
        Resolution r = new Resolver(List.of(db("core",
                pkg("", "a", "1-1", "depends:b"), pkg("", "b", "1-1", "depends:c"), pkg("", "c", "1-1", "depends:a"))))
                .resolve(List.of("a"));

        assertThat(names(r)).containsExactly("core/c", "core/b", "core/a");
        assertThat(r.notes()).containsExactly("dependency cycle: c will be installed before its a dependency");
    }

    @Test
    void ignoredPackagesStayOutOfDependenciesButNotOutOfTargets() {
        List<SyncDatabase> dbs = List.of(db("core",
                pkg("", "app", "1-1", "depends:libx"), pkg("", "libx", "1-1", "groups:xorg"),
                pkg("", "xterm", "1-1", "groups:xorg")));

        assertThatThrownBy(() -> new Resolver(dbs).ignoreGroup(List.of("x*")).resolve(List.of("app")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> assertThat(e.problems()).containsExactly(
                        "app -> libx -> not in [core]; libx 1-1 is in core, but IgnorePkg/IgnoreGroup excludes it"));

        Resolution group = new Resolver(dbs).ignorePkg(List.of("xterm")).resolve(List.of("xorg"));
        assertThat(names(group)).containsExactly("core/libx", "core/xterm");
        assertThat(group.notes()).containsExactly("core/xterm 1-1 (group xorg) is in IgnorePkg/IgnoreGroup but installed "
                + "anyway, as pacman --noconfirm answers yes for a package asked for");
    }

    @Test
    void targetsNameRepositoriesRelationsAndGroups() {
        Resolver resolver = new Resolver(List.of(
                db("core", pkg("", "curl", "8.0-1"), pkg("", "base", "1-1", "groups:base-devel")),
                db("testing", pkg("", "curl", "8.1-1"), pkg("", "make", "4-1", "groups:base-devel"))));

        assertThat(names(resolver.resolve(List.of("curl")))).containsExactly("core/curl");
        assertThat(names(resolver.resolve(List.of("curl>8.0")))).containsExactly("testing/curl");
        assertThat(names(resolver.resolve(List.of("testing/curl")))).containsExactly("testing/curl");
        assertThat(names(resolver.resolve(List.of("base-devel")))).containsExactly("core/base", "testing/make");
        assertThat(names(resolver.resolve(List.of("curl", "curl")))).containsExactly("core/curl");

        assertThatThrownBy(() -> resolver.resolve(List.of("curl>9")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.TARGET_NOT_FOUND);
                    assertThat(e.problems()).containsExactly("target not found: curl>9 (curl 8.0-1 is in core; curl 8.1-1 "
                            + "is in testing)");
                });
        assertThatThrownBy(() -> resolver.resolve(List.of("extra/curl")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.REPOSITORY_NOT_FOUND);
                    assertThat(e.problems()).containsExactly("target 'extra/curl': there is no [extra] repository in "
                            + "[core, testing]; fix the repository name or add it to pacman.conf");
                });
        assertThatThrownBy(() -> resolver.resolve(List.of("curl", "testing/curl")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.DUPLICATE_TARGET);
                    assertThat(e.problems()).containsExactly("'curl': duplicate target: core/curl 8.0-1 and testing/curl "
                            + "8.1-1 (from 'testing/curl') are both asked for; ask for one of them");
                });
    }

    @Test
    void architecturesAreCheckedForTargetsAndNotedForDependencies() {
        List<SyncDatabase> dbs = List.of(db("core", pkg("", "app", "1-1", "arch:x86_64", "depends:blob"),
                pkg("", "blob", "1-1", "arch:aarch64")));

        Resolution r = new Resolver(dbs).architectures(List.of("x86_64")).resolve(List.of("app"));
        assertThat(names(r)).containsExactly("core/blob", "core/app");
        assertThat(r.notes()).containsExactly("dependency core/blob 1-1 is built for aarch64, not x86_64; pacman checks "
                + "only the targets' architecture and installs it");

        assertThatThrownBy(() -> new Resolver(dbs).architectures(List.of("x86_64")).resolve(List.of("blob")))
                .isInstanceOfSatisfying(ResolutionException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARCHITECTURE);
                    assertThat(e.problems()).containsExactly("package blob-1-1-aarch64 from core does not have a valid "
                            + "architecture (Architecture = x86_64)");
                });
    }

    @Test
    void assumedProvisionsCountAsInstalled() {
        List<SyncDatabase> dbs = List.of(db("core", pkg("", "app", "1-1", "depends:jdk>=17 ca-certificates")));

        Resolution r = new Resolver(dbs).assumeInstalled(List.of("jdk=21", "ca-certificates")).resolve(List.of("app"));
        assertThat(names(r)).containsExactly("core/app");
        assertThatThrownBy(() -> new Resolver(dbs).assumeInstalled(List.of("jdk", "ca-certificates")).resolve(List.of("app")))
                .isInstanceOf(ResolutionException.class).hasMessageContaining("app -> jdk>=17 -> not in [core]");
    }

    @Test
    void aMalformedRelationInADatabaseSaysWhereItIs() {
        assertThatThrownBy(() -> new Resolver(List.of(db("core", pkg("", "app", "1-1", "depends:>=2")))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("core/app 1-1 has a malformed %DEPENDS% entry '>=2' in the core database; fix the package "
                        + "and run repo-add again");
    }

    @Test
    void nothingAskedForIsNothingToInstall() {
        assertThat(new Resolver(List.of()).resolve(List.of()).packages()).isEmpty();
    }
}
