package dev.archcore.pacman;

import dev.archcore.util.Command;
import dev.archcore.util.Log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a VCS {@code pkgver()} (the ArchWiki's {@code r<count>.<hash>}) cannot say: that there was no checkout, so
 * the version fell back to the PKGBUILD's {@code pkgver}, or that uncommitted changes make different bytes under
 * the commit's version. makepkg's VCS guidelines have no dirty marker, so this warns and the version stays.
 */
final class VcsVersionCheck {
    /** Changed files named in the warning; the rest are counted. */
    static final int SHOWN = 10;

    private VcsVersionCheck() {
    }

    /**
     * @param generated the build's own output directories (Maven's target/): left out, since a checkout without
     *                  an ignore file for them (a Mercurial one made from the archetype) would always look dirty
     */
    static void warn(Pkgbuild pkgbuild, List<Path> generated, Log log) {
        if (!pkgbuild.defines("pkgver")) {
            return;
        }
        Path dir = pkgbuild.startdir().toAbsolutePath().normalize();
        List<String> excluded = generated.stream().map(g -> g.toAbsolutePath().normalize())
                .filter(g -> g.startsWith(dir) && !g.equals(dir)).map(g -> dir.relativize(g).toString()).toList();
        Optional<List<String>> changes = git(dir, excluded).or(() -> hg(dir, excluded));
        if (changes.isEmpty()) {
            log.warn(pkgbuild.file() + ": pkgver() found no git or Mercurial checkout with a commit in " + dir
                    + " (or neither tool is installed), so the version falls back to the PKGBUILD's pkgver: "
                    + pkgbuild.fullVersion() + ", the same for every build whatever changed. Commit the project "
                    + "(git init; git add -A; git commit) to version each build r<commits>.<hash>.");
        } else if (!changes.get().isEmpty()) {
            List<String> files = changes.get();
            String shown = String.join(", ", files.subList(0, Math.min(SHOWN, files.size())))
                    + (files.size() > SHOWN ? " and " + (files.size() - SHOWN) + " more" : "");
            log.warn(pkgbuild.file() + ": uncommitted changes in " + dir + " (" + shown + "): the package is "
                    + pkgbuild.fullVersion() + ", the version of the last commit, but not its contents; commit "
                    + "them before building a package to publish, so that one version is one content.");
        }
    }

    /** The changed and untracked files under {@code dir}, or empty when it is no git checkout with a commit. */
    private static Optional<List<String>> git(Path dir, List<String> excluded) {
        if (!run(dir, List.of("git", "rev-parse", "--verify", "-q", "HEAD"), new ArrayList<>())) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        List<String> command = new ArrayList<>(List.of("git", "status", "--porcelain", "--untracked-files=all", "--", "."));
        excluded.forEach(x -> command.add(":(exclude)" + x));
        if (!run(dir, command, out)) {
            return Optional.empty();
        }
        // "XY path" (or "XY from -> to"): the status letters, a space, the path from the top of the checkout
        return Optional.of(out.stream().filter(l -> l.length() > 3).map(l -> l.substring(3)).toList());
    }

    /** As {@link #git(Path, List)}, for Mercurial: modified, added, removed, missing and unknown files. */
    private static Optional<List<String>> hg(Path dir, List<String> excluded) {
        if (!inHgCheckout(dir)) {
            return Optional.empty();
        }
        List<String> rev = new ArrayList<>();
        if (!run(dir, List.of("hg", "identify", "-n", "-r", "."), rev) || rev.isEmpty() || rev.get(0).strip().equals("-1")) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        List<String> command = new ArrayList<>(List.of("hg", "status", "-mardu", "."));
        excluded.forEach(x -> command.addAll(List.of("-X", "relpath:" + x)));
        if (!run(dir, command, out)) {
            return Optional.empty();
        }
        return Optional.of(out.stream().filter(l -> l.length() > 2).map(l -> l.substring(2)).toList());
    }

    /**
     * Whether {@code dir} or a parent of it (of its real path, as hg's getcwd sees it) holds a {@code .hg} directory,
     * where hg looks for its repository. hg is a Python program that takes 0.1-0.3 s to start even to
     * say there is none, so outside a checkout (the archetype's pkgver() tests the same way) it is not run at all.
     */
    static boolean inHgCheckout(Path dir) {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return false; // no such directory: hg would not find a repository either
        }
        for (Path d = real; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(".hg"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean run(Path dir, List<String> command, List<String> out) {
        try {
            return Command.run(command, dir, Map.of(), out::add).ok();
        } catch (UncheckedIOException e) {
            return false; // the tool is not installed
        }
    }
}
