package dev.archcore.repo;

import dev.archcore.testing.CraftedPackage;
import dev.archcore.testing.PacmanRepo;
import dev.archcore.testing.Tools;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hostile packages given to repo-add, hostile sync database entries, lock files and pacman.conf includes
 * (issue 14, findings 2 and 3): refused with the package, entry or file named; where pacman itself judges
 * (database entries), it is asked too and refuses the same entry.
 */
class HostileRepositoryTest {
    @TempDir
    Path tmp;

    private RepoWriter writer() {
        return new RepoWriter(tmp.resolve("repo"), "hostile", 1_800_000_000L);
    }

    // ------------------------------------------------------------------ repo-add

    @Test
    void repoAddRefusesAPkgnameOrPkgverThatIsAPath() {
        Path name = new CraftedPackage("../../../../../etc/cron.d/x", "1-1").fileName("cron.pkg.tar.zst").write(tmp);
        assertThatThrownBy(() -> writer().add(List.of(name))).isInstanceOf(RepoException.class)
                .hasMessageContaining("cron.pkg.tar.zst").hasMessageContaining("pkgname '../../../../../etc/cron.d/x'");
        Path version = new CraftedPackage("sudo", "1-1/../../../../../etc/sudoers.d").fileName("sudo.pkg.tar.zst")
                .write(tmp);
        assertThatThrownBy(() -> writer().add(List.of(version))).isInstanceOf(RepoException.class)
                .hasMessageContaining("sudo.pkg.tar.zst").hasMessageContaining("pkgver '1-1/../../../../../etc/sudoers.d'");
        assertThat(tmp.resolve("repo/hostile.db.tar.gz")).doesNotExist();
    }

    @Test
    void repoAddRefusesTwoPkginfoMembers() {
        Path two = new CraftedPackage("harmless", "1-1").member(".PKGINFO", "pkgname = evil\npkgver = 6-1\n").write(tmp);
        assertThatThrownBy(() -> writer().add(List.of(two))).isInstanceOf(RepoException.class)
                .hasMessageContaining("harmless-1-1-x86_64.pkg.tar.zst").hasMessageContaining("two .PKGINFO members");
    }

    @Test
    void repoAddRefusesAPkginfoOf300MibAndAZstdBomb() {
        Path pkginfo = new CraftedPackage("bomb", "1-1").pkginfoPadding(300L << 20).write(tmp);
        assertThatThrownBy(() -> writer().add(List.of(pkginfo))).isInstanceOf(RepoException.class)
                .hasMessageContaining("bomb-1-1-x86_64.pkg.tar.zst").hasMessageContaining("member .PKGINFO is larger than 4 MiB");
        Path zeros = new CraftedPackage("zbomb", "1-1").withoutMtree().zeros("usr/zeros", 2L << 30, 0644).write(tmp);
        assertThatThrownBy(() -> writer().add(List.of(zeros))).isInstanceOf(RepoException.class)
                .hasMessageContaining("zbomb-1-1-x86_64.pkg.tar.zst").hasMessageContaining("decompresses to more than");
    }

    @Test
    void repoAddRefusesAHugeSignatureWithoutReadingIt() throws IOException {
        Path pkg = new CraftedPackage("signed", "1-1").write(tmp);
        sparse(Path.of(pkg + ".sig"), 3L << 30);
        assertThatThrownBy(() -> writer().add(List.of(pkg))).isInstanceOf(RepoException.class)
                .hasMessageContaining(pkg + ".sig").hasMessageContaining("more than repo-add's 16384 bytes");
    }

    // ------------------------------------------------------------------ sync databases

    private Path database(String dir, String desc) {
        Path repo = tmp.resolve("served");
        Path db = repo.resolve("evil.db");
        try {
            Files.createDirectories(repo);
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(db));
                 TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8")) {
                TarArchiveEntry d = new TarArchiveEntry(dir + "/");
                tar.putArchiveEntry(d);
                tar.closeArchiveEntry();
                byte[] bytes = desc.getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(dir + "/desc");
                e.setSize(bytes.length);
                tar.putArchiveEntry(e);
                tar.write(bytes);
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return db;
    }

    private static String desc(String filename, String name, String version) {
        return "%FILENAME%\n" + filename + "\n\n%NAME%\n" + name + "\n\n%VERSION%\n" + version
                + "\n\n%ARCH%\nx86_64\n\n%CSIZE%\n10\n\n%SHA256SUM%\n" + "a".repeat(64) + "\n\n";
    }

    /** What pacman says about the database when asked for the package. */
    private String pacmanOn(Path db, String target) {
        Tools.require("pacman");
        PacmanRepo pacman = new PacmanRepo("evil", db.getParent(), tmp.resolve("pacman-" + target));
        pacman.pacman("-Syy").ok("pacman -Syy");
        Tools.Output out = pacman.pacman("-Sp", target);
        return out.text();
    }

