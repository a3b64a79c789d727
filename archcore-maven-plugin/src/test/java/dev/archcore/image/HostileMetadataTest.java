package dev.archcore.image;

import dev.archcore.testing.CraftedPackage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Package metadata that would become paths or database lines (issue 14, finding 2), and members that would
 * exhaust memory or disk (finding 3): each is refused with the package and the field or member named,
 * before the image (or any layer) is written.
 */
class HostileMetadataTest {
    /** md5sum of 2 GiB of zeros ({@code head -c 2147483648 /dev/zero | md5sum}). */
    static final String MD5_OF_2_GIB_OF_ZEROS = "a981130cf2b7e09f4686dc273cf7187e";
    static final long TWO_GIB = 2L << 30;

    @TempDir
    Path tmp;

    private Path layout() {
        return tmp.resolve("out/image");
    }

    private ImageResult build(ImagePackage... packages) {
        return ImageBuilder.build(ImageRequest.of(List.of(packages), ImageConfig.empty(), 1_800_000_000L,
                "archcore/hostile", "t", layout(), null, tmp.resolve("cache"), ImageBuilderTest.collector(new ArrayList<>())));
    }

    /** Nothing of the image was written: no layout, no layer blob in the cache. */
    private void assertNothingWritten() throws IOException {
        assertThat(layout()).doesNotExist();
        Path layers = tmp.resolve("cache");
        if (Files.exists(layers)) {
            try (Stream<Path> files = Files.walk(layers)) {
                assertThat(files.filter(Files::isRegularFile).map(Path::toString)
                        .filter(f -> !f.endsWith(".idx") && !f.endsWith(".key"))).isEmpty();
            }
        }
    }

