package dev.archcore.pacman;

import dev.archcore.util.Command;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a PKGBUILD as makepkg does: bash sources it (so arrays, expansions and {@code pkgver()} behave exactly as
 * there), then the values are checked with makepkg's lint rules.
 */
public final class PkgbuildReader {
    private static final List<String> ARCH_SPECIFIC = List.of("depends", "makedepends", "checkdepends",
            "optdepends", "provides", "conflicts", "replaces", "source");

    private PkgbuildReader() {
    }

    /**
     * @param srcdir the directory {@code pkgver()} runs in (makepkg's {@code $srcdir})
     * @param carch  the architecture built for ({@code CARCH})
     */
    public static Pkgbuild read(Path pkgbuild, Path srcdir, String carch) {
        Path file = pkgbuild.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new PackageBuildException(file + " does not exist: archcore:pkg builds from a PKGBUILD in the "
                    + "project directory (set <pkgbuild> to use another file).");
        }
        Path startdir = file.getParent();
        checkSyntax(file, startdir);
        Map<String, List<String>> raw = source(file, startdir, srcdir, carch);
        Set<String> functions = new LinkedHashSet<>(raw.getOrDefault("functions", List.of()));
        Map<String, List<String>> variables = new LinkedHashMap<>();
        raw.forEach((name, values) -> {
            if (!name.equals("functions") && !name.startsWith("pkgver_function") && !name.contains("_" + carch)) {
                variables.put(name, values);
            }
        });
        for (String name : ARCH_SPECIFIC) {
            List<String> extra = raw.get(name + "_" + carch);
            if (extra != null) {
                List<String> merged = new ArrayList<>(variables.getOrDefault(name, List.of()));
                merged.addAll(extra);
                variables.put(name, merged);
            }
        }
        if (raw.containsKey("pkgver_function_failed")) {
            throw new PackageBuildException(file + ": pkgver() failed (exit " + raw.get("pkgver_function_failed").get(0)
                    + "); fix the function or remove it to use the pkgver variable.");
        }
        if (raw.containsKey("pkgver_function")) {
            String newVersion = raw.get("pkgver_function").get(0).strip();
            if (!PkgbuildLint.validPkgver(newVersion)) {
                throw new PackageBuildException(file + ": pkgver() printed '" + newVersion + "', which is not a valid "
                        + "pkgver (no colons, slashes, hyphens or whitespace; ASCII only). Make pkgver() print only "
                        + "the version, on stdout.");
            }
            variables.put("pkgver", List.of(newVersion));
        }
        Pkgbuild result = new Pkgbuild(file, sha256(file), startdir, carch, Map.copyOf(variables), Set.copyOf(functions));
        PkgbuildLint.check(result);
        return result;
    }

    private static void checkSyntax(Path file, Path startdir) {
        Command.Result syntax = Command.run(List.of("bash", "-n", file.toString()), startdir, Map.of(), line -> { });
        if (!syntax.ok()) {
            throw new PackageBuildException(file + " has a bash syntax error; fix it (bash -n " + file.getFileName()
                    + " shows the same):\n" + syntax.tailText());
        }
    }

    private static Map<String, List<String>> source(Path file, Path startdir, Path srcdir, String carch) {
        try {
            Path dump = Files.createTempFile("archcore-pkgbuild", ".dump");
            try {
                Command.Result result = Command.run(
                        BashScript.command("pkgbuild-read.sh", startdir.toString(), file.toString(), dump.toString(), carch),
                        startdir, Map.of("ARCHCORE_SRCDIR", srcdir.toString(), "CARCH", carch), line -> { });
                if (!result.ok()) {
                    throw new PackageBuildException("bash could not source " + file + "; fix the commands at its top "
                            + "level (they run whenever the PKGBUILD is read):\n" + result.tailText());
                }
                return parseDump(Files.readAllBytes(dump));
            } finally {
                Files.deleteIfExists(dump);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The dump is {@code name NUL count NUL value NUL ...}, so values may hold any character but NUL. */
    static Map<String, List<String>> parseDump(byte[] dump) {
        List<String> fields = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < dump.length; i++) {
            if (dump[i] == 0) {
                fields.add(new String(dump, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        Map<String, List<String>> variables = new LinkedHashMap<>();
        for (int i = 0; i < fields.size(); ) {
            String name = fields.get(i);
            int count = i + 1 < fields.size() && fields.get(i + 1).matches("[0-9]{1,9}")
                    ? Integer.parseInt(fields.get(i + 1)) : -1;
            if (count < 0 || count > fields.size() - i - 2) {
                // only pkgbuild-read.sh writes the dump: a broken one is archcore's bug, not the PKGBUILD's
                throw new PackageBuildException("archcore could not read back the values of the PKGBUILD (the dump "
                        + "breaks at variable '" + name + "'); please report this with the PKGBUILD.");
            }
            variables.put(name, List.copyOf(fields.subList(i + 2, i + 2 + count)));
            i += 2 + count;
        }
        return variables;
    }

    static String sha256(Path file) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
