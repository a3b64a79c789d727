package dev.archcore.pacman;

import java.util.List;
import java.util.regex.Pattern;

/** makepkg's lint_pkgbuild rules for the fields a package needs, with messages that say what to change. */
final class PkgbuildLint {
    private static final Pattern PKGREL = Pattern.compile("[0-9]+(\\.[0-9]+)?");
    private static final Pattern EPOCH = Pattern.compile("[0-9]*");
    /** The relation arrays makepkg lints (lint_depends and its siblings), and replaces, which pacman reads alike. */
    private static final List<String> RELATIONS = List.of("depends", "makedepends", "checkdepends", "optdepends",
            "provides", "conflicts", "replaces");

    private PkgbuildLint() {
    }

    static boolean validPkgver(String version) {
        return PackageNames.checkPkgver(version) == null;
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
        if (PackageNames.checkName(name) != null) {
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
            if (PackageNames.checkArch(a) != null) {
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
            for (String relation : p.list(field)) {
                String problem = relationProblem(field, relation);
                if (problem != null) {
                    fail(file, field, "entry " + problem + "; write name[op version] with op one of = >= <= > <, "
                            + "e.g. glibc>=2.40" + (field.equals("optdepends") ? ", then ': description'" : ""));
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
     * What makepkg's lint says of one relation entry (lint_depends, lint_provides, ...), or null when it passes:
     * the shared rules of {@link PackageNames#checkRelation}, and the lint scripts' own per field: provides takes
     * only {@code name=version} (split at the last {@code =}), and only depends lets an operator without a version
     * through (FS#58776).
     */
    static String relationProblem(String field, String entry) {
        String shown = "'" + PackageNames.shown(entry) + "'";
        String relation = field.equals("optdepends") ? entry.split(":\\s", 2)[0] : entry;
        if (field.equals("provides")) {
            if (relation.contains("<") || relation.contains(">")) {
                return shown + " has a comparison (< or >); provides takes only name=version";
            }
            int eq = relation.lastIndexOf('=');
            String name = eq < 0 ? null : PackageNames.checkName(relation.substring(0, eq));
            if (name != null) {
                return shown + " names a package that " + name;
            }
        }
        if (!field.equals("depends") && !relation.isEmpty() && "<>=".indexOf(relation.charAt(relation.length() - 1)) >= 0) {
            return shown + " has an operator but no version";
        }
        return PackageNames.checkRelation(entry);
    }

    private static void fail(String file, String field, String problem) {
        throw new PackageBuildException(file + ": " + field + " " + problem + ".");
    }
}
