package dev.archcore.pacman;

import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16: the archetype's VCS {@code pkgver()} falls back to the PKGBUILD's pkgver outside a checkout, and
 * gives a commit's {@code r<count>.<hash>} to a tree with uncommitted changes (other bytes, same version). Both
 * were silent; each now warns, naming why or the changed files. Real git and Mercurial repositories.
 */
class VcsVersionCheckTest {
    /** The archetype's pkgver(), as a generated project has it. */
    static final String PKGBUILD = """
            pkgname=hello
            pkgver=1.0
            pkgrel=1
            pkgdesc='vcs check'
            arch=('any')
            pkgver() {
              cd -P "$startdir" >/dev/null 2>&1 || { printf '%s' "$pkgver"; return 0; }
              local count hash
              if count=$(git rev-list --count HEAD 2>/dev/null) && hash=$(git rev-parse --short=7 HEAD 2>/dev/null)
              then
                printf 'r%s.%s' "$count" "$hash"
              elif _in_hg_checkout && count=$(hg identify -n -r . 2>/dev/null) &&
                   hash=$(hg identify -i -r . 2>/dev/null) && [[ -n $count && $count != -1 ]]
              then
                printf 'r%s.%s' "$count" "$hash"
              else
                printf '%s' "$pkgver"
              fi
            }
            _in_hg_checkout() {
              local dir=$PWD
              until [[ -d $dir/.hg ]]; do
                [[ -n $dir ]] || return 1
                dir=${dir%/*}
              done
            }
            package() {
              install -Dm644 "$startdir/notes.txt" "$pkgdir/usr/share/hello/notes.txt"
            }
            """;

    @TempDir
    Path tmp;

