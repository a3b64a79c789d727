package dev.archcore.repo;

import dev.archcore.testing.GpgKey;
import dev.archcore.testing.PacmanRepo;
import dev.archcore.testing.RepoPackages;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RepoWriter}'s repo-add behaviour: replacing, removing, rotating, signing, failing safely, determinism. */
class RepoWriterTest {
    private static final long T = 1_750_000_000L;

    private static GpgKey key;

    @TempDir
    Path tmp;

    @BeforeAll
    static void makeKey() {
        key = GpgKey.create("Writer Tester <writer@example.invalid>");
    }

    @AfterAll
    static void dropKey() {
        if (key != null) {
            key.close();
        }
    }

    @Test
    void aNewerVersionReplacesTheOldEntryAndTheOldDatabaseIsKept() throws IOException {
        Path pkgs = Files.createDirectories(tmp.resolve("pkgs"));
        Path repo = tmp.resolve("repo");
        Path v1 = RepoPackages.write(RepoPackages.simple("foo", "1.0-1"), pkgs);
        Path v2 = RepoPackages.write(RepoPackages.simple("foo", "1:0.5-1"), pkgs);
        Path bar = RepoPackages.write(RepoPackages.simple("bar", "2.0-1"), pkgs);

        RepoWriter writer = new RepoWriter(repo, "test", T);
        writer.add(List.of(v1, bar));
        byte[] first = Files.readAllBytes(repo.resolve("test.db.tar.gz"));
        RepoWriter.Result result = writer.add(List.of(v2));

        assertThat(result.added()).containsExactly("foo-1:0.5-1");
        assertThat(result.removed()).containsExactly("foo-1.0-1");
        assertThat(result.packageCount()).isEqualTo(2);
        assertThat(entries(repo.resolve("test.db.tar.gz"))).containsExactly("bar-2.0-1/", "bar-2.0-1/desc",
                "foo-1:0.5-1/", "foo-1:0.5-1/desc");
        assertThat(entries(repo.resolve("test.files.tar.gz"))).containsExactly("bar-2.0-1/", "bar-2.0-1/desc",
                "bar-2.0-1/files", "foo-1:0.5-1/", "foo-1:0.5-1/desc", "foo-1:0.5-1/files");
        assertThat(Files.readAllBytes(repo.resolve("test.db.tar.gz.old"))).isEqualTo(first);
        assertThat(Files.readSymbolicLink(repo.resolve("test.db"))).isEqualTo(Path.of("test.db.tar.gz"));
        assertThat(Files.readSymbolicLink(repo.resolve("test.files"))).isEqualTo(Path.of("test.files.tar.gz"));
        assertThat(repo.resolve(v1.getFileName().toString())).exists(); // copied in, left there as repo-add does
        assertThat(Files.getPosixFilePermissions(repo.resolve("test.db.tar.gz")))
                .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));

        PacmanRepo pacman = new PacmanRepo("test", repo, Files.createDirectories(tmp.resolve("pacman"))).sync();
        assertThat(pacman.list()).containsExactly("bar 2.0-1", "foo 1:0.5-1");

        // an older version still replaces, with repo-add's warning
        List<String> warnings = new ArrayList<>();
        writer.log(collect(warnings)).add(List.of(v1));
        assertThat(warnings).anyMatch(w -> w.contains("A newer version for 'foo' is already present"));
        assertThat(pacman.sync().list()).containsExactly("bar 2.0-1", "foo 1.0-1");
    }

    @Test
    void theSamePackagesGiveByteIdenticalDatabasesHoweverAdded() throws IOException {
        Path pkgs = Files.createDirectories(tmp.resolve("pkgs"));
        List<Path> all = new ArrayList<>();
        for (RepoPackages.Spec spec : RepoPackages.catalogue().subList(0, 8)) {
            Path p = RepoPackages.write(spec, pkgs);
            key.signer().signDetached(p, Path.of(p + ".sig"), null);
            all.add(p);
        }
        Path batch = tmp.resolve("batch");
        new RepoWriter(batch, "same", T).signer(key.signer()).add(all);
        Path again = tmp.resolve("again");
        new RepoWriter(again, "same", T).signer(key.signer()).add(all);
        new RepoWriter(again, "same", T).signer(key.signer()).add(all); // re-adding changes nothing
        Path oneByOne = tmp.resolve("one-by-one");
        List<Path> reversed = new ArrayList<>(all);
        java.util.Collections.reverse(reversed);
        for (Path p : reversed) {
            new RepoWriter(oneByOne, "same", T).signer(key.signer()).add(List.of(p));
        }
        for (String file : List.of("same.db.tar.gz", "same.files.tar.gz", "same.db.tar.gz.sig", "same.files.tar.gz.sig")) {
            byte[] expected = Files.readAllBytes(batch.resolve(file));
            assertThat(Files.readAllBytes(again.resolve(file))).as(file).isEqualTo(expected);
            assertThat(Files.readAllBytes(oneByOne.resolve(file))).as(file).isEqualTo(expected);
        }
        assertThat(Files.readSymbolicLink(batch.resolve("same.db.sig"))).isEqualTo(Path.of("same.db.tar.gz.sig"));

        // a different timestamp is a different database
        Path later = tmp.resolve("later");
        new RepoWriter(later, "same", T + 1).add(all);
        assertThat(Files.readAllBytes(later.resolve("same.db.tar.gz")))
                .isNotEqualTo(Files.readAllBytes(batch.resolve("same.db.tar.gz")));
        try (TarArchiveInputStream tar = tar(batch.resolve("same.db.tar.gz"))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                assertThat(e.getModTime().getTime()).isEqualTo(T * 1000);
                assertThat(e.getLongUserId()).isZero();
                assertThat(e.getLongGroupId()).isZero();
            }
        }
    }

    @Test
    void removeDeletesEntriesByNameLikeRepoRemove() throws IOException {
        Path pkgs = Files.createDirectories(tmp.resolve("pkgs"));
        Path repo = tmp.resolve("repo");
        RepoWriter writer = new RepoWriter(repo, "rm", T);
        writer.add(List.of(RepoPackages.write(RepoPackages.simple("keep", "1-1"), pkgs),
                RepoPackages.write(RepoPackages.simple("drop", "1-1"), pkgs)));

        List<String> warnings = new ArrayList<>();
        RepoWriter.Result result = writer.log(collect(warnings)).remove(List.of("drop", "never-there"));
        assertThat(result.removed()).containsExactly("drop-1-1");
        assertThat(warnings).anyMatch(w -> w.contains("never-there"));
        assertThat(entries(repo.resolve("rm.db.tar.gz"))).containsExactly("keep-1-1/", "keep-1-1/desc");
        assertThat(entries(repo.resolve("rm.files.tar.gz"))).doesNotContain("drop-1-1/files");

        byte[] before = Files.readAllBytes(repo.resolve("rm.db.tar.gz"));
        assertThat(writer.remove(List.of("nothing")).removed()).isEmpty();
        assertThat(Files.readAllBytes(repo.resolve("rm.db.tar.gz"))).isEqualTo(before);

        writer.remove(List.of("keep"));
        assertThat(entries(repo.resolve("rm.db.tar.gz"))).isEmpty();
        PacmanRepo pacman = new PacmanRepo("rm", repo, Files.createDirectories(tmp.resolve("pacman"))).sync();
        assertThat(pacman.list()).isEmpty();

        assertThatThrownBy(() -> new RepoWriter(tmp.resolve("none"), "rm", T).remove(List.of("x")))
                .isInstanceOf(RepoException.class).hasMessageContaining("not found");
    }

    @Test
    void badSignaturesAndBadPackagesLeaveTheDatabaseAsItWas() throws IOException {
        Path pkgs = Files.createDirectories(tmp.resolve("pkgs"));
        Path repo = tmp.resolve("repo");
        RepoWriter writer = new RepoWriter(repo, "safe", T);
        writer.add(List.of(RepoPackages.write(RepoPackages.simple("good", "1-1"), pkgs)));
        Map<String, byte[]> before = snapshot(repo);

        Path armored = RepoPackages.write(RepoPackages.simple("armored", "1-1"), pkgs);
        Files.writeString(Path.of(armored + ".sig"), "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n");
        assertThatThrownBy(() -> writer.add(List.of(armored))).isInstanceOf(RepoException.class)
                .hasMessageContaining("Cannot use armored signatures");

        Path big = RepoPackages.write(RepoPackages.simple("big", "1-1"), pkgs);
        Files.write(Path.of(big + ".sig"), new byte[RepoWriter.MAX_SIGNATURE_SIZE + 1]);
        assertThatThrownBy(() -> writer.add(List.of(big))).isInstanceOf(RepoException.class)
                .hasMessageContaining("Invalid package signature file");

        Path fine = RepoPackages.write(RepoPackages.simple("fine", "1-1"), pkgs);
        Path garbage = Files.writeString(pkgs.resolve("garbage-1-1-x86_64.pkg.tar.zst"), "not a package");
        assertThatThrownBy(() -> writer.add(List.of(fine, garbage))).hasMessageContaining("garbage-1-1-x86_64");

        Path locked = repo.resolve("safe.db.tar.gz.lck");
        Files.writeString(locked, "4242\n");
        assertThatThrownBy(() -> writer.lockTimeout(Duration.ofMillis(300)).add(List.of(fine)))
                .isInstanceOf(RepoException.class).hasMessageContaining("4242");
        Files.delete(locked);

        Map<String, byte[]> after = snapshot(repo);
        assertThat(after).containsOnlyKeys(before.keySet());
        before.forEach((name, bytes) -> assertThat(after.get(name)).as(name).isEqualTo(bytes));

        Path notADb = Files.createDirectories(tmp.resolve("not-a-db"));
        Files.writeString(notADb.resolve("x.db.tar.gz"), "text");
        assertThatThrownBy(() -> new RepoWriter(notADb, "x", T).add(List.of(fine))).isInstanceOf(RepoException.class)
                .hasMessageContaining("x.db.tar.gz");
        assertThatThrownBy(() -> new RepoWriter(notADb, "local", T)).hasMessageContaining("reserved");
    }

    @Test
    void signaturesFollowThePackageAndTheDatabase() throws IOException {
        Path pkgs = Files.createDirectories(tmp.resolve("pkgs"));
        Path repo = tmp.resolve("repo");
        Path pkg = RepoPackages.write(RepoPackages.simple("signed", "1-1"), pkgs);
        key.signer().signDetached(pkg, Path.of(pkg + ".sig"), null);

        new RepoWriter(repo, "sig", T).signer(key.signer()).add(List.of(pkg));
        assertThat(repo.resolve(pkg.getFileName() + ".sig")).hasSameBinaryContentAs(Path.of(pkg + ".sig"));
        assertThat(desc(repo.resolve("sig.db.tar.gz"), "signed-1-1")).contains("%PGPSIG%\n");
        for (String db : List.of("sig.db", "sig.files")) {
            Tools.run(repo, key.env(), List.of("gpg", "--batch", "--verify", db + ".sig", db)).ok("gpg --verify " + db);
        }

        // the package rebuilt without a signature: the stale .sig goes, and so does the database's
        Files.delete(Path.of(pkg + ".sig"));
        List<String> warnings = new ArrayList<>();
        new RepoWriter(repo, "sig", T).log(collect(warnings)).add(List.of(pkg));
        assertThat(repo.resolve(pkg.getFileName() + ".sig")).doesNotExist();
        assertThat(desc(repo.resolve("sig.db.tar.gz"), "signed-1-1")).doesNotContain("%PGPSIG%");
        assertThat(repo.resolve("sig.db.tar.gz.sig")).doesNotExist();
        assertThat(Files.exists(repo.resolve("sig.db.sig"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(repo.resolve("sig.db.tar.gz.old.sig")).exists();
        assertThat(warnings).anyMatch(w -> w.contains("sig.db.tar.gz.sig"));
    }

    @Test
    void pkginfoValuesAreReadAsRepoAddsBashReadsThem() {
        Tools.require("bash");
        List<String> lines = List.of("pkgdesc = plain", "pkgdesc = word=", "pkgdesc = =lead", "pkgdesc = a = b",
                "pkgdesc =  many   spaces  ", "pkgdesc = tab\tinside", "pkgdesc=nospace", "pkgdesc = ",
                "pkgdesc = two words=", "pkgdesc = x==", "  pkgdesc = indented", "pkgdesc = == ", "url = a=b=c");
        StringBuilder script = new StringBuilder("shopt -s extglob\n");
        for (String line : lines) {
            script.append("IFS=' =' read -r var val < <(printf '%s\\n' '").append(line.replace("'", "'\\''"))
                    .append("'); printf '%s|%s\\n' \"$var\" \"${val//+([[:space:]])/ }\"\n");
        }
        List<String> bash = Tools.run(tmp, "bash", "-c", script.toString()).ok("bash").text().lines().toList();
        List<String> ours = lines.stream().map(l -> {
            String[] kv = RepoWriter.bashRead(l);
            return kv[0] + "|" + kv[1].replaceAll("[ \\t]+", " ");
        }).toList();
        assertThat(ours).isEqualTo(bash);
        assertThat(RepoWriter.stripVersion("gen-00-tools-1:0.0a-1")).isEqualTo("gen-00-tools");
    }

    // ------------------------------------------------------------------ helpers

    private static Log collect(List<String> warnings) {
        return new Log() {
            @Override
            public void info(String message) {
            }

            @Override
            public void warn(String message) {
                warnings.add(message);
            }
        };
    }

    private static TarArchiveInputStream tar(Path file) throws IOException {
        InputStream in = dev.archcore.util.Compressed.open(Files.newInputStream(file));
        return new TarArchiveInputStream(in, "UTF-8");
    }

    private static List<String> entries(Path db) throws IOException {
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream tar = tar(db)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        return names;
    }

    private static String desc(Path db, String entry) throws IOException {
        try (TarArchiveInputStream tar = tar(db)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                if (e.getName().equals(entry + "/desc")) {
                    return new String(tar.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        }
        throw new AssertionError("no " + entry + "/desc in " + db);
    }

    private static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> files = new java.util.TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                files.put(p.getFileName().toString(), Files.isSymbolicLink(p)
                        ? Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8) : Files.readAllBytes(p));
            }
        }
        return files;
    }
}
