package dev.archcore.repo;

import dev.archcore.repo.PacmanConf.Preset;
import dev.archcore.repo.PacmanConf.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PacmanConfTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    @Test
    void readsOptionsAndRepositoriesInFileOrder() throws IOException {
        write("mirrorlist", "## a mirrorlist\nServer = https://one.example/archlinux/$repo/os/$arch\n"
                + "  Server=https://two.example/$arch/$repo  \n");
        write("more/extra.conf", "Server = file:///srv/$repo\n");
        Path conf = write("pacman.conf", """
                # comment
                [options]
                Architecture = x86_64 x86_64_v3
                SigLevel = Required DatabaseOptional
                LocalFileSigLevel = Optional
                IgnorePkg = linux* glibc
                IgnorePkg = gcc
                IgnoreGroup = gnome
                NoExtract = usr/share/doc/* !usr/share/doc/keep
                CacheDir = /a /b
                GPGDir = /etc/pacman.d/gnupg
                GPGDir = /ignored
                Color
                ParallelDownloads = 5

                [core]
                Include = mirrorlist
                [extra]
                SigLevel = PackageOptional
                Include = %s
                Usage = Sync Install
                [custom]
                SigLevel = Never
                Server = http://127.0.0.1:8080/$repo
                """.formatted(dir.resolve("more/extra.conf")));

        PacmanConf c = PacmanConf.read(conf);

        assertThat(c.architectures()).containsExactly("x86_64", "x86_64_v3");
        assertThat(c.architecture()).isEqualTo("x86_64");
        assertThat(c.sigLevel()).isEqualTo(new SigLevel(SigLevel.Check.REQUIRED, false, SigLevel.Check.OPTIONAL, false));
        assertThat(c.localFileSigLevel().packages()).isEqualTo(SigLevel.Check.OPTIONAL);
        assertThat(c.ignorePkg()).containsExactly("linux*", "glibc", "gcc");
        assertThat(c.ignoreGroup()).containsExactly("gnome");
        assertThat(c.noExtract()).containsExactly("usr/share/doc/*", "!usr/share/doc/keep");
        assertThat(c.cacheDirs()).containsExactly("/a", "/b");
        assertThat(c.gpgDir()).contains("/etc/pacman.d/gnupg");
        assertThat(c.repositories()).extracting(Repository::name).containsExactly("core", "extra", "custom");
        assertThat(c.repository("core").orElseThrow().servers()).containsExactly(
                "https://one.example/archlinux/core/os/x86_64", "https://two.example/x86_64/core");
        assertThat(c.repository("extra").orElseThrow().servers()).containsExactly("file:///srv/extra");
        assertThat(c.repository("extra").orElseThrow().sigLevel())
                .isEqualTo(new SigLevel(SigLevel.Check.OPTIONAL, false, SigLevel.Check.OPTIONAL, false));
        assertThat(c.repository("custom").orElseThrow().sigLevel()).isEqualTo(SigLevel.NEVER);
        assertThat(c.repository("custom").orElseThrow().origin()).isEqualTo(conf + " line 22");
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void aSigLevelBelowTheRepositoriesStillAppliesToThem() {
        PacmanConf c = PacmanConf.parse("[core]\nSigLevel = DatabaseNever\nServer = http://a/$repo\n"
                + "[options]\nSigLevel = Required DatabaseOptional\n", "t.conf", null);

        assertThat(c.repository("core").orElseThrow().sigLevel())
                .isEqualTo(new SigLevel(SigLevel.Check.REQUIRED, false, SigLevel.Check.NEVER, false));
    }

    @Test
    void withoutSigLevelPacmanChecksOptionally() {
        assertThat(PacmanConf.parse("[options]\n", "t.conf", null).sigLevel()).isEqualTo(PacmanConf.BUILT_IN_SIG_LEVEL);
    }

    @Test
    void autoIsTheMachinesArchitecture() {
        PacmanConf c = PacmanConf.parse("[options]\nArchitecture = auto\n[core]\nServer = http://m/$arch/$repo\n", "t", null);

        assertThat(c.architectures()).containsExactly(PacmanConf.machineArchitecture());
        assertThat(c.repository("core").orElseThrow().servers())
                .containsExactly("http://m/" + PacmanConf.machineArchitecture() + "/core");
    }

    @Test
    void unknownDirectivesAndTrailingCommentsAreWarnings() {
        PacmanConf c = PacmanConf.parse("[options]\nFrobnicate = yes\nUseSyslog\n[core]\nMirrorPolicy = fast\n"
                + "Server = http://m/$repo # main mirror\n", "t.conf", null);

        assertThat(c.warnings()).containsExactly(
                "t.conf line 2: directive 'Frobnicate' in section 'options' is not recognized; it is ignored.",
                "t.conf line 5: directive 'MirrorPolicy' in section 'core' is not recognized; it is ignored.",
                "t.conf line 6: the value of 'Server' contains ' #'; pacman does not strip comments at the end of a "
                        + "line, so it is part of the value.");
        // kept as pacman keeps it
        assertThat(c.repository("core").orElseThrow().servers()).containsExactly("http://m/core # main mirror");
    }

    @Test
    void badInputNamesTheFileAndLine() throws IOException {
        assertThatThrownBy(() -> PacmanConf.parse("Server = x\n", "a.conf", null))
                .hasMessage("a.conf line 1: 'Server' comes before any section; put it under [options] or under a "
                        + "[repository] section.");
        assertThatThrownBy(() -> PacmanConf.parse("[options]\n\n[local]\nServer = x\n", "a.conf", null))
                .hasMessage("a.conf line 3: [local] is reserved by pacman for the installed packages; give the "
                        + "repository another name.");
        assertThatThrownBy(() -> PacmanConf.parse("[core]\nServer = x\n[core]\n", "a.conf", null))
                .hasMessage("a.conf line 3: [core] appears a second time (first at a.conf line 1); pacman cannot "
                        + "register a repository twice, so merge the two sections.");
        assertThatThrownBy(() -> PacmanConf.parse("[core]\nServer\n", "a.conf", null))
                .hasMessage("a.conf line 2: 'Server' needs a value (Server = ...).");
        assertThatThrownBy(() -> PacmanConf.parse("[core]\nServer = \n", "a.conf", null))
                .hasMessageStartingWith("a.conf line 2: 'Server =' has no URL;");
        assertThatThrownBy(() -> PacmanConf.parse("[options]\n[core]\nServer = http://m/$repo/os/$arch\n", "a.conf", null))
                .hasMessage("a.conf line 3: the server 'http://m/$repo/os/$arch' uses $arch but no Architecture is set; "
                        + "add 'Architecture = x86_64' (or auto) under [options].");
        assertThatThrownBy(() -> PacmanConf.parse("[options]\nSigLevel = Required Sometimes\n", "a.conf", null))
                .hasMessage("a.conf line 2: SigLevel 'Sometimes' is not one of Never, Optional, Required, TrustedOnly, "
                        + "TrustAll (optionally prefixed with Package or Database).");
        assertThatThrownBy(() -> PacmanConf.parse("[]\n", "a.conf", null))
                .hasMessage("a.conf line 1: '[]' is not a section name; write [options] or [repository].");
        assertThatThrownBy(() -> PacmanConf.parse("[options]\n= x\n", "a.conf", null))
                .hasMessage("a.conf line 2: '= x' has no directive name before '='; write 'Name = value'.");

        Path conf = write("pacman.conf", "[options]\nArchitecture = x86_64\n\n[core]\nInclude = mirrorlist\n");
        assertThatThrownBy(() -> PacmanConf.read(conf))
                .isInstanceOf(PacmanConfException.class)
                .hasMessage(conf + " line 5: Include = mirrorlist: " + dir.resolve("mirrorlist") + " does not exist; fix "
                        + "the path (a relative path is resolved against the directory of the including file) or create "
                        + "the mirrorlist.");
        Path loop = write("loop.conf", "[options]\nInclude = loop.conf\n");
        assertThatThrownBy(() -> PacmanConf.read(loop)).hasMessageContaining("nest deeper than 10 levels");
    }

    @Test
    void anIncludeOfAForeignFileNamesItWithoutQuotingIt() throws IOException {
        // shaped like /etc/shadow, in every section an Include may stand
        Path secret = write("shadow", "root:$6$Zq9s3cretHash$abc:19000:0:99999:7:::\nbin:!*:19000::::::\n");
        for (String head : List.of("", "[options]\n", "[core]\n")) {
            Path conf = write("pacman.conf", head + "Include = " + secret + "\n");
            int includeLine = head.isEmpty() ? 1 : 2;
            assertThatThrownBy(() -> PacmanConf.read(conf))
                    .isInstanceOf(PacmanConfException.class)
                    .hasMessageStartingWith(conf + " line " + includeLine + ": the included file " + secret
                            + " is not a pacman config or mirrorlist (its line 1 is")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("root").doesNotContain("s3cret").doesNotContain("19000"));
        }
    }

    @Test
    void anIncludeGlobReadsTheMatchesInOrder() throws IOException {
        write("mirrors.d/b.conf", "Server = http://b/$repo\n");
        write("mirrors.d/a.conf", "Server = http://a/$repo\n");
        Path conf = write("pacman.conf", "[core]\nInclude = mirrors.d/*.conf\n");

        assertThat(PacmanConf.read(conf).repository("core").orElseThrow().servers())
                .containsExactly("http://a/core", "http://b/core");
    }

    @Test
    void anIncludeGlobReadsARunOfStarsAsOneAsGlob3Does() throws IOException {
        write("mirrors.d/sub/c.conf", "Server = http://c/$repo\n"); // the JDK's "**" would cross into sub/
        write("mirrors.d/a.conf", "Server = http://a/$repo\n");
        Path conf = write("pacman.conf", "[core]\nInclude = mirrors.d/**.conf\n");

        assertThat(PacmanConf.read(conf).repository("core").orElseThrow().servers()).containsExactly("http://a/core");
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang guard: before the fix it ran for good
    void anIncludeGlobWithManyWildcardsIsRefusedNotMatchedForMinutes() throws IOException {
        // found by fuzzing: a glob of many stars became a regex that backtracked past the 30 s limit per input
        write("mirrors.d/" + "a".repeat(200), "Server = http://a/$repo\n");
        Path conf = write("pacman.conf", "[core]\nInclude = mirrors.d/*a*a*a*a*a*a*a*a*a*a*a*a*b\n");

        assertThatThrownBy(() -> PacmanConf.read(conf)).isInstanceOf(PacmanConfException.class)
                .hasMessageContaining("has more than 4 '*' wildcards in its file name");
    }

    @Test
    void presetsAreReadyToUse() {
        PacmanConf arch = PacmanConf.archLinux();
        assertThat(arch.architectures()).containsExactly("x86_64");
        assertThat(arch.repositories()).extracting(Repository::name).containsExactly("core", "extra");
        assertThat(arch.repository("extra").orElseThrow().servers())
                .containsExactly("https://mirror.rackspace.com/archlinux/extra/os/x86_64");
        assertThat(arch.sigLevel()).isEqualTo(new SigLevel(SigLevel.Check.REQUIRED, false, SigLevel.Check.OPTIONAL, false));
        assertThat(Preset.ARCH_LINUX.text()).contains("#[multilib]");

        PacmanConf arch32 = PacmanConf.archLinux32();
        assertThat(arch32.architectures()).containsExactly("i686");
        assertThat(arch32.repositories()).extracting(Repository::name).containsExactly("core", "extra", "community");
        assertThat(arch32.repository("core").orElseThrow().servers()).containsExactly("https://mirror.archlinux32.org/i686/core");

        PacmanConf arm = PacmanConf.archLinuxArm();
        assertThat(arm.architectures()).containsExactly("aarch64");
        assertThat(arm.repositories()).extracting(Repository::name).containsExactly("core", "extra", "alarm");
        assertThat(arm.repository("alarm").orElseThrow().servers()).containsExactly("http://mirror.archlinuxarm.org/aarch64/alarm");

        for (Preset p : Preset.values()) {
            assertThat(PacmanConf.preset(p).warnings()).as(p.title()).isEmpty();
        }
    }

    @Test
    void aSnapshotDateServesArchLinuxFromTheArchive() {
        PacmanConf c = PacmanConf.archLinux(LocalDate.of(2024, 3, 5));

        assertThat(c.repositories()).extracting(Repository::servers).containsExactly(
                List.of("https://archive.archlinux.org/repos/2024/03/05/core/os/x86_64"),
                List.of("https://archive.archlinux.org/repos/2024/03/05/extra/os/x86_64"));

        PacmanConf mixed = PacmanConf.parse("[options]\nArchitecture = x86_64\n[core]\n"
                + "Server = https://mirror.example/archlinux/$repo/os/$arch\n[mine]\nServer = file:///srv/repo\n", "m", null)
                .withSnapshot(LocalDate.of(2025, 12, 31));
        assertThat(mixed.repository("core").orElseThrow().servers())
                .containsExactly("https://archive.archlinux.org/repos/2025/12/31/core/os/x86_64");
        assertThat(mixed.repository("mine").orElseThrow().servers()).containsExactly("file:///srv/repo");
    }

    @Test
    void noArchiveIsKnownForArchLinux32OrArm() {
        LocalDate day = LocalDate.of(2024, 3, 5);
        assertThatThrownBy(() -> PacmanConf.archLinuxArm().withSnapshot(day))
                .isInstanceOf(PacmanConfException.class)
                .hasMessage("/dev/archcore/repo/presets/archlinuxarm-aarch64.conf line 16: [core] is served in the "
                        + "Arch Linux 32 / Arch Linux ARM layout (http://mirror.archlinuxarm.org/aarch64/core), and no "
                        + "archive of those is known; remove the snapshot date or pin the packages another way.");
        assertThatThrownBy(() -> PacmanConf.archLinux32().withSnapshot(day)).hasMessageContaining("no archive of those is known");
        assertThatThrownBy(() -> PacmanConf.parse("[mine]\nServer = file:///srv\n", "m.conf", null).withSnapshot(day))
                .hasMessageStartingWith("m.conf: no repository uses an Arch Linux mirror");
    }
}