    private Path project() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("hello"));
        Files.writeString(dir.resolve("PKGBUILD"), PKGBUILD);
        Files.writeString(dir.resolve("notes.txt"), "first\n");
        Files.writeString(dir.resolve(".gitignore"), "target/\n");
        return dir;
    }

    private static BuiltPackage build(Path dir, RecordingLog log) {
        return PackageBuilder.build(new PackageRequest(dir.resolve("PKGBUILD"), dir.resolve("target/archcore/build"),
                dir.resolve("target"), "x86_64", Compression.ZSTD, 3, 1_790_000_000L, "Tests <t@example.invalid>",
                null, Map.of(), "archcore test", log));
    }

    private static void git(Path dir, String... args) throws IOException {
        String[] command = new String[args.length + 5];
        command[0] = "git";
        command[1] = "-c";
        command[2] = "user.name=Archcore Tests";
        command[3] = "-c";
        command[4] = "user.email=tests@example.invalid";
        System.arraycopy(args, 0, command, 5, args.length);
        Tools.run(dir, command).ok(String.join(" ", command));
    }

    @Test
    void outsideACheckoutTheFallbackVersionIsExplained() throws IOException {
        Path dir = project();
        RecordingLog log = new RecordingLog();
        BuiltPackage built = build(dir, log);
        assertThat(built.metadata().version()).isEqualTo("1.0-1");
        assertThat(log.lines("WARN")).anyMatch(l -> l.contains("no git or Mercurial checkout")
                && l.contains("falls back to the PKGBUILD's pkgver: 1.0-1") && l.contains("git commit"));
    }

    @Test
    void aCleanGitCheckoutBuildsWithoutWarningAndADirtyOneNamesTheChangedFiles() throws IOException {
        Tools.require("git");
        Path dir = project();
        git(dir, "init", "-q");
        git(dir, "add", "-A");
        git(dir, "commit", "-q", "-m", "init");
        String hash = Tools.run(dir, "git", "rev-parse", "--short=7", "HEAD").ok("git rev-parse").text().strip();

        RecordingLog clean = new RecordingLog();
        assertThat(build(dir, clean).metadata().version()).isEqualTo("r1." + hash + "-1");
        assertThat(clean.lines("WARN")).isEmpty();

        Files.writeString(dir.resolve("notes.txt"), "second\n");
        Files.writeString(dir.resolve("new.txt"), "not added\n");
        RecordingLog dirty = new RecordingLog();
        assertThat(build(dir, dirty).metadata().version()).isEqualTo("r1." + hash + "-1");
        assertThat(dirty.lines("WARN")).anyMatch(l -> l.contains("uncommitted changes") && l.contains("notes.txt")
                && l.contains("new.txt") && l.contains("r1." + hash + "-1"));

        for (int i = 0; i < 12; i++) {
            Files.writeString(dir.resolve("extra-" + i + ".txt"), "x\n");
        }
        RecordingLog many = new RecordingLog();
        build(dir, many);
        // 14 changed files: ten are named, the other four counted
        assertThat(many.lines("WARN")).anyMatch(l -> l.contains("uncommitted changes") && l.contains("and 4 more"));
    }

    /**
     * Issue 17: hg is a Python program that takes a few tenths of a second to start, even to say there is no
     * repository, and a build asked it twice (pkgver(), then this check) outside any Mercurial checkout. Neither the
     * archetype's own pkgver() nor the check starts it now unless there is a .hg here or above. An {@code hg} on the
     * PATH records every call and runs the real hg; the build runs in a child JVM that has it on its PATH (Java finds
     * a program on its own PATH). Inside a checkout, a level up from the project, hg is still asked and decides.
     */
    @Test
    void hgIsStartedOnlyInsideAMercurialCheckout() throws IOException, InterruptedException {
        Path hg = Tools.which("hg");
        Tools.require("hg", "gcc", "make");
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Path dir = ElfArchLintTest.archetypeProject(repo.resolve("demo"));
        Map<String, String> noConfig = Map.of("HGRCPATH", "/dev/null", "HGUSER", "Archcore Tests <tests@example.invalid>");
        assertThat(Tools.run(dir, noConfig, List.of(hg.toString(), "root")).exitCode())
                .as("hg root: no Mercurial repository above " + dir).isNotZero();

        Path calls = tmp.resolve("hg.calls");
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.writeString(bin.resolve("hg"), "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + calls + "'\nexec '" + hg + "' \"$@\"\n");
        Files.setPosixFilePermissions(bin.resolve("hg"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));

        String outside = buildInChildJvm(dir, bin);
        assertThat(outside).contains("version=1.0.0-1").contains("no git or Mercurial checkout");
        assertThat(Files.exists(calls) ? Files.readAllLines(calls) : List.of()).as("hg calls outside a checkout").isEmpty();

        Tools.run(repo, noConfig, List.of(hg.toString(), "init")).ok("hg init");
        Files.writeString(repo.resolve(".hgignore"), "^demo/(build|target)/\n"); // the Makefile's and Maven's output
        Tools.run(repo, noConfig, List.of(hg.toString(), "commit", "-q", "-A", "-m", "init")).ok("hg commit");
        String id = Tools.run(repo, noConfig, List.of(hg.toString(), "identify", "-i", "-r", ".")).ok("hg id").text().strip();
        String inside = buildInChildJvm(dir, bin);
        assertThat(inside).contains("version=r0." + id + "-1").doesNotContain("WARN");
        assertThat(Files.readAllLines(calls)).contains("identify -n -r .", "identify -i -r .");
    }

    /** Builds {@code dir} with {@link BuildInChildJvm} and this {@code bin} first on the PATH; its output. */
    private String buildInChildJvm(Path dir, Path bin) throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, BuildInChildJvm.class.getName(), dir.toString()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("HGRCPATH", "/dev/null");
        pb.environment().put("GIT_CEILING_DIRECTORIES", tmp.toString()); // no git checkout around the temp dir
        Process child = pb.start();
        String out = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(child.waitFor()).as("child build:\n" + out).isZero();
        return out;
    }

    /** The child JVM: builds the project in args[0], prints the version and every warning. */
    public static final class BuildInChildJvm {
        public static void main(String[] args) {
            RecordingLog log = new RecordingLog();
            BuiltPackage built = build(Path.of(args[0]), log);
            System.out.println("version=" + built.metadata().version());
            log.lines("WARN").forEach(System.out::println);
        }
    }

    @Test
    void aDirtyMercurialCheckoutNamesTheChangedFiles() throws IOException {
        Tools.require("hg");
        Path dir = project();
        Map<String, String> noConfig = Map.of("HGRCPATH", "/dev/null", "HGUSER", "Archcore Tests <tests@example.invalid>");
        Tools.run(dir, noConfig, List.of("hg", "init")).ok("hg init");
        Tools.run(dir, noConfig, List.of("hg", "commit", "-q", "-A", "-m", "init")).ok("hg commit");
        RecordingLog clean = new RecordingLog();
        assertThat(build(dir, clean).metadata().version()).startsWith("r0.");
        assertThat(clean.lines("WARN")).isEmpty();
        // no .hgignore (the archetype has none): the first build's target/ is the build's own, not a change
        RecordingLog again = new RecordingLog();
        build(dir, again);
        assertThat(again.lines("WARN")).isEmpty();

        Files.writeString(dir.resolve("notes.txt"), "second\n");
        RecordingLog dirty = new RecordingLog();
        build(dir, dirty);
        assertThat(dirty.lines("WARN")).anyMatch(l -> l.contains("uncommitted changes") && l.contains("notes.txt"));
    }
}