    @Test
    void aFilenameThatIsAPathIsRefusedAsPacmanRefusesIt() {
        Path db = database("evil-1-1", desc("../../../etc/evil.pkg.tar.zst", "evil", "1-1"));
        assertThat(pacmanOn(db, "evil")).contains("filename of package evil is illegal");
        assertThatThrownBy(() -> SyncDatabase.read("evil", db)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("[evil] database has an invalid entry evil-1-1")
                .hasMessageContaining("%FILENAME% '../../../etc/evil.pkg.tar.zst' is not a plain file name");
    }

    @Test
    void anEntryWhoseDirectoryIsAnotherPackageIsRefusedAsPacmanRefusesIt() {
        Path db = database("zlib-1-1", desc("evil-1-1-x86_64.pkg.tar.zst", "evil", "1-1"));
        assertThat(pacmanOn(db, "zlib")).contains("name mismatch on package zlib");
        assertThatThrownBy(() -> SyncDatabase.read("evil", db)).hasMessageContaining("invalid entry zlib-1-1")
                .hasMessageContaining("its directory is not %NAME%-%VERSION% (evil-1-1)");
    }

    @Test
    void namesVersionsAndRelationsThatAreNotPacmansAreRefused() {
        Path slash = database("a-1-1", desc("a.pkg.tar.zst", "a", "1-1").replace("%ARCH%\nx86_64", "%ARCH%\n../x"));
        assertThatThrownBy(() -> SyncDatabase.read("evil", slash)).hasMessageContaining("%ARCH% '../x'");
        Path dep = database("a-1-1", desc("a.pkg.tar.zst", "a", "1-1") + "%DEPENDS%\nglibc; touch x\n\n");
        assertThatThrownBy(() -> SyncDatabase.read("evil", dep)).hasMessageContaining("%DEPENDS% 'glibc; touch x'");
        Path size = database("a-1-1", desc("a.pkg.tar.zst", "a", "1-1").replace("%CSIZE%\n10", "%CSIZE%\nlots"));
        assertThatThrownBy(() -> SyncDatabase.read("evil", size)).hasMessageContaining("%CSIZE% 'lots'");
    }

    @Test
    void aDescEntryOf300MibIsRefusedWithoutExhaustingMemory() throws IOException {
        Path db = tmp.resolve("big.db");
        byte[] chunk = "%DESC%\n".concat("x".repeat(1 << 20)).getBytes(StandardCharsets.US_ASCII);
        long size = 300L * chunk.length;
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(db), 1 << 16) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        }; TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8")) {
            TarArchiveEntry e = new TarArchiveEntry("big-1-1/desc");
            e.setSize(size);
            tar.putArchiveEntry(e);
            for (int i = 0; i < 300; i++) {
                tar.write(chunk);
            }
            tar.closeArchiveEntry();
        }
        assertThatThrownBy(() -> SyncDatabase.read("evil", db)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("[evil] database: entry big-1-1/desc is larger than 1 MiB");
    }

    // ------------------------------------------------------------------ lock file and pacman.conf

    @Test
    void aLockFileWhoseNameIsAPathIsRefused() throws IOException {
        Path lock = Files.writeString(tmp.resolve("packages.lock.json"), """
                {"format": 1, "targets": ["x"], "packages": [{"name": "../../etc/x", "version": "1-1",
                 "filename": "x-1-1-any.pkg.tar.zst", "sha256": "%s", "repository": "core", "csize": 1}]}
                """.formatted("a".repeat(64)));
        assertThatThrownBy(() -> LockFile.read(lock)).hasMessageContaining("lock file " + lock)
                .hasMessageContaining("a package's name '../../etc/x'");
        Path filename = Files.writeString(tmp.resolve("packages2.lock.json"), """
                {"format": 1, "targets": ["x"], "packages": [{"name": "x", "version": "1-1",
                 "filename": "../../x.pkg.tar.zst", "sha256": "%s", "repository": "core", "csize": 1}]}
                """.formatted("a".repeat(64)));
        assertThatThrownBy(() -> LockFile.read(filename)).hasMessageContaining("a package's filename '../../x.pkg.tar.zst'");
    }

    @Test
    void aHugeLockFileOrIncludedFileIsRefusedAtItsLimit() throws IOException {
        Path lock = sparse(tmp.resolve("packages.lock.json"), 3L << 30);
        assertThatThrownBy(() -> LockFile.read(lock)).hasMessageContaining("lock file " + lock)
                .hasMessageContaining("larger than 64 MiB");
        Path mirrorlist = sparse(tmp.resolve("mirrorlist"), 3L << 30);
        assertThatThrownBy(() -> PacmanConf.parse("[options]\nArchitecture = x86_64\n[core]\nInclude = " + mirrorlist
                + "\n", "pacman.conf", tmp)).isInstanceOf(PacmanConfException.class)
                .hasMessageContaining(mirrorlist + " is larger than 1 MiB");
    }

    private static Path sparse(Path file, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
        return file;
    }
}
