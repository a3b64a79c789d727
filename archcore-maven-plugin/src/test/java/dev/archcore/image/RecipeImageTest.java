package dev.archcore.image;

import dev.archcore.testing.DockerDaemon;
import dev.archcore.testing.Fixtures;
import dev.archcore.testing.PacmanKeys;
import dev.archcore.testing.TestKeys;
import dev.archcore.testing.TestPackages;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.archcore.testing.TestPackages.dirs;
import static dev.archcore.testing.TestPackages.file;
import static dev.archcore.testing.TestPackages.symlink;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The base and builder recipes on a synthetic base closure (a filesystem package with sysusers.d, os-release and
 * host files, a ca-certificates-like trust source, a keyring package from the test keys, busybox, and the host's
 * pacman with its libraries), judged by umoci, gpg, openssl, pacman and dockerd.
 */
class RecipeImageTest {
    private static final long TIME = Fixtures.EPOCH;
    private static final byte[] SEED = "recipe test seed of enough bytes".getBytes();

    @TempDir
    static Path tmp;
    static List<Path> packages = new ArrayList<>();
    static Path rootfs;

    @BeforeAll
    static void closure() throws IOException {
        Tools.require("umoci", "openssl", "gpg", "pacman", "repo-add");
        Path out = tmp.resolve("pkgs");
        Path fs = tmp.resolve("src-filesystem");
        dirs(fs, "etc", "usr/bin", "usr/lib", "usr/lib64", "var/cache/pacman/pkg", "var/lib", "root", "home");
        symlink(fs, "bin", "usr/bin");
        symlink(fs, "lib", "usr/lib");
        symlink(fs, "lib64", "usr/lib64");
        file(fs, "usr/lib/os-release", "NAME=\"Arch Linux\"\nID=arch\n", "rw-r--r--");
        file(fs, "usr/lib/sysusers.d/arch.conf", "u root 0 \"Super User\" /root /bin/sh\nu nobody 65534:65534 \"Nobody\" -\n",
                "rw-r--r--");
        // what a container engine owns and a package cache must not carry
        file(fs, "etc/machine-id", "0123456789abcdef0123456789abcdef\n", "r--r--r--");
        file(fs, "etc/hostname", "buildhost\n", "rw-r--r--");
        file(fs, "etc/resolv.conf", "nameserver 10.0.0.1\n", "rw-r--r--");
        file(fs, "var/cache/pacman/pkg/left-over-1-1-any.pkg.tar.zst", "stale\n", "rw-r--r--");
        packages.add(TestPackages.write(TestPackages.Spec.of("filesystem", "2026.01.01-1"), fs, out, TIME));

        Path bb = Files.createDirectories(tmp.resolve("src-busybox/usr/bin"));
        Files.copy(Path.of("/bin/busybox"), bb.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "id", "ls", "grep")) {
            symlink(bb.getParent().getParent(), "usr/bin/" + applet, "busybox");
        }
        packages.add(TestPackages.write(TestPackages.Spec.of("busybox", "1.36-1").depends("filesystem"),
                bb.getParent().getParent(), out, TIME));

        packages.add(pacmanPackage(out));
        packages.add(caCertificates(out));

        Path kr = tmp.resolve("src-keyring");
        Path keyrings = Files.createDirectories(kr.resolve("usr/share/pacman/keyrings"));
        try (Stream<Path> files = Files.list(TestKeys.get().keyringDir())) {
            for (Path f : files.toList()) {
                Files.copy(f, keyrings.resolve(f.getFileName()));
            }
        }
        packages.add(TestPackages.write(TestPackages.Spec.of("archcore-test-keyring", "20260101-1").arch("any"), kr, out, TIME));

