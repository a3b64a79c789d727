package dev.archcore.repo;

import dev.archcore.pacman.PackageFile;
import dev.archcore.pacman.PackageReader;
import dev.archcore.testing.Fixtures;
import dev.archcore.testing.GpgKey;
import dev.archcore.testing.Pacman;
import dev.archcore.testing.PacmanRepo;
import dev.archcore.testing.RepoPackages;
import dev.archcore.testing.Tools;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Debian's repo-add (pacman 6.0.2) and {@link RepoWriter} on the same ~50 packages (every kind of metadata,
 * every compression, half of them signed, two made by makepkg), judged by Debian's pacman:
 * <ul>
 * <li>repo-add's databases read back with {@link SyncDatabase#read} show every field as {@code pacman -Sii} does;
 * <li>archcore's {@code desc} and {@code files} members are byte for byte repo-add's;
 * <li>pacman lists, shows and installs from archcore's databases exactly as from repo-add's, and with
 *     {@code SigLevel = Required} accepts archcore's signed database and signed packages, refusing a tampered
 *     database signature.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RepoAddParityTest {
    private static final String REPO = "parity";
    private static final long TIMESTAMP = 1_750_000_000L;
    private static final List<String> CLOSURE = List.of("app", "libcore", "provider");

    @TempDir
    static Path work;

    private GpgKey key;
    private Path pacmanGpgDir;
    private final Map<String, PackageFile> packages = new TreeMap<>();
    private final Map<String, String> signedBy = new TreeMap<>();

    /** Signed: packages half signed, databases signed. Unsigned: no signature anywhere. */
    private Path repoAddSigned;
    private Path repoAddUnsigned;
    private Path oursSigned;
    private Path oursUnsigned;

    @BeforeAll
    void build() throws Exception {
        Tools.require("repo-add", "pacman", "pacman-key", "bsdtar", "gpg", "makepkg");
        key = GpgKey.create("Repo Tester <repo@example.invalid>");

        Path pkgs = Files.createDirectories(work.resolve("pkgs"));
        Path unsignedPkgs = Files.createDirectories(work.resolve("pkgs-unsigned"));
        List<Path> written = new ArrayList<>(RepoPackages.writeAll(RepoPackages.catalogue(), pkgs));
        written.add(copyTo(Pacman.makepkg(Fixtures.copy("plain", work.resolve("mk-plain")), Fixtures.EPOCH), pkgs));
        written.add(copyTo(Pacman.makepkg(Fixtures.copy("rich", work.resolve("mk-rich")), Fixtures.EPOCH), pkgs));
        assertThat(written).hasSizeGreaterThanOrEqualTo(50);
        for (int i = 0; i < written.size(); i++) {
            Path pkg = written.get(i);
            copyTo(pkg, unsignedPkgs);
            String name = PackageReader.read(pkg).name();
            if (i == 1) {
                key.detachSign(pkg); // gpg's own signature once
                signedBy.put(name, key.keyId());
            } else if (i % 2 == 0 || CLOSURE.contains(name)) {
                key.signer().signDetached(pkg, Path.of(pkg + ".sig"), Instant.ofEpochSecond(TIMESTAMP));
                signedBy.put(name, key.keyId());
            }
            packages.put(name, PackageReader.read(pkg));
        }

        repoAddSigned = repoAdd(pkgs, "repo-add-signed", true);
        repoAddUnsigned = repoAdd(unsignedPkgs, "repo-add-unsigned", false);
        oursSigned = work.resolve("ours-signed");
        new RepoWriter(oursSigned, REPO, TIMESTAMP).signer(key.signer()).add(sorted(pkgs));
        oursUnsigned = work.resolve("ours-unsigned");
        new RepoWriter(oursUnsigned, REPO, TIMESTAMP).add(sorted(unsignedPkgs));
    }

    @AfterAll
    void stopAgents() {
        if (pacmanGpgDir != null) {
            GpgKey.killAgents(pacmanGpgDir);
            Tools.run(Path.of("/tmp"), "rm", "-rf", pacmanGpgDir.getParent().toString());
        }
        if (key != null) {
            key.close();
        }
    }

    // ------------------------------------------------------------------ reading repo-add's databases

    @Test
    void repoAddDatabasesReadBackAsPacmanShowsThem() {
        for (Path repo : List.of(repoAddSigned, repoAddUnsigned)) {
            SyncDatabase db = SyncDatabase.read(REPO, repo.resolve(REPO + ".db"));
            SyncDatabase files = SyncDatabase.read(REPO, repo.resolve(REPO + ".files"));
            assertThat(db.packages()).hasSize(packages.size());
            PacmanRepo pacman = new PacmanRepo(REPO, repo, dir("pacman-" + repo.getFileName())).sync();
            List<String> names = db.packages().stream().map(RepoPackage::name).toList();
            Map<String, Map<String, String>> shown = pacman.info(names);
            Map<String, String> locations = pacman.locations(names);
            Map<String, List<String>> fileLists = files.packages().stream()
                    .collect(Collectors.toMap(RepoPackage::name, p -> p.values("FILES")));

            for (RepoPackage p : db.packages()) {
                Map<String, String> fields = new LinkedHashMap<>(shown.get(p.name()));
                fields.remove("Required By"); // computed by pacman from the other packages' depends
                fields.remove("Optional For");
                assertThat(fields).as("pacman -Sii %s from %s", p.name(), repo.getFileName())
                        .isEqualTo(asPacmanShows(p, repo == repoAddSigned ? signedBy.get(p.name()) : null));
                assertThat(locations.get(p.name())).isEqualTo(p.version() + "|file://" + repo + "/" + p.filename()
                        + "|" + p.compressedSize());
                assertThat(p.filename()).isEqualTo(packages.get(p.name()).fileName());

                // what pacman 6.0 does not print, against the package itself
                PackageFile pkg = packages.get(p.name());
                assertThat(p.value("BASE")).isEqualTo(pkg.value("pkgbase"));
                assertThat(p.values("MAKEDEPENDS")).isEqualTo(pkg.values("makedepend"));
                assertThat(p.values("CHECKDEPENDS")).isEqualTo(pkg.values("checkdepend"));
                assertThat(fileLists.get(p.name())).isEqualTo(pkg.files());
                // pacman -Fl shows the names as repo-add stored them, bsdtar's escapes included
                assertThat(pacman.files(p.name())).isEqualTo(pkg.files());
            }
        }
    }

    /** One package's -Sii block as pacman 6.0.2 prints it, from the database's sections. */
    private Map<String, String> asPacmanShows(RepoPackage p, String keyId) {
        boolean signed = !p.value("PGPSIG").isEmpty();
        assertThat(signed).as("%s has a %%PGPSIG%%", p.name()).isEqualTo(keyId != null);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("Repository", REPO);
        f.put("Name", p.name());
        f.put("Version", p.version());
        f.put("Description", orNone(p.value("DESC")));
        f.put("Architecture", p.value("ARCH"));
        f.put("URL", orNone(p.value("URL")));
        f.put("Licenses", list(p.values("LICENSE")));
        f.put("Groups", list(p.groups()));
        f.put("Provides", list(p.values("PROVIDES")));
        f.put("Depends On", list(p.values("DEPENDS")));
        f.put("Optional Deps", p.values("OPTDEPENDS").isEmpty() ? "None" : String.join("\n", p.values("OPTDEPENDS")));
        f.put("Conflicts With", list(p.values("CONFLICTS")));
        f.put("Replaces", list(p.values("REPLACES")));
        String download = humanSize(p.compressedSize(), null);
        f.put("Download Size", download);
        // pacman shows the installed size in the download size's unit
        f.put("Installed Size", humanSize(Long.parseLong(p.value("ISIZE")), download.substring(download.indexOf(' ') + 1)));
        f.put("Packager", p.value("PACKAGER"));
        f.put("Build Date", DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US)
                .format(Instant.ofEpochSecond(Long.parseLong(p.value("BUILDDATE"))).atZone(ZoneOffset.UTC)));
        f.put("MD5 Sum", p.value("MD5SUM"));
        f.put("SHA-256 Sum", p.sha256());
        f.put("Signatures", signed ? keyId : "None");
        return f;
    }

    private static String orNone(String v) {
        return v.isEmpty() ? "None" : v;
    }

    private static String list(List<String> values) {
        return values.isEmpty() ? "None" : String.join("  ", values);
    }

    /** pacman's humanize_size: divide by 1024 while above 2048 (or until {@code unit}), two decimals. */
    private static String humanSize(long bytes, String unit) {
        String[] units = {"B", "KiB", "MiB", "GiB"};
        double v = bytes;
        int i = 0;
        while (i < units.length - 1 && (unit != null ? !units[i].equals(unit) : v > 2048.0)) {
            v /= 1024.0;
            i++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[i]);
    }

    // ------------------------------------------------------------------ archcore's databases

    @Test
    void descAndFilesMembersAreByteForByteRepoAdds() {
        for (Path[] pair : List.of(new Path[] {repoAddSigned, oursSigned}, new Path[] {repoAddUnsigned, oursUnsigned})) {
            for (String db : List.of(".db.tar.gz", ".files.tar.gz")) {
                Map<String, String> theirs = members(pair[0].resolve(REPO + db));
                Map<String, String> ours = members(pair[1].resolve(REPO + db));
                assertThat(ours.keySet()).as("%s entries", db).containsExactlyElementsOf(theirs.keySet());
                theirs.forEach((path, text) -> assertThat(ours.get(path)).as("%s in %s", path, db).isEqualTo(text));
            }
        }
    }

    @Test
    void pacmanShowsArchcoresDatabasesAsItShowsRepoAdds() {
        for (Path[] pair : List.of(new Path[] {repoAddSigned, oursSigned}, new Path[] {repoAddUnsigned, oursUnsigned})) {
            PacmanRepo theirs = new PacmanRepo(REPO, pair[0], dir("cmp-" + pair[0].getFileName())).sync();
            PacmanRepo ours = new PacmanRepo(REPO, pair[1], dir("cmp-" + pair[1].getFileName())).sync();

            List<String> expected = packages.values().stream().map(p -> p.name() + " " + p.version()).toList();
            assertThat(ours.list()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(theirs.list()).containsExactlyInAnyOrderElementsOf(expected);

            List<String> names = List.copyOf(packages.keySet());
            Map<String, Map<String, String>> ourInfo = ours.info(names);
            Map<String, Map<String, String>> theirInfo = theirs.info(names);
            for (String name : names) {
                assertThat(ourInfo.get(name)).as("pacman -Sii %s", name).isEqualTo(theirInfo.get(name));
                assertThat(ours.files(name)).as("pacman -Fl %s", name).isEqualTo(theirs.files(name));
            }
            Map<String, String> ourLocations = ours.locations(names);
            theirs.locations(names).forEach((name, location) -> assertThat(ourLocations.get(name))
                    .isEqualTo(location.replace(pair[0].toString(), pair[1].toString())));
        }
    }

    @Test
    void addingToRepoAddsDatabaseKeepsItsEntries() throws IOException {
        Path pkgs = work.resolve("pkgs-unsigned");
        List<Path> all = sorted(pkgs);
        Path partial = Files.createDirectories(work.resolve("partial"));
        for (Path p : all.subList(0, all.size() - 1)) {
            copyTo(p, partial);
        }
        List<String> command = new ArrayList<>(List.of("repo-add", "-q", partial.resolve(REPO + ".db.tar.gz").toString()));
        sorted(partial).forEach(p -> command.add(p.toString()));
        Tools.run(partial, Map.of(), command).ok("repo-add");
        new RepoWriter(partial, REPO, TIMESTAMP).add(List.of(all.get(all.size() - 1)));
        for (String db : List.of(".db.tar.gz", ".files.tar.gz")) {
            assertThat(members(partial.resolve(REPO + db))).isEqualTo(members(oursUnsigned.resolve(REPO + db)));
        }
        // and repo-add adds to archcore's database as to its own
        Path ours = Files.createDirectories(work.resolve("partial-ours"));
        new RepoWriter(ours, REPO, TIMESTAMP).add(all.subList(0, all.size() - 1));
        Tools.run(ours, Map.of(), List.of("repo-add", "-q", ours.resolve(REPO + ".db.tar.gz").toString(),
                all.get(all.size() - 1).toString())).ok("repo-add onto archcore's db");
        assertThat(members(ours.resolve(REPO + ".db.tar.gz")))
                .isEqualTo(members(repoAddUnsigned.resolve(REPO + ".db.tar.gz")));
    }

    @Test
    void pacmanInstallsFromArchcoresDatabase() {
        PacmanRepo pacman = new PacmanRepo(REPO, oursUnsigned, dir("install-unsigned"));
        Path root = work.resolve("root-unsigned");
        pacman.install(root, "app").ok("pacman -Sy app");
        assertThat(pacman.installed(root)).containsExactlyInAnyOrder("app 1:2.0.1-3", "libcore 1.4.2-1", "provider 0.9-2");
        assertThat(root.resolve("usr/bin/app")).hasContent("#!/bin/sh\necho app");
        assertThat(root.resolve("usr/share/provider/thing.txt")).exists();
    }

    @Test
    void signedDatabaseAndPackagesInstallWithSigLevelRequiredAndTamperingIsRefused() throws IOException {
        Path gpgdir = pacmanKeyring();
        PacmanRepo pacman = new PacmanRepo(REPO, oursSigned, dir("install-signed"), "Required", gpgdir);
        Path root = work.resolve("root-signed");
        pacman.install(root, "app").ok("pacman -Sy app with SigLevel = Required");
        assertThat(pacman.installed(root)).hasSize(3);

        // the same packages and database with a corrupted database signature
        Path tampered = copyRepo(oursSigned, "tampered");
        Path sig = tampered.resolve(REPO + ".db.tar.gz.sig");
        byte[] bytes = Files.readAllBytes(sig);
        bytes[bytes.length - 10] ^= 0x55;
        Files.write(sig, bytes);
        Tools.Output refused = new PacmanRepo(REPO, tampered, dir("install-tampered"), "Required", gpgdir)
                .install(work.resolve("root-tampered"), "app");
        assertThat(refused.exitCode()).as(refused.text()).isNotZero();
        assertThat(refused.text()).contains("invalid or corrupted database (PGP signature)");

        // an unsigned database where one is required: pacman wants its .sig
        Tools.Output missing = new PacmanRepo(REPO, oursUnsigned, dir("install-missing"), "Required", gpgdir)
                .install(work.resolve("root-missing"), "app");
        assertThat(missing.exitCode()).as(missing.text()).isNotZero();
        assertThat(missing.text()).contains("failed retrieving file 'parity.db.sig'");

        // a correctly signed database whose %PGPSIG% for libcore is provider's signature
        Path mixed = Files.createDirectories(work.resolve("mixed-sig"));
        for (String name : CLOSURE) {
            PackageFile pkg = packages.get(name);
            copyTo(pkg.file(), mixed);
            copyTo(Path.of(pkg.file() + ".sig"), mixed);
        }
        Files.copy(Path.of(packages.get("provider").file() + ".sig"),
                mixed.resolve(packages.get("libcore").fileName() + ".sig"), StandardCopyOption.REPLACE_EXISTING);
        new RepoWriter(mixed, REPO, TIMESTAMP).signer(key.signer()).add(sorted(mixed));
        Tools.Output badPkg = new PacmanRepo(REPO, mixed, dir("install-mixed"), "Required", gpgdir)
                .install(work.resolve("root-mixed"), "app");
        assertThat(badPkg.exitCode()).as(badPkg.text()).isNotZero();
        assertThat(badPkg.text()).contains("libcore", "invalid or corrupted package (PGP signature)");
    }

    private Path pacmanKeyring() throws IOException {
        if (pacmanGpgDir == null) {
            Path base = Files.createTempDirectory(Path.of("/tmp"), "acpk",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            pacmanGpgDir = base.resolve("gnupg");
            key.pacmanKeyring(pacmanGpgDir);
        }
        return pacmanGpgDir;
    }

    // ------------------------------------------------------------------ helpers

    private Path repoAdd(Path pkgs, String dirName, boolean sign) throws IOException {
        Path repo = Files.createDirectories(work.resolve(dirName));
        for (Path p : sorted(pkgs)) {
            copyTo(p, repo);
            if (Files.exists(Path.of(p + ".sig"))) {
                copyTo(Path.of(p + ".sig"), repo);
            }
        }
        List<String> command = new ArrayList<>(List.of("repo-add", "-q"));
        if (sign) {
            command.addAll(List.of("--sign", "--key", key.fingerprint()));
        }
        command.add(repo.resolve(REPO + ".db.tar.gz").toString());
        sorted(repo).forEach(p -> command.add(p.toString()));
        Tools.run(repo, sign ? key.env() : Map.of(), command).ok("repo-add " + dirName);
        if (sign) {
            assertThat(repo.resolve(REPO + ".db.sig")).exists();
        }
        return repo;
    }

    private static List<Path> sorted(Path dir) {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches(".*\\.pkg\\.tar(\\.(zst|xz|gz))?")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path copyTo(Path file, Path dir) {
        try {
            return Files.copy(file, dir.resolve(file.getFileName().toString()),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A copy of a repository folder: its files, and the links made anew. */
    private Path copyRepo(Path repo, String name) throws IOException {
        Path target = Files.createDirectories(work.resolve(name));
        try (var files = Files.list(repo)) {
            for (Path p : files.toList()) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    copyTo(p, target);
                }
            }
        }
        for (String link : List.of(".db", ".files", ".db.sig", ".files.sig")) {
            String file = REPO + link.replace(".sig", "") + ".tar.gz" + (link.endsWith(".sig") ? ".sig" : "");
            if (Files.exists(target.resolve(file))) {
                Files.createSymbolicLink(target.resolve(REPO + link), Path.of(file));
            }
        }
        return target;
    }

    private Path dir(String name) {
        try {
            return Files.createDirectories(work.resolve("pacman").resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every regular member of a database tarball: path to text. */
    static Map<String, String> members(Path tarball) {
        Map<String, String> out = new TreeMap<>();
        try (InputStream in = dev.archcore.util.Compressed.open(Files.newInputStream(tarball));
             TarArchiveInputStream tar = new TarArchiveInputStream(in, "UTF-8")) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                if (e.isFile()) {
                    out.put(e.getName(), new String(tar.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
