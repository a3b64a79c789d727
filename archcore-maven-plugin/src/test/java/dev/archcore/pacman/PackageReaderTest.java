package dev.archcore.pacman;

import dev.archcore.testing.Fixtures;
import dev.archcore.testing.Pacman;
import dev.archcore.testing.RepoPackages;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PackageReader} against bsdtar, md5sum and sha256sum on the same files. */
class PackageReaderTest {

    @BeforeAll
    static void tools() {
        Tools.require("bsdtar", "md5sum", "sha256sum", "sh");
    }

    @Test
    void everyCompressionReadsLikeBsdtar(@TempDir Path tmp) {
        for (RepoPackages.Spec spec : RepoPackages.catalogue().subList(0, 10)) {
            Path pkg = RepoPackages.write(spec, tmp);
            PackageFile read = PackageReader.read(pkg);
            assertSameAsTools(read);
            assertThat(read.name()).isEqualTo(spec.name());
            assertThat(read.version()).isEqualTo(spec.version());
            assertThat(read.values("license")).isEqualTo(spec.licenses());
            assertThat(read.values("optdepend")).isEqualTo(spec.optdepends());
            assertThat(read.signed()).isFalse();
        }
    }

    @Test
    void oddFileNamesAreListedAsBsdtarPrintsThem(@TempDir Path tmp) {
        RepoPackages.Spec odd = RepoPackages.catalogue().stream().filter(s -> s.name().equals("oddnames")).findFirst()
                .orElseThrow();
        PackageFile read = PackageReader.read(RepoPackages.write(odd, tmp));
        assertSameAsTools(read);
        assertThat(read.files()).contains("usr/share/odd/back\\\\slash", "usr/share/odd/tab\\there",
                "usr/share/odd/ünïcødé-日本", "usr/share/odd/.hidden", "usr/share/odd/with space");
        assertThat(PackageReader.bsdtarListName("a\u0001b\nc\u007f")).isEqualTo("a\\001b\\nc\\177");
    }

    @Test
    void makepkgPackageReadsLikeBsdtarAndSignatureIsFound(@TempDir Path tmp) throws Exception {
        Tools.require("makepkg");
        Path pkg = Pacman.makepkg(Fixtures.copy("rich", tmp.resolve("rich")), Fixtures.EPOCH);
        PackageFile read = PackageReader.read(pkg);
        assertSameAsTools(read);
        assertThat(read.values("depend")).containsExactly("glibc>=2.30", "bash");
        assertThat(read.value("pkgbase")).isEqualTo("rich-base");

        Files.write(Path.of(pkg + ".sig"), new byte[] {1, 2, 3});
        assertThat(PackageReader.read(pkg).signature()).isEqualTo(Path.of(pkg + ".sig"));
    }

    @Test
    void aFileThatIsNoPackageIsRefused(@TempDir Path tmp) throws Exception {
        Path notTar = Files.writeString(tmp.resolve("x.pkg.tar.zst"), "not a package at all, just text");
        assertThatThrownBy(() -> PackageReader.read(notTar)).hasMessageContaining("x.pkg.tar.zst");
        Path noPkginfo = tmp.resolve("y.pkg.tar");
        Files.createDirectories(tmp.resolve("t/usr"));
        Tools.run(tmp.resolve("t"), "bsdtar", "-cf", noPkginfo.toString(), "usr").ok("bsdtar");
        assertThatThrownBy(() -> PackageReader.read(noPkginfo)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no .PKGINFO");
    }

    @Test
    void pkginfoKeepsRepeatedKeysInOrder() {
        Map<String, List<String>> s = PackageReader.parsePkginfo(("# comment\npkgname = a\n\ndepend = x\n"
                + "depend = y>=1\noptdepend = z: why = because\nurl = \n").getBytes());
        assertThat(s).containsEntry("pkgname", List.of("a")).containsEntry("depend", List.of("x", "y>=1"))
                .containsEntry("optdepend", List.of("z: why = because")).containsEntry("url", List.of(""));
    }

    private static void assertSameAsTools(PackageFile read) {
        Path pkg = read.file();
        Path dir = pkg.getParent();
        String list = Tools.run(dir, Map.of("LC_ALL", "C.UTF-8"), List.of("sh", "-c",
                "bsdtar --exclude='^.*' -tf \"$0\" | LC_ALL=C sort -u", pkg.toString())).ok("bsdtar -tf").text();
        assertThat(read.files()).as("files of %s", pkg.getFileName()).isEqualTo(list.lines().toList());
        String pkginfo = Tools.run(dir, "bsdtar", "-xOqf", pkg.toString(), ".PKGINFO").ok("bsdtar -xO").text();
        assertThat(read.pkginfoString()).isEqualTo(pkginfo);
        assertThat(read.md5()).isEqualTo(Tools.run(dir, "md5sum", pkg.toString()).text().split(" ")[0]);
        assertThat(read.sha256()).isEqualTo(Tools.run(dir, "sha256sum", pkg.toString()).text().split(" ")[0]);
        assertThat(read.size()).isEqualTo(pkg.toFile().length());
    }
}
