package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real {@code pacman-key}: builds a pacman gpg keyring from a pacman keyring directory with
 * {@code --populate}. pacman-key reads keyrings from a fixed directory only, so a copy of the script with that
 * directory replaced runs on the test's keyring files (the rest of the script is unchanged).
 */
public final class PacmanKeys {
    private PacmanKeys() {
    }

    /** {@code pacman-key --init} then {@code --populate NAME} from {@code keyringDir}; returns the gpgdir. */
    public static Path populate(Path gpgdir, Path keyringDir, String name) {
        Tools.require("pacman-key", "gpg");
        try {
            String script = Files.readString(Tools.which("pacman-key"));
            java.util.regex.Pattern line = java.util.regex.Pattern.compile("KEYRING_IMPORT_DIR='[^']*'");
            String patched = line.matcher(script).replaceAll(java.util.regex.Matcher.quoteReplacement(
                    "KEYRING_IMPORT_DIR='" + keyringDir.toAbsolutePath() + "'"));
            if (!line.matcher(script).find()) {
                throw new AssertionError("pacman-key has no KEYRING_IMPORT_DIR line to point at " + keyringDir);
            }
            Path copy = gpgdir.resolveSibling(gpgdir.getFileName() + "-pacman-key");
            Files.writeString(copy, patched);
            Path dir = gpgdir.getParent();
            Tools.run(dir, "bash", copy.toString(), "--gpgdir", gpgdir.toString(), "--init").ok("pacman-key --init");
            // no keyserver: an unknown key must never be looked up over the network
            Files.writeString(gpgdir.resolve("dirmngr.conf"), "keyserver hkp://127.0.0.1:1\n");
            Tools.run(dir, "bash", copy.toString(), "--gpgdir", gpgdir.toString(), "--populate", name)
                    .ok("pacman-key --populate " + name);
            return gpgdir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** gpg's view of each primary key: fingerprint to validity letter, plus "D" when disabled. */
    public static Map<String, String> validity(Path gpgdir) {
        String colons = Tools.run(gpgdir.getParent(), Map.of(), List.of("gpg", "--homedir", gpgdir.toString(),
                "--with-colons", "--list-keys")).ok("gpg --list-keys").text();
        Map<String, String> result = new LinkedHashMap<>();
        String[] pub = null;
        for (String line : colons.split("\n")) {
            String[] f = line.split(":", -1);
            if (f[0].equals("pub")) {
                pub = f;
            } else if (f[0].equals("fpr") && pub != null) {
                result.put(f[9], pub[1] + (pub[11].contains("D") ? "D" : ""));
                pub = null;
            }
        }
        return result;
    }

    /** Stops the gpg-agent and dirmngr that gpg started for this home. */
    public static void stopAgents(Path gpgHome) {
        Tools.run(gpgHome.getParent(), Map.of("GNUPGHOME", gpgHome.toString()),
                List.of("gpgconf", "--kill", "all"));
    }
}
