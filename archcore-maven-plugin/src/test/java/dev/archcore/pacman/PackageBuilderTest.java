package dev.archcore.pacman;

import dev.archcore.testing.Fixtures;
import dev.archcore.testing.Pacman;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class PackageBuilderTest {

    @Test
    void twoCleanBuildsInDifferentDirectoriesAreByteIdentical(@TempDir Path tmp) throws IOException {
        for (String fixture : List.of("rich", "tricky", "tidy")) {
            Path a = Fixtures.build(Fixtures.copy(fixture, tmp.resolve("a-" + fixture))).file();
            Path b = Fixtures.build(Fixtures.copy(fixture, tmp.resolve("somewhere/else/b-" + fixture))).file();
            assertThat(PkgbuildReader.sha256(a)).as(fixture).isEqualTo(PkgbuildReader.sha256(b));
        }
    }

    @Test
    void theTimestampIsTheOnlyClock(@TempDir Path tmp) throws IOException {
        Path dir = Fixtures.copy("plain", tmp.resolve("p"));
        BuiltPackage first = PackageBuilder.build(Fixtures.request(dir, Compression.ZSTD));
        byte[] bytes = Files.readAllBytes(first.file());
        PackageRequest later = Fixtures.request(dir, Compression.ZSTD);
        later = new PackageRequest(later.pkgbuild(), later.buildDirectory(), later.outputDirectory(), later.carch(),
                later.compression(), later.compressionLevel(), Fixtures.EPOCH + 1, later.packager(), null,
                later.environment(), later.tool(), later.log());
        Files.write(dir.resolve("first.pkg.tar.zst"), bytes);
        Path second = PackageBuilder.build(later).file();
        assertThat(Files.readAllBytes(second)).isNotEqualTo(bytes);
        // the build date is SOURCE_DATE_EPOCH to the second, read from .PKGINFO by bsdtar and shown by pacman
        assertThat(dev.archcore.testing.PackageArchive.pkginfo(dir.resolve("first.pkg.tar.zst"), "builddate"))
                .containsExactly(Long.toString(Fixtures.EPOCH));
        assertThat(dev.archcore.testing.PackageArchive.pkginfo(second, "builddate"))
                .containsExactly(Long.toString(Fixtures.EPOCH + 1));
        String shown = Tools.run(dir, Map.of("TZ", "UTC", "LC_ALL", "C"), List.of("pacman", "-Qip", second.toString()))
                .ok("pacman -Qip").text();
        String expected = java.time.format.DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", java.util.Locale.ROOT)
                .format(java.time.Instant.ofEpochSecond(Fixtures.EPOCH + 1).atZone(java.time.ZoneOffset.UTC));
        assertThat(shown).containsPattern("(?m)^Build Date\\s+: " + java.util.regex.Pattern.quote(expected) + "$");
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void everyCompressionIsReadByPacman(Compression compression, @TempDir Path tmp) throws IOException {
        Tools.require("pacman", "testpkg");
        Path pkg = PackageBuilder.build(Fixtures.request(Fixtures.copy("rich", tmp.resolve("r")), compression)).file();
        assertThat(pkg.getFileName().toString()).isEqualTo("rich-app-2:3.1.4-2-x86_64" + compression.extension());
        Pacman.assertValid(pkg);
        assertThat(Files.getPosixFilePermissions(pkg)).as("a package others can read, like makepkg's")
                .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
        assertThat(Pacman.info(pkg).get("Version")).isEqualTo("2:3.1.4-2");
        Pacman.installAndCheck(pkg, tmp.resolve("root"));
    }

    @Test
    void archSpecificArraysAndPkgverFunctionAreHonoured(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("a");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("PKGBUILD"), """
                pkgname=vcs-app
                pkgver=0.0.1
                pkgrel=1
                arch=(x86_64 aarch64)
                depends=(common)
                depends_x86_64=(only-x86)
                depends_aarch64=(only-arm)
                pkgver() { printf 'r%s.%s' 42 abc1234; }
                package() { mkdir -p "$pkgdir/usr/share/vcs"; echo "$pkgver $CARCH" > "$pkgdir/usr/share/vcs/v"; }
                """);
        BuiltPackage built = Fixtures.build(dir);
        assertThat(built.metadata().version()).isEqualTo("r42.abc1234-1");
        assertThat(built.metadata().depends()).containsExactly("common", "only-x86");
        assertThat(Files.readString(dir.resolve("target/archcore/build/pkg/vcs-app/usr/share/vcs/v")))
                .isEqualTo("r42.abc1234 x86_64\n");
    }

    @Test
    void withoutPackageFunctionTheMakefileBuildsAndInstalls(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("m");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("PKGBUILD"), "pkgname=make-app\npkgver=1\npkgrel=1\narch=(any)\n");
        Files.writeString(dir.resolve("Makefile"), """
                all: app.txt
                app.txt:
                \techo built > app.txt
                install: app.txt
                \tinstall -Dm644 app.txt $(DESTDIR)/usr/share/make-app/app.txt
                """);
        BuiltPackage built = Fixtures.build(dir);
        assertThat(Files.readString(dir.resolve("target/archcore/build/pkg/make-app/usr/share/make-app/app.txt")))
                .isEqualTo("built\n");
        Pacman.assertValid(built.file());
    }

    // --- bad input: one clear message, and the previous package stays as it was ---

    @Test
    void syntaxError(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, "package() { echo 'unclosed; }", "syntax error", "PKGBUILD");
    }

    @Test
    void missingPkgname(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, null, "pkgname is missing", "pkgname=", "pkgname=");
    }

    @Test
    void invalidPkgname(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, null, "pkgname '-bad' is not a valid package name", "pkgname=", "pkgname=-bad");
    }

    @Test
    void invalidPkgver(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, null, "pkgver '1.0-beta' is missing or invalid", "pkgver=", "pkgver=1.0-beta");
    }

    @Test
    void invalidPkgrel(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, null, "pkgrel 'one' is missing or invalid", "pkgrel=", "pkgrel=one");
    }

    @Test
    void invalidDependsAsMakepkgsLintRefusesIt(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, null, "depends entry 'glibc; touch x' names a package that", "arch=",
                "arch=(x86_64)\ndepends=('glibc; touch x')");
    }

    @Test
    void aNewlineInAProvisionIsNotPacked(@TempDir Path tmp) throws IOException {
        // it would add a line "size = 0" to .PKGINFO
        assertRejected(tmp, null, "provides entry 'good=1\\nsize = 0' names a package that", "arch=", "arch=(x86_64)\nprovides=($'good=1\\nsize = 0')");
    }

    @Test
    void missingArch(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, null, "arch is missing", "arch=", "arch=()");
    }

    @Test
    void wrongArch(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, null, "does not include the target architecture 'x86_64'", "arch=", "arch=(armv7h)");
    }

    @Test
    void failingPackageFunction(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, "package() { echo 'copying the app'; echo 'cp: cannot stat app' >&2; return 3; }",
                "package() failed (exit 3)", "cp: cannot stat app");
    }

    @Test
    void makefileWithoutInstall(@TempDir Path tmp) throws IOException {
        Path dir = good(tmp);
        Files.writeString(dir.resolve("Makefile"), "all:\n\t@echo nothing to build\n");
        assertRejected(dir, "package() { make DESTDIR=\"$pkgdir\" install; }", "The Makefile has no install target",
                "No rule to make target");
    }

    @Test
    void emptyPkgdir(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, "package() { :; }", "left $pkgdir", "empty");
    }

    @Test
    void fifoInPkgdir(@TempDir Path tmp) throws IOException {
        assertRejected(tmp, "package() { mkdir -p \"$pkgdir/run\"; mkfifo \"$pkgdir/run/pipe\"; }",
                "run/pipe is a device node, socket or FIFO");
    }

    @Test
    void deviceNodeInPkgdir(@TempDir Path tmp) throws IOException {
        // mknod needs root; CI runs as root, so this only skips on a developer's unprivileged machine
        org.junit.jupiter.api.Assumptions.assumeTrue(Tools.isRoot(), "mknod needs root");
        assertRejected(tmp, "package() { mkdir -p \"$pkgdir/dev\"; mknod \"$pkgdir/dev/null\" c 1 3; }",
                "dev/null is a device node, socket or FIFO");
    }

    @Test
    void socketInPkgdir(@TempDir Path tmp) throws IOException {
        Tools.require("python3");
        assertRejected(tmp, "package() { mkdir -p \"$pkgdir/run\"; python3 -c 'import socket,sys; "
                + "socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \"$pkgdir/run/sock\"; }",
                "run/sock is a device node, socket or FIFO");
    }

    private static final String GOOD = """
            pkgname=good-app
            pkgver=1.0
            pkgrel=1
            arch=(x86_64)
            package() { mkdir -p "$pkgdir/usr/share/good"; echo ok > "$pkgdir/usr/share/good/ok"; }
            """;

    private static Path good(Path tmp) throws IOException {
        Path dir = tmp.resolve("good");
        if (!Files.exists(dir.resolve("PKGBUILD"))) {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("PKGBUILD"), GOOD);
        }
        return dir;
    }

    /** Builds a good package, breaks the PKGBUILD (a new package() or one replaced line), expects the message. */
    private static void assertRejected(Path tmp, String packageFunction, String... expected) throws IOException {
        Path dir = tmp.getFileName().toString().equals("good") ? tmp : good(tmp);
        Path pkg = Fixtures.build(dir).file();
        byte[] before = Files.readAllBytes(pkg);

        String text = GOOD;
        if (packageFunction != null) {
            text = text.replaceAll("(?m)^package\\(\\).*$", java.util.regex.Matcher.quoteReplacement(packageFunction));
        } else {
            text = text.replaceAll("(?m)^" + expected[1] + ".*$", java.util.regex.Matcher.quoteReplacement(expected[2]));
        }
        Files.writeString(dir.resolve("PKGBUILD"), text);

        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Fixtures.build(dir)))
                .isInstanceOf(PackageBuildException.class)
                .hasMessageContaining(dir.resolve("PKGBUILD").toString())
                .hasMessageContaining(expected[0]);
        if (packageFunction != null) {
            for (String e : expected) {
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Fixtures.build(dir))).hasMessageContaining(e);
            }
        }
        assertThat(Files.readAllBytes(pkg)).as("previous package untouched").isEqualTo(before);
        try (Stream<Path> files = Files.list(pkg.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary files left")
                    .allMatch(n -> !n.endsWith(".part"));
        }
    }
}
