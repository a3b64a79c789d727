package dev.archcore.testing;

import dev.archcore.pacman.PackageSigner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A throw-away gpg home with one passphrase-less ed25519 signing key, exported for {@link PackageSigner}
 * (secret) and for pacman-key (public, armored). Its own short directory under /tmp, since gpg-agent's socket
 * path must stay short; {@link #close()} stops the agent and deletes it.
 */
public final class GpgKey implements AutoCloseable {
    private final Path home;
    private final String fingerprint;
    private final Path secretKey;
    private final Path publicKey;

    private GpgKey(Path home, String fingerprint, Path secretKey, Path publicKey) {
        this.home = home;
        this.fingerprint = fingerprint;
        this.secretKey = secretKey;
        this.publicKey = publicKey;
    }

    public static GpgKey create(String uid) {
        Tools.require("gpg", "gpgconf");
        try {
            Path home = Files.createTempDirectory(Path.of("/tmp"), "acg",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            gpg(home, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never");
            String fingerprint = gpg(home, "--with-colons", "--list-secret-keys").text().lines()
                    .filter(l -> l.startsWith("fpr:")).map(l -> l.split(":")[9]).findFirst()
                    .orElseThrow(() -> new AssertionError("gpg made no key in " + home));
            Path secret = home.resolve("secret.gpg");
            Path pub = home.resolve("public.asc");
            gpg(home, "--passphrase", "", "--output", secret.toString(), "--export-secret-keys", fingerprint);
            gpg(home, "--armor", "--output", pub.toString(), "--export", fingerprint);
            return new GpgKey(home, fingerprint, secret, pub);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String fingerprint() {
        return fingerprint;
    }

    /** The long key id, as pacman -Sii lists a package's signatures. */
    public String keyId() {
        return fingerprint.substring(fingerprint.length() - 16);
    }

    public Path secretKey() {
        return secretKey;
    }

    public Path publicKey() {
        return publicKey;
    }

    public Map<String, String> env() {
        return Map.of("GNUPGHOME", home.toString());
    }

    public PackageSigner signer() {
        return PackageSigner.fromSecretKeyring(secretKey, fingerprint, new char[0]);
    }

    /** {@code gpg --detach-sign --no-armor}: the real tool's signature. */
    public void detachSign(Path file) {
        gpg(home, "--local-user", fingerprint, "--output", file + ".sig", "--detach-sign", "--no-armor", file.toString());
    }

    private static Tools.Output gpg(Path home, String... args) {
        List<String> command = new ArrayList<>(List.of("gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback"));
        command.addAll(List.of(args));
        return Tools.run(home, Map.of("GNUPGHOME", home.toString()), command).ok("gpg " + String.join(" ", args));
    }

    /** Makes a pacman keyring in {@code gpgdir} that trusts this key (pacman-key, as test-tools.md shows). */
    public void pacmanKeyring(Path gpgdir) {
        Tools.require("pacman-key");
        Path dir = gpgdir.getParent();
        Tools.run(dir, Map.of(), List.of("pacman-key", "--gpgdir", gpgdir.toString(), "--init")).ok("pacman-key --init");
        try {
            // an unknown key must never send gpg to a keyserver
            Files.writeString(gpgdir.resolve("dirmngr.conf"), "keyserver hkp://127.0.0.1:1\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Tools.run(dir, Map.of(), List.of("pacman-key", "--gpgdir", gpgdir.toString(), "--add", publicKey.toString()))
                .ok("pacman-key --add");
        Tools.run(dir, Map.of(), List.of("pacman-key", "--gpgdir", gpgdir.toString(), "--lsign-key", fingerprint))
                .ok("pacman-key --lsign-key");
    }

    public static void killAgents(Path gnupgHome) {
        Tools.run(gnupgHome, Map.of("GNUPGHOME", gnupgHome.toString()), List.of("gpgconf", "--kill", "all"));
    }

    @Override
    public void close() {
        killAgents(home);
        try (Stream<Path> files = Files.walk(home)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // sockets already gone with the agent; a leftover temp dir is harmless
        }
    }
}