        Path layout = tmp.resolve("base/oci");
        build(Recipe.base(SEED), "base", layout, null);
        Tools.run(tmp, "umoci", "unpack", "--image", layout + ":1", tmp.resolve("base/bundle").toString()).ok("umoci unpack");
        rootfs = tmp.resolve("base/bundle/rootfs");
    }

    @AfterAll
    static void stopGpg() {
        if (rootfs != null) {
            PacmanKeys.stopAgents(rootfs.resolve("etc/pacman.d/gnupg"));
        }
    }

    /** The host's pacman with the shared libraries it loads, at their real paths: pacman -Q runs in the image. */
    private static Path pacmanPackage(Path out) throws IOException {
        Path src = tmp.resolve("src-pacman");
        Path pacman = Tools.which("pacman").toRealPath();
        copy(pacman, src);
        for (String line : Tools.run(tmp, "ldd", pacman.toString()).ok("ldd pacman").text().split("\n")) {
            String l = line.strip();
            String lib = l.contains("=> /") ? l.substring(l.indexOf("=> ") + 3, l.lastIndexOf(" (")) : l.startsWith("/")
                    ? l.substring(0, l.lastIndexOf(" (")) : null;
            if (lib != null) {
                Path real = Path.of(lib).toRealPath();
                copy(real, src);
                // the path the binary asks for (/lib64/ld-linux..., /lib/x86_64-linux-gnu/...) as the image has it,
                // where /lib and /lib64 are links into /usr
                String asked = lib.replaceFirst("^/(lib|lib64)/", "/usr/$1/");
                Path at = src.resolve(asked.substring(1));
                if (!asked.equals(real.toString()) && !Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(at.getParent());
                    Files.createSymbolicLink(at, Path.of(asked).getParent().relativize(real));
                }
            }
        }
        file(src, "etc/pacman.conf", "[options]\nArchitecture = auto\n", "rw-r--r--");
        file(src, "etc/makepkg.conf", "#\n# /etc/makepkg.conf\n#\nCARCH=\"x86_64\"\nPKGEXT='.pkg.tar.gz'\n", "rw-r--r--");
        return TestPackages.write(TestPackages.Spec.of("pacman", "6.0.2-1").depends("filesystem")
                .backup("etc/pacman.conf", "etc/makepkg.conf"), src, out, TIME);
    }

    private static void copy(Path real, Path root) throws IOException {
        Path to = root.resolve(real.toString().substring(1));
        Files.createDirectories(to.getParent());
        if (!Files.exists(to)) {
            Files.copy(real, to);
        }
    }

    /** A trusted anchor, and a p11-kit object that is distrusted: only the first may reach the bundle. */
    private static Path caCertificates(Path out) throws IOException {
        Path src = tmp.resolve("src-ca");
        Path anchors = Files.createDirectories(src.resolve("usr/share/ca-certificates/trust-source/anchors"));
        for (String ca : List.of("trusted-ca", "distrusted-ca")) {
            Tools.run(tmp, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", tmp.resolve(ca + ".key").toString(), "-out", tmp.resolve(ca + ".pem").toString(),
                    "-subj", "/CN=" + ca, "-days", "30").ok("openssl req " + ca);
            Tools.run(tmp, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", tmp.resolve(ca + "-leaf.key").toString(), "-out", tmp.resolve(ca + "-leaf.csr").toString(),
                    "-subj", "/CN=leaf of " + ca).ok("openssl req leaf");
            Tools.run(tmp, "openssl", "x509", "-req", "-in", tmp.resolve(ca + "-leaf.csr").toString(), "-CA",
                    tmp.resolve(ca + ".pem").toString(), "-CAkey", tmp.resolve(ca + ".key").toString(),
                    "-CAcreateserial", "-days", "30", "-out", tmp.resolve(ca + "-leaf.pem").toString()).ok("openssl x509");
        }
        Files.copy(tmp.resolve("trusted-ca.pem"), anchors.resolve("trusted-ca.crt"));
        Files.writeString(src.resolve("usr/share/ca-certificates/trust-source/distrusted.p11-kit"),
                "[p11-kit-object-v1]\nlabel: \"distrusted-ca\"\nclass: certificate\ntrusted: false\nx-distrusted: true\n"
                        + Files.readString(tmp.resolve("distrusted-ca.pem")));
        symlink(src, "etc/ssl/certs/ca-certificates.crt", "../../ca-certificates/extracted/tls-ca-bundle.pem");
        return TestPackages.write(TestPackages.Spec.of("ca-certificates-utils", "20240618-1").arch("any"), src, out, TIME);
    }

    static ImageResult build(Recipe recipe, String tag, Path layout, Path archive) {
        List<ImagePackage> list = packages.stream().map(ImagePackage::dependency).toList();
        ImageConfig config = recipe.kind() == Recipe.Kind.BUILDER
                ? new ImageConfig(null, List.of("/bin/sh"), null, RecipeFiles.BUILD_USER, "/" + RecipeFiles.BUILD_HOME,
                null, null, null, null, null)
                : new ImageConfig(null, List.of("/bin/sh"), null, null, null, null, null, null, null, null);
        return ImageBuilder.build(new ImageRequest(list, List.of(), config, TIME, "archcore/" + recipe, tag.equals("base") ? "1" : tag,
                layout, archive, null, null, tmp.resolve("cache"), Layering.DEFAULT, 6, Log.NONE, recipe));
    }

    @Test
    void baseHasArchsFilesAndNoHostFiles() throws IOException {
        assertThat(Files.readSymbolicLink(rootfs.resolve("etc/os-release"))).hasToString("../usr/lib/os-release");
        assertThat(Files.readString(rootfs.resolve("etc/os-release"))).contains("ID=arch");
        List<String> shadow = Files.readAllLines(rootfs.resolve("etc/shadow"));
        assertThat(shadow.get(0)).startsWith("root:!:");
        assertThat(Files.readString(rootfs.resolve("etc/passwd"))).contains("nobody:x:65534:65534");
        for (String hostFile : List.of("etc/machine-id", "etc/hostname", "etc/resolv.conf")) {
            assertThat(rootfs.resolve(hostFile)).doesNotExist();
        }
        assertThat(rootfs.resolve("var/cache/pacman/pkg")).isEmptyDirectory();
        assertThat(rootfs.resolve("var/lib/pacman/sync")).isEmptyDirectory();
    }

    @Test
    void baseTrustsTheAnchorsOfTheTrustSourceOnly() {
        Path bundle = rootfs.resolve("etc/ssl/certs/ca-certificates.crt");
        Tools.run(tmp, "openssl", "verify", "-CAfile", bundle.toString(), tmp.resolve("trusted-ca-leaf.pem").toString())
                .ok("openssl verify against the image's bundle");
        assertThat(Tools.run(tmp, "openssl", "verify", "-CAfile", bundle.toString(),
                tmp.resolve("distrusted-ca-leaf.pem").toString()).exitCode()).isNotZero();
    }

    @Test
    void baseKeyringLetsPacmanSyncAndVerify() throws IOException {
        TestKeys keys = TestKeys.get();
        Path gnupg = rootfs.resolve("etc/pacman.d/gnupg");
        assertThat(gnupg.resolve("private-keys-v1.d")).doesNotExist();
        Map<String, String> validity = PacmanKeys.validity(gnupg);
        assertThat(validity).containsEntry(keys.packager, "f").containsEntry(keys.marginal, "m");

        // a signed repository, synced and installed from with the image's keyring: what pacman -Syu inside does
        Path repo = Files.createDirectories(tmp.resolve("signed-repo"));
        Set<Path> pkgs = new LinkedHashSet<>();
        for (String signer : List.of("good", "weak")) {
            Path pkg = TestPackages.write(repo, "update-" + signer, "2.0-1", 512);
            Files.write(pkg.resolveSibling(pkg.getFileName() + ".sig"),
                    keys.sign(signer.equals("good") ? keys.packager : keys.marginal, pkg));
            pkgs.add(pkg);
        }
        List<String> add = new ArrayList<>(List.of("repo-add", repo.resolve("updates.db.tar.gz").toString()));
        pkgs.forEach(p -> add.add(p.toString()));
        Tools.run(repo, add.toArray(String[]::new)).ok("repo-add");
        Path conf = tmp.resolve("sync.conf");
        Files.writeString(conf, "[options]\nArchitecture = auto\nSigLevel = Required DatabaseOptional\n"
                + "[updates]\nServer = file://" + repo + "\n");
        List<String> pacman = List.of("pacman", "--root", rootfs.toString(), "--dbpath", rootfs.resolve("var/lib/pacman").toString(),
                "--cachedir", rootfs.resolve("var/cache/pacman/pkg").toString(), "--gpgdir", gnupg.toString(),
                "--config", conf.toString(), "--noconfirm", "--noprogressbar", "--noscriptlet");
        List<String> good = new ArrayList<>(pacman);
        good.addAll(List.of("-Syu", "update-good"));
        Tools.run(tmp, Map.of(), Tools.asRoot(good.toArray(String[]::new))).ok("pacman -Syu update-good");
        List<String> weak = new ArrayList<>(pacman);
        weak.addAll(List.of("-S", "update-weak"));
        Tools.Output refused = Tools.run(tmp, Map.of(), Tools.asRoot(weak.toArray(String[]::new)));
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.text()).contains("update-weak");
        String query = Tools.run(tmp, "pacman", "--root", rootfs.toString(), "--dbpath",
                rootfs.resolve("var/lib/pacman").toString(), "--config", conf.toString(), "-Q").ok("pacman -Q").text();
        assertThat(query).contains("update-good 2.0-1", "archcore-test-keyring 20260101-1").doesNotContain("update-weak");
    }

    @Test
    void sameInputsGiveTheSameDigest() {
        ImageResult a = build(Recipe.base(SEED), "again", null, null);
        ImageResult b = build(Recipe.base(SEED), "again", null, null);
        assertThat(a.manifestDigest()).isEqualTo(b.manifestDigest());
    }

    @Test
    void baseWithoutAKeyringPackageIsRefusedWithWhatToAdd() {
        List<ImagePackage> noKeyring = packages.stream().filter(p -> !p.getFileName().toString().contains("keyring"))
                .map(ImagePackage::dependency).toList();
        assertThatThrownBy(() -> ImageBuilder.build(new ImageRequest(noKeyring, List.of(), null, TIME, "archcore/base", "x",
                null, null, null, null, null, Layering.DEFAULT, 6, Log.NONE, Recipe.base(SEED))))
                .isInstanceOf(ImageBuildException.class).hasMessageContaining("archlinux-keyring");
    }

    @Test
    void builderRunsAsItsUserWithMakepkgConfAndItsPackages() throws IOException {
        Path archive = tmp.resolve("builder/image.tar");
        ImageResult result = build(Recipe.builder(SEED), "builder", null, archive);
        DockerDaemon docker = DockerDaemon.get();
        docker.docker("load", "-i", archive.toString()).ok("docker load");
        String image = result.reference();
        String id = docker.docker("run", "--rm", "--network", "none", image, "/bin/sh", "-c", "id -un; id -u; pwd; ls -ld /home/builder")
                .ok("docker run id").text();
        assertThat(id.lines().toList()).startsWith("builder", "1000", "/home/builder");
        assertThat(id).contains("builder  builder");
        String conf = docker.docker("run", "--rm", "--network", "none", image, "cat", "/etc/makepkg.conf").ok("cat makepkg.conf").text();
        assertThat(conf).contains("CARCH=\"x86_64\"", "PKGDEST=/home/builder/packages", "BUILDDIR=/home/builder/build");
        String query = docker.docker("run", "--rm", "--network", "none", image, "pacman", "-Q").ok("pacman -Q inside").text();
        assertThat(query.lines().toList()).containsExactlyInAnyOrder("archcore-test-keyring 20260101-1", "busybox 1.36-1",
                "ca-certificates-utils 20240618-1", "filesystem 2026.01.01-1", "pacman 6.0.2-1");
        docker.docker("rmi", image);
    }
}
