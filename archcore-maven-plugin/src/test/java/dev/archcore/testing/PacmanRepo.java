package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Debian's pacman reading one repository folder through {@code Server = file:///...}: its own pacman.conf,
 * database path and cache under {@code work}, so nothing of the host is touched.
 */
public final class PacmanRepo {
    /** No line wrapping, C dates in UTC: pacman's output compares as text. */
    private static final Map<String, String> ENV = Map.of("COLUMNS", "100000", "TZ", "UTC");

    private final String name;
    private final Path work;
    private final Path conf;
    private final Path dbpath;
    private final Path cache;

    /**
     * @param sigLevel pacman.conf's SigLevel for the repository, e.g. {@code Never} or {@code Required}
     * @param gpgdir   a pacman keyring (pacman-key --gpgdir), or null
     */
    public PacmanRepo(String name, Path repoDir, Path work, String sigLevel, Path gpgdir) {
        Tools.require("pacman");
        this.name = name;
        this.work = work;
        this.conf = work.resolve("pacman.conf");
        this.dbpath = work.resolve("db");
        this.cache = work.resolve("cache");
        try {
            Files.createDirectories(dbpath);
            Files.createDirectories(cache);
            Files.writeString(conf, "[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n"
                    + (gpgdir != null ? "GPGDir = " + gpgdir + "\n" : "")
                    + "\n[" + name + "]\nSigLevel = " + sigLevel + "\nServer = file://" + repoDir.toAbsolutePath() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public PacmanRepo(String name, Path repoDir, Path work) {
        this(name, repoDir, work, "Never", null);
    }

    public Tools.Output pacman(String... args) {
        List<String> command = new ArrayList<>(List.of("pacman", "--config", conf.toString(), "--dbpath",
                dbpath.toString(), "--cachedir", cache.toString(), "--noconfirm", "--noprogressbar"));
        command.addAll(List.of(args));
        return Tools.run(work, ENV, Tools.asRoot(command.toArray(String[]::new)));
    }

    public PacmanRepo sync() {
        pacman("-Syy").ok("pacman -Syy [" + name + "]");
        pacman("-Fyy").ok("pacman -Fyy [" + name + "]");
        return this;
    }

    /** {@code pacman -Sl NAME}: "name version" lines. */
    public List<String> list() {
        return pacman("-Sl", name).ok("pacman -Sl " + name).text().lines()
                .map(l -> l.substring(name.length() + 1)).toList();
    }

    /** {@code pacman -Sii} of each package: its blocks, as text, keyed by package name. */
    public Map<String, String> infoText(List<String> pkgnames) {
        String text = pacman(sii(pkgnames)).ok("pacman -Sii").text();
        Map<String, String> blocks = new LinkedHashMap<>();
        for (String block : text.split("\n\n")) {
            if (!block.isBlank()) {
                blocks.put(fields(block).get("Name"), block);
            }
        }
        return blocks;
    }

    /** {@code pacman -Sii} of each package, parsed: field to value, continuation lines joined with newlines. */
    public Map<String, Map<String, String>> info(List<String> pkgnames) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        infoText(pkgnames).forEach((k, v) -> out.put(k, fields(v)));
        return out;
    }

    private String[] sii(List<String> pkgnames) {
        List<String> args = new ArrayList<>(List.of("-Sii"));
        pkgnames.forEach(n -> args.add(name + "/" + n));
        return args.toArray(String[]::new);
    }

    public static Map<String, String> fields(String block) {
        Map<String, String> fields = new LinkedHashMap<>();
        String last = null;
        for (String line : block.split("\n")) {
            int colon = line.indexOf(" : ");
            if (colon > 0 && !line.startsWith(" ")) {
                last = line.substring(0, colon).strip();
                fields.put(last, line.substring(colon + 3));
            } else if (last != null) {
                fields.put(last, fields.get(last) + "\n" + line.strip());
            }
        }
        return fields;
    }

    /** {@code pacman -Sp -dd --print-format '%n|%v|%l|%s'}: name to "version|location|size". */
    public Map<String, String> locations(List<String> pkgnames) {
        List<String> args = new ArrayList<>(List.of("-Sp", "-dd", "--print-format", "%n|%v|%l|%s"));
        pkgnames.forEach(n -> args.add(name + "/" + n));
        Map<String, String> out = new LinkedHashMap<>();
        pacman(args.toArray(String[]::new)).ok("pacman -Sp").text().lines().forEach(l -> {
            int bar = l.indexOf('|');
            out.put(l.substring(0, bar), l.substring(bar + 1));
        });
        return out;
    }

    /** {@code pacman -Fl NAME/PKG}: the package's files as pacman -F knows them. */
    public List<String> files(String pkgname) {
        return pacman("-Fl", name + "/" + pkgname).ok("pacman -Fl " + pkgname).text().lines()
                .map(l -> l.substring(pkgname.length() + 1)).toList();
    }

    /** {@code pacman --root R -Sy PKG...} into an empty root (no scriptlets: the root has no shell). */
    public Tools.Output install(Path root, String... pkgnames) {
        try {
            Files.createDirectories(root.resolve("var/lib/pacman"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of("pacman", "--root", root.toString(), "--dbpath",
                root.resolve("var/lib/pacman").toString(), "--cachedir", cache.toString(), "--config", conf.toString(),
                "--noconfirm", "--noprogressbar", "--noscriptlet", "-Sy"));
        command.addAll(List.of(pkgnames));
        return Tools.run(work, ENV, Tools.asRoot(command.toArray(String[]::new)));
    }

    /** {@code pacman --root R -Q}: "name version" of what is installed there. */
    public List<String> installed(Path root) {
        return Tools.run(work, ENV, List.of("pacman", "--root", root.toString(), "--dbpath",
                root.resolve("var/lib/pacman").toString(), "--config", conf.toString(), "-Q")).ok("pacman -Q")
                .text().lines().toList();
    }
}
