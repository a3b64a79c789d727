package dev.archcore.pacman;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** makepkg's lint_pkgbuild rules for the fields a package needs, with messages that say what to change. */
final class PkgbuildLint {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9@._+-]+");
    private static final Pattern PKGREL = Pattern.compile("[0-9]+(\\.[0-9]+)?");
    private static final Pattern EPOCH = Pattern.compile("[0-9]*");
    private static final Pattern ARCH = Pattern.compile("[A-Za-z0-9_]+");
    /** The relation arrays makepkg lints (lint_depends and its siblings), and replaces, which pacman reads alike. */
    private static final List<String> RELATIONS = List.of("depends", "makedepends", "checkdepends", "optdepends",
            "provides", "conflicts", "replaces");
    private static final Pattern OP = Pattern.compile("<=|>=|<|>|=");
    private static final Pattern PKGVER_BAD = Pattern.compile("[\\s/:-]");
    private static final Pattern DESCRIPTION = Pattern.compile(":\\s"); // optdepends' "name: why"

    private PkgbuildLint() {
    }

    static boolean validPkgver(String version) {
        return !version.isEmpty() && version.chars().allMatch(c -> c > 32 && c < 127 && c != ':' && c != '/' && c != '-');
    }

    static void check(Pkgbuild p) {
        String file = p.file().toString();
        List<String> names = p.list("pkgname");
        if (names.isEmpty() || names.get(0).isEmpty()) {
            fail(file, "pkgname", "is missing or empty; set pkgname=<name> (lowercase letters, digits and @._+-)");
        }
        if (names.size() > 1) {
            fail(file, "pkgname", "lists " + names.size() + " packages; archcore builds one package per PKGBUILD, "
                    + "so split it into one PKGBUILD per package");
        }
        String name = names.get(0);
        if (name.startsWith("-") || name.startsWith(".") || !NAME.matcher(name).matches()) {
            fail(file, "pkgname", "'" + name + "' is not a valid package name: use ASCII letters, digits and @._+-, "
                    + "not starting with a hyphen or a dot");
        }
        if (!p.has("pkgver") || !validPkgver(p.scalar("pkgver"))) {
            fail(file, "pkgver", "'" + p.scalar("pkgver") + "' is missing or invalid: it must be non-empty ASCII "
                    + "without colons, slashes, hyphens or whitespace (e.g. pkgver=1.2.3)");
        }
        if (!PKGREL.matcher(p.scalar("pkgrel")).matches()) {
            fail(file, "pkgrel", "'" + p.scalar("pkgrel") + "' is missing or invalid: it must be of the form "
                    + "integer[.integer] (e.g. pkgrel=1)");
        }
        if (!EPOCH.matcher(p.scalar("epoch")).matches()) {
            fail(file, "epoch", "'" + p.scalar("epoch") + "' must be an integer");
        }
        List<String> arch = p.list("arch");
        if (arch.isEmpty()) {
            fail(file, "arch", "is missing; set arch=('x86_64') or arch=('any') for architecture-independent files");
        }
        if (arch.contains("any") && arch.size() > 1) {
            fail(file, "arch", "mixes 'any' with other architectures; use arch=('any') alone");
        }
        for (String a : arch) {
            if (!ARCH.matcher(a).matches()) {
                fail(file, "arch", "'" + a + "' contains invalid characters");
            }
        }
        if (!arch.contains("any") && !arch.contains(p.carch())) {
            fail(file, "arch", "(" + String.join(" ", arch) + ") does not include the target architecture '"
                    + p.carch() + "'; add it to arch or build for one of those (archcore.arch)");
        }
        for (String field : List.of("pkgdesc", "url", "packager")) {
            if (p.scalar(field).contains("\n")) {
                fail(file, field, "contains a newline, which pacman's metadata cannot hold");
            }
        }
        for (String field : RELATIONS) {
            for (String entry : p.list(field)) {
                String problem = relationProblem(field, entry);
                if (problem != null) {
                    fail(file, field, "entry '" + entry.replace("\n", "\\n") + "' " + problem + "; write name, or "
                            + "name<op>version with op one of < <= = >= > (e.g. glibc>=2.38)");
                }
            }
        }
        for (String entry : p.list("backup")) {
            if (entry.startsWith("/")) {
                fail(file, "backup", "entry '" + entry + "' must be relative (no leading slash), e.g. etc/app.conf");
            }
        }
    }

    /**
     * What makepkg's lint says of one relation entry (lint_depends, lint_provides, ... with lint_one_pkgname and
     * check_fullpkgver), or null when it passes. Those rules leave no room for a shell word or a newline (which
     * would add a line to .PKGINFO), except in an optdepends description, whose whitespace is folded when written.
     */
    static String relationProblem(String field, String entry) {
        String relation = entry;
        if (field.equals("optdepends")) {
            Matcher d = DESCRIPTION.matcher(relation);
            relation = d.find() ? relation.substring(0, d.start()) : relation;
        }
        String name;
        String version = null;
        if (field.equals("provides")) {
            if (relation.contains("<") || relation.contains(">")) {
                return "cannot contain comparison (< or >) operators";
            }
            int eq = relation.lastIndexOf('=');
            name = eq < 0 ? relation : relation.substring(0, eq);
            version = eq < 0 ? null : relation.substring(eq + 1);
        } else {
            Matcher op = OP.matcher(relation);
            if (op.find()) {
                name = relation.substring(0, op.start());
                version = relation.substring(op.end());
            } else {
                name = relation;
            }
        }
        String problem = nameProblem(name);
        if (problem == null && version != null && !(field.equals("depends") && version.isEmpty())) {
            problem = fullVersionProblem(version); // makepkg lets depends=('foo>=') pass (FS#58776)
        }
        return problem;
    }

    private static String nameProblem(String name) {
        if (name.isEmpty()) {
            return "has an empty name";
        }
        if (name.startsWith("-") || name.startsWith(".")) {
            return "has a name starting with a hyphen or a dot";
        }
        if (!NAME.matcher(name).matches()) {
            return "has a name with characters other than ASCII letters, digits and @._+-";
        }
        return null;
    }

    /** check_fullpkgver: [epoch:]pkgver[-pkgrel], split at the first colon and the last hyphen. */
    private static String fullVersionProblem(String version) {
        String rest = version;
        int colon = rest.indexOf(':');
        if (colon >= 0) {
            if (!EPOCH.matcher(rest.substring(0, colon)).matches()) {
                return "has an epoch that is not an integer";
            }
            rest = rest.substring(colon + 1);
        }
        int hyphen = rest.lastIndexOf('-');
        if (hyphen > 0) {
            if (!PKGREL.matcher(rest.substring(hyphen + 1)).matches()) {
                return "has a pkgrel that is not of the form integer[.integer]";
            }
            rest = rest.substring(0, hyphen);
        }
        if (rest.isEmpty() || PKGVER_BAD.matcher(rest).find() || !rest.chars().allMatch(c -> c < 128)) {
            return "has a version that is empty or holds colons, slashes, hyphens, whitespace or non-ASCII characters";
        }
        return null;
    }

    private static void fail(String file, String field, String problem) {
        throw new PackageBuildException(file + ": " + field + " " + problem + ".");
    }
}