    @Test
    void aPkgnameThatClimbsIntoCronDIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path evil = new CraftedPackage("../../../../../etc/cron.d/x", "1-1").fileName("cron.pkg.tar.zst")
                .file("usr/share/x", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(ImagePackage.dependency(evil))).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("cron.pkg.tar.zst").hasMessageContaining("pkgname '../../../../../etc/cron.d/x'")
                .hasMessageContaining("refused");
        assertNothingWritten();
    }

    @Test
    void aPkgverThatClimbsIntoSudoersDIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path evil = new CraftedPackage("sudo-evil", "1-1/../../../../../etc/sudoers.d").fileName("sudo.pkg.tar.zst")
                .file("usr/share/x", "x\n", 0644, 0, 0).install("post_install() { :; }\n").write(tmp);
        assertThatThrownBy(() -> build(ImagePackage.dependency(evil))).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("sudo.pkg.tar.zst").hasMessageContaining("pkgver '1-1/../../../../../etc/sudoers.d'")
                .hasMessageContaining("refused");
        assertNothingWritten();
    }

    @Test
    void aRepeatedNameOrArchIsRefusedAndValidMetadataBuilds() {
        Path twoArches = new CraftedPackage("evil", "1-1").pkginfo("arch = ../x").write(tmp);
        assertThatThrownBy(() -> build(ImagePackage.dependency(twoArches))).hasMessageContaining("arch is given 2 times");
        Path twoNames = new CraftedPackage("evil", "1-1").pkginfo("pkgname = ../x").fileName("two.pkg.tar.zst").write(tmp);
        assertThatThrownBy(() -> build(ImagePackage.dependency(twoNames))).hasMessageContaining("pkgname is given 2 times");
        Path fine = new CraftedPackage("fine", "1:2.0_rc1-1.1").pkginfo("depend = glibc>=2.40")
                .pkginfo("optdepend = bash: for scripts").pkginfo("provides = libfine.so=1-64").write(tmp);
        assertThat(build(ImagePackage.dependency(fine)).layers()).isNotEmpty();
    }

    @Test
    void aSecondPkginfoMemberIsRefused() throws IOException {
        Path evil = new CraftedPackage("harmless", "1-1")
                .member(".PKGINFO", "pkgname = evil\npkgver = 6.6.6-1\narch = x86_64\nsize = 1\n")
                .file("usr/share/x", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(ImagePackage.dependency(evil))).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("harmless-1-1-x86_64.pkg.tar.zst").hasMessageContaining("two .PKGINFO members");
        assertNothingWritten();
    }

    @Test
    void aPackageThatIsNotWhatItsDatabaseEntrySaysIsRefusedNamingBoth() throws IOException {
        Path delivered = new CraftedPackage("evil", "6.6.6-1").file("usr/share/x", "x\n", 0644, 0, 0).write(tmp);
        ImagePackage listed = new ImagePackage(delivered, false, "core", List.of("sha256"), null)
                .listedAs(new ImagePackage.Listed("zlib", "1:1.3.1-2", "x86_64"));
        assertThatThrownBy(() -> build(listed)).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("evil 6.6.6-1").hasMessageContaining("zlib 1:1.3.1-2").hasMessageContaining("[core]");
        assertNothingWritten();

        // the same package listed as what it is passes; an entry of another arch does not
        assertThat(build(listed.listedAs(new ImagePackage.Listed("evil", "6.6.6-1", "x86_64"))).layers()).isNotEmpty();
        assertThatThrownBy(() -> build(listed.listedAs(new ImagePackage.Listed("evil", "6.6.6-1", "aarch64"))))
                .hasMessageContaining("(aarch64)");
    }

    @Test
    void aFileNameWithANewlineIsRefusedNamingPackageAndPath() throws IOException {
        Path evil = new CraftedPackage("evil", "1-1").dir("usr/", 0755, 0, 0)
                .file("usr/x\netc/shadow", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(ImagePackage.dependency(evil))).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("evil-1-1-x86_64.pkg.tar.zst").hasMessageContaining("'usr/x\\netc/shadow'")
                .hasMessageContaining("newline");
        assertNothingWritten();
    }

    @Test
    void aMalformedDependencyIsRefused() throws IOException {
        Path evil = new CraftedPackage("evil", "1-1").pkginfo("depend = glibc; touch x").write(tmp);
        assertThatThrownBy(() -> build(ImagePackage.dependency(evil))).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("depend 'glibc; touch x'");
    }

    @Test
    void aBackupEntryWithATabIsRefused() throws IOException {
        Path evil = new CraftedPackage("evil", "1-1").pkginfo("backup = etc/a\tb").file("etc/a\tb", "x", 0644, 0, 0)
                .write(tmp);
        assertThatThrownBy(() -> build(ImagePackage.dependency(evil))).hasMessageContaining("backup entry 'etc/a\\tb'");
    }

    // ------------------------------------------------------------------ finding 3: unbounded reads

    @Test
    void aPkginfoOf300MibInASmallPackageIsRefusedWithoutExhaustingMemory() throws IOException {
        Path bomb = new CraftedPackage("bomb", "1-1").pkginfoPadding(300L << 20).write(tmp);
        assertThat(Files.size(bomb)).isLessThan(2L << 20);
        assertThatThrownBy(() -> build(ImagePackage.dependency(bomb))).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("bomb-1-1-x86_64.pkg.tar.zst").hasMessageContaining("member .PKGINFO")
                .hasMessageContaining("larger than 4 MiB");
        assertNothingWritten();
    }

    @Test
    void aTwoGibBackupFileIsHashedStreamingNotHeldInMemory() throws Exception {
        Path big = new CraftedPackage("bigbackup", "1-1").pkginfo("size = " + TWO_GIB).pkginfo("backup = etc/big.conf")
                .withoutMtree().dir("etc/", 0755, 0, 0).zeros("etc/big.conf", TWO_GIB, 0644).write(tmp);
        PackageIndex index = PackageIndexer.read(big, sha256sum(big));
        assertThat(index.backupMd5()).containsEntry("etc/big.conf", MD5_OF_2_GIB_OF_ZEROS);
    }

    @Test
    void aTwoGibZstdBombThatDeclaresASmallSizeIsStoppedEarly() throws IOException {
        Path bomb = new CraftedPackage("zbomb", "1-1").withoutMtree().dir("usr/", 0755, 0, 0)
                .zeros("usr/zeros", TWO_GIB, 0644).write(tmp);
        assertThat(Files.size(bomb)).isLessThan(1L << 20);
        assertThatThrownBy(() -> build(ImagePackage.dependency(bomb))).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("zbomb-1-1-x86_64.pkg.tar.zst").hasMessageContaining("decompresses to more than")
                .hasMessageContaining("installed size of 1 bytes");
        assertNothingWritten();
    }

    /** The file's SHA-256 by coreutils, not by the code under test (read checks the hash it is given). */
    private static String sha256sum(Path file) throws Exception {
        Process p = new ProcessBuilder("sha256sum", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        return out.substring(0, 64);
    }
}
