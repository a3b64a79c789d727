package dev.archcore.pacman;

import dev.archcore.testing.Fixtures;
import dev.archcore.testing.PackageArchive;
import dev.archcore.testing.Pacman;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same PKGBUILD through Debian's makepkg and through archcore: pacman must see the same package (every
 * -Qip field but packager and compressed size) with the same files, modes, owners, sizes and links. Both run
 * with the same SOURCE_DATE_EPOCH, so the build date is the same: makepkg's {@code builddate} is the epoch.
 * Each archcore package must also pass testpkg and install into an empty root with 0 altered files.
 */
class MakepkgParityTest {
    private static final List<String> DIFFERING = List.of("Packager", "Compressed Size");

    @BeforeAll
    static void tools() {
        Tools.require("makepkg", "pacman", "testpkg", "bsdtar", "zstd", "gcc", "strip");
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "rich", "tricky", "tidy"})
    void archcoreAndMakepkgBuildTheSamePackage(String fixture, @TempDir Path tmp) {
        Path ours = Fixtures.build(Fixtures.copy(fixture, tmp.resolve("archcore"))).file();
        Path theirs = Pacman.makepkg(Fixtures.copy(fixture, tmp.resolve("makepkg")), Fixtures.EPOCH);

        assertThat(ours.getFileName()).isEqualTo(theirs.getFileName());
        Pacman.assertValid(ours);
        Map<String, String> ourInfo = Pacman.info(ours);
        Map<String, String> theirInfo = Pacman.info(theirs);
        DIFFERING.forEach(k -> {
            assertThat(ourInfo).containsKey(k);
            ourInfo.remove(k);
            theirInfo.remove(k);
        });
        assertThat(ourInfo).isEqualTo(theirInfo);
        assertThat(PackageArchive.pkginfo(ours, "builddate")).isEqualTo(PackageArchive.pkginfo(theirs, "builddate"))
                .containsExactly(Long.toString(Fixtures.EPOCH));
        assertThat(Pacman.info(ours).get("Packager")).isEqualTo("Archcore Tests <tests@example.invalid>");

        assertThat(dataEntries(ours)).isEqualTo(dataEntries(theirs));
        assertThat(metadataNames(ours)).isEqualTo(metadataNames(theirs));

        Pacman.installAndCheck(ours, tmp.resolve("root"));
    }

    /** Data entries compare whole; metadata members differ in content (generator, packager), so names only. */
    private static List<String> dataEntries(Path pkg) {
        return PackageArchive.entries(pkg).stream().filter(l -> !l.startsWith(".")).toList();
    }

    private static List<String> metadataNames(Path pkg) {
        return PackageArchive.entries(pkg).stream().filter(l -> l.startsWith(".")).map(l -> l.split(" ")[0]).toList();
    }
}
