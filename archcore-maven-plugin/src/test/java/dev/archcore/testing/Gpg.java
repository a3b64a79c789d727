package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The real gpg in a scratch home: makes test keys, certifications, revocations and detached signatures. */
public final class Gpg {
    private final Path home;

    public Gpg(Path home) {
        Tools.require("gpg");
        this.home = home;
        try {
            Files.createDirectories(home);
            Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path home() {
        return home;
    }

    /** An ed25519 signing key; {@code expire} as gpg takes it ("never", "1d", ...); returns its fingerprint. */
    public String generate(String userId, String expire, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("gpg", "--batch", "--passphrase", ""));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("--quick-gen-key", userId, "ed25519", "sign", expire));
        run(cmd).ok("gpg --quick-gen-key " + userId);
        String colons = run(List.of("gpg", "--with-colons", "--list-keys", userId)).ok("gpg --list-keys").text();
        for (String line : colons.split("\n")) {
            if (line.startsWith("fpr:")) {
                return line.split(":")[9];
            }
        }
        throw new AssertionError("no fingerprint for " + userId + ":\n" + colons);
    }

    /** An exportable certification of {@code target}'s user ids by {@code signer}. */
    public void certify(String signer, String target) {
        run(List.of("gpg", "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", "-u", signer,
                "--quick-sign-key", target)).ok("gpg --quick-sign-key " + target + " by " + signer);
    }

    /** Revokes the key with the revocation certificate gpg wrote when it made the key. */
    public void revoke(String fingerprint) {
        try {
            Path cert = home.resolve("openpgp-revocs.d/" + fingerprint + ".rev");
            String text = Files.readString(cert).replace(":-----BEGIN", "-----BEGIN");
            Path fixed = home.resolve(fingerprint + ".rev.asc");
            Files.writeString(fixed, text);
            run(List.of("gpg", "--batch", "--import", fixed.toString())).ok("gpg --import revocation");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path exportPublic(Path out, boolean armor, String... fingerprints) {
        List<String> cmd = new ArrayList<>(List.of("gpg", "--batch", "--output", out.toString()));
        if (armor) {
            cmd.add("--armor");
        }
        cmd.add("--export");
        cmd.addAll(List.of(fingerprints));
        run(cmd).ok("gpg --export");
        return out;
    }

    public Path exportSecret(Path out, String fingerprint) {
        run(List.of("gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--output", out.toString(),
                "--export-secret-keys", fingerprint)).ok("gpg --export-secret-keys");
        return out;
    }

    /** {@code gpg --detach-sign --no-armor}: writes and returns {@code file.sig}. */
    public Path sign(String fingerprint, Path file, String... extra) {
        Path sig = file.resolveSibling(file.getFileName() + ".sig");
        List<String> cmd = new ArrayList<>(List.of("gpg", "--batch", "--yes", "--pinentry-mode", "loopback",
                "--passphrase", ""));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("-u", fingerprint, "--output", sig.toString(), "--detach-sign", "--no-armor",
                file.toString()));
        run(cmd).ok("gpg --detach-sign " + file);
        return sig;
    }

    public Tools.Output run(List<String> command) {
        return Tools.run(home, Map.of("GNUPGHOME", home.toString()), command);
    }
}
