package dev.archcore.image;

import dev.archcore.testing.PacmanKeys;
import dev.archcore.testing.TestKeys;
import dev.archcore.testing.TestPackages;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The keyring archcore writes into base images, judged by the real gpg and pacman: every key gets the validity
 * (and disabled flag) that {@code pacman-key --init; pacman-key --populate} gives it, for the test keyring and
 * for the real Arch Linux keyring, and pacman installs exactly the packages it should with it.
 */
class ImageKeyringTest {
    private static final byte[] SEED = "a test seed, 32 bytes or so long".getBytes();
    private static final long TIME = 1_790_000_000L;
    private static Path scratch;
    private static final List<Path> homes = new ArrayList<>();

    @BeforeAll
    static void scratch() throws IOException {
        // short path: gpg-agent's socket must fit
        scratch = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "acik",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    @AfterAll
    static void clean() throws IOException {
        homes.forEach(PacmanKeys::stopAgents);
        try (Stream<Path> files = Files.walk(scratch)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void testKeyringHasTheValidityPacmanKeyGivesIt() throws IOException {
        Tools.require("gpg", "pacman-key");
        TestKeys keys = TestKeys.get();
        Path ours = write("test-ours", sources(keys.keyringDir()), SEED);
        Path theirs = home("test-theirs");
        PacmanKeys.populate(theirs, keys.keyringDir(), TestKeys.KEYRING);

        Map<String, String> mine = PacmanKeys.validity(ours);
        Map<String, String> pacmanKey = PacmanKeys.validity(theirs);
        System.out.println("archcore " + mine + "\npacman-key " + pacmanKey);
        assertThat(withoutMaster(mine)).isEqualTo(withoutMaster(pacmanKey));
        assertThat(mine.get(keys.packager)).isEqualTo("f");
        assertThat(mine.get(keys.marginal)).isEqualTo("m");
        assertThat(mine.get(keys.disabled)).endsWith("D");
        assertThat(mine.get(keys.master1)).isEqualTo("f");
        assertThat(mine.values()).containsOnlyOnce("u");
    }

    @Test
    void archLinuxKeyringHasTheValidityPacmanKeyGivesIt() throws IOException {
        Tools.require("gpg", "pacman-key");
        Path system = Path.of("/usr/share/keyrings");
        assertThat(system.resolve("archlinux.gpg")).as("archlinux-keyring (scripts/setup)").exists();
        Path dir = Files.createDirectories(scratch.resolve("arch-keyrings"));
        for (String f : List.of("archlinux.gpg", "archlinux-trusted", "archlinux-revoked")) {
            Files.copy(system.resolve(f), dir.resolve(f));
        }
        Path ours = write("arch-ours", sources(dir), SEED);
        Path theirs = home("arch-theirs");
        PacmanKeys.populate(theirs, dir, "archlinux");
        Map<String, String> mine = withoutMaster(PacmanKeys.validity(ours));
        Map<String, String> pacmanKey = withoutMaster(PacmanKeys.validity(theirs));
        assertThat(mine).hasSizeGreaterThan(100).isEqualTo(pacmanKey);
        assertThat(mine.values()).contains("f", "m").anyMatch(v -> v.endsWith("D"));
    }

    @Test
    void pacmanVerifiesPackagesWithIt() throws IOException {
        Tools.require("gpg", "pacman");
        TestKeys keys = TestKeys.get();
        Path gpgdir = write("verify", sources(keys.keyringDir()), SEED);
        Map<String, Boolean> installed = new LinkedHashMap<>();
        for (var signer : Map.of("packager", keys.packager, "marginal", keys.marginal, "disabled", keys.disabled,
                "master", keys.master2).entrySet()) {
            Path dir = Files.createDirectories(scratch.resolve("pkg-" + signer.getKey()));
            Path pkg = TestPackages.write(dir, "signed-" + signer.getKey(), "1.0-1", 1024);
            Files.write(pkg.resolveSibling(pkg.getFileName() + ".sig"), keys.sign(signer.getValue(), pkg));
            Path root = Files.createDirectories(dir.resolve("root/var/lib/pacman"));
            Path conf = dir.resolve("pacman.conf");
            Files.writeString(conf, "[options]\nArchitecture = auto\nGPGDir = " + gpgdir
                    + "\nSigLevel = Required\nLocalFileSigLevel = Required\n");
            Tools.Output out = Tools.run(dir, Map.of(), Tools.asRoot("pacman", "--root", dir.resolve("root").toString(),
                    "--dbpath", root.toString(), "--cachedir", dir.resolve("cache").toString(), "--config",
                    conf.toString(), "--noconfirm", "--noprogressbar", "--noscriptlet", "-U", pkg.toString()));
            installed.put(signer.getKey(), out.exitCode() == 0);
        }
        assertThat(installed).containsEntry("packager", true).containsEntry("master", true)
                .containsEntry("marginal", false).containsEntry("disabled", false);
    }

    @Test
    void sameSeedAndTimeGiveTheSameBytesAnotherSeedAnotherMasterKey() {
        List<ImageKeyring.Source> sources = sources(TestKeys.get().keyringDir());
        Map<String, byte[]> a = ImageKeyring.files(sources, TIME, SEED);
        Map<String, byte[]> b = ImageKeyring.files(sources, TIME, SEED);
        Map<String, byte[]> c = ImageKeyring.files(sources, TIME, "another seed, just as long as it".getBytes());
        a.forEach((path, bytes) -> assertThat(b.get(path)).as(path).isEqualTo(bytes));
        assertThat(c.get(ImageKeyring.DIR + "/pubring.gpg")).isNotEqualTo(a.get(ImageKeyring.DIR + "/pubring.gpg"));
        assertThat(new String(a.get(ImageKeyring.DIR + "/pubring.gpg"), java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("PRIVATE");
    }

    @Test
    void badTrustedFileNamesTheFileAndTheLine() {
        List<ImageKeyring.Source> sources = List.of(new ImageKeyring.Source("broken",
                sources(TestKeys.get().keyringDir()).get(0).keys(), "not-a-fingerprint:4:\n", ""));
        assertThatThrownBy(() -> ImageKeyring.files(sources, TIME, SEED)).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("usr/share/pacman/keyrings/broken-trusted").hasMessageContaining("not-a-fingerprint");
    }

    private static Map<String, String> withoutMaster(Map<String, String> validity) {
        Map<String, String> out = new LinkedHashMap<>(validity);
        out.values().removeIf("u"::equals);
        return out;
    }

    static List<ImageKeyring.Source> sources(Path dir) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return ImageKeyring.sources(files);
    }

    private static Path write(String name, List<ImageKeyring.Source> sources, byte[] seed) throws IOException {
        Path home = home(name);
        Files.createDirectories(home);
        ImageKeyring.files(sources, TIME, seed).forEach((path, bytes) -> {
            try {
                Files.write(home.resolve(path.substring(path.lastIndexOf('/') + 1)), bytes);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Files.writeString(home.resolve("dirmngr.conf"), "keyserver hkp://127.0.0.1:1\n");
        return home;
    }

    private static Path home(String name) {
        Path home = scratch.resolve(name);
        homes.add(home);
        return home;
    }
}
