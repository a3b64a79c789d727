package dev.archcore.repo;

import dev.archcore.testing.PacmanKeys;
import dev.archcore.testing.TestKeys;
import dev.archcore.testing.TestPackages;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * pacman itself as the judge of our signature decisions: the test keyring is populated into a gpg keyring
 * with the real pacman-key, then {@code pacman -U} with {@code LocalFileSigLevel = Required} (and
 * {@code Required TrustAll}) installs exactly the packages that {@link Keyring} accepts.
 */
class PacmanSignatureParityTest {

    @TempDir
    static Path work;

    private static Path gpgdir;

    @AfterAll
    static void stopAgents() throws IOException {
        if (gpgdir != null) {
            PacmanKeys.stopAgents(gpgdir);
            try (java.util.stream.Stream<Path> files = Files.walk(gpgdir.getParent())) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void pacmanAcceptsExactlyWhatOurKeyringAccepts() throws IOException {
        Tools.require("pacman", "pacman-key", "gpg");
        TestKeys keys = TestKeys.get();
        Keyring keyring = Keyring.pacman(keys.keyringDir(), TestKeys.KEYRING);
        // short path: gpg-agent's socket must fit
        Path base = Files.createTempDirectory(Path.of("/tmp"), "acpar",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        gpgdir = PacmanKeys.populate(base.resolve("pg"), keys.keyringDir(), TestKeys.KEYRING);

        Map<String, Path> packages = new LinkedHashMap<>();
        Map<String, byte[]> signatures = new LinkedHashMap<>();
        for (String signer : List.of("packager", "master", "marginal", "stranger", "disabled", "expired-signed-in-time",
                "unsigned", "tampered")) {
            Path pkg = TestPackages.write(work.resolve(signer), "parity-" + signer, "1.0-1", 2048);
            packages.put(signer, pkg);
            byte[] sig = switch (signer) {
                case "packager" -> keys.sign(keys.packager, pkg);
                case "master" -> keys.sign(keys.master1, pkg);
                case "marginal" -> keys.sign(keys.marginal, pkg);
                case "stranger" -> keys.sign(keys.stranger, pkg);
                case "disabled" -> keys.sign(keys.disabled, pkg);
                case "expired-signed-in-time" -> keys.signBeforeExpiry(pkg);
                case "tampered" -> keys.sign(keys.packager, packages.get("packager"));
                default -> null;
            };
            Path sigFile = pkg.resolveSibling(pkg.getFileName() + ".sig");
            Files.deleteIfExists(sigFile);
            if (sig != null) {
                Files.write(sigFile, sig);
            }
            signatures.put(signer, sig);
        }

        for (boolean trustAll : new boolean[]{false, true}) {
            Map<String, Boolean> pacman = new LinkedHashMap<>();
            Map<String, Boolean> ours = new LinkedHashMap<>();
            for (var e : packages.entrySet()) {
                pacman.put(e.getKey(), pacmanInstalls(e.getValue(), trustAll));
                byte[] sig = signatures.get(e.getKey());
                ours.put(e.getKey(), sig != null && keyring.verify(e.getValue(), sig).accepted(trustAll));
            }
            System.out.println("LocalFileSigLevel Required" + (trustAll ? " TrustAll" : "") + ": pacman " + pacman
                    + ", archcore " + ours);
            assertThat(ours).as("TrustAll=%s", trustAll).isEqualTo(pacman);
            assertThat(pacman.get("packager")).isTrue();
            assertThat(pacman.get("unsigned")).isFalse();
            assertThat(pacman.get("marginal")).isEqualTo(trustAll);
        }
    }

    private static boolean pacmanInstalls(Path pkg, boolean trustAll) throws IOException {
        Path root = Files.createDirectories(pkg.resolveSibling("root-" + trustAll));
        Files.createDirectories(root.resolve("var/lib/pacman"));
        Path conf = pkg.resolveSibling("pacman-" + trustAll + ".conf");
        Files.writeString(conf, "[options]\nArchitecture = auto\nGPGDir = " + gpgdir + "\nSigLevel = Required\n"
                + "LocalFileSigLevel = Required" + (trustAll ? " TrustAll" : "") + "\n");
        Tools.Output out = Tools.run(root, Map.of(), Tools.asRoot("pacman", "--root", root.toString(), "--dbpath",
                root.resolve("var/lib/pacman").toString(), "--cachedir", root.resolve("cache").toString(),
                "--config", conf.toString(), "--noconfirm", "--noprogressbar", "--noscriptlet", "-U", pkg.toString()));
        return out.exitCode() == 0;
    }
}
