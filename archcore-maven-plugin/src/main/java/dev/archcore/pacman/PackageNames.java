package dev.archcore.pacman;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules for the names and versions pacman builds paths from ({@code var/lib/pacman/local/<name>-<version>/},
 * cache files, download URLs), as makepkg's {@code lint_pkgbuild} states them (pkgname.sh, pkgver.sh,
 * pkgrel.sh, epoch.sh, arch.sh, fullpkgver.sh, depends.sh, provides.sh) and libalpm's
 * {@code _alpm_validate_filename} for {@code %FILENAME%}. Every reader of outside metadata ({@code .PKGINFO},
 * sync database entries, the lock file) checks with these, so no {@code /}, {@code ..}, leading {@code -} or
 * {@code .}, control character or newline gets from a package into a path or a database line.
 *
 * <p>Each check returns null when the value is valid, else what is wrong with it (one sentence part, without
 * the field's origin, which the caller adds).
 */
public final class PackageNames {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9@._+-]+");
    private static final Pattern PKGREL = Pattern.compile("[0-9]+(\\.[0-9]+)?");
    private static final Pattern EPOCH = Pattern.compile("[0-9]*");
    private static final Pattern ARCH = Pattern.compile("[A-Za-z0-9_]+");
    /** libalpm refuses longer {@code %FILENAME%} values (PATH_MAX). */
    private static final int PATH_MAX = 4096;

    private PackageNames() {
    }

    /** pkgname.sh: ASCII letters, digits and {@code @._+-}, not empty, not starting with {@code -} or {@code .}. */
    public static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            return "is empty";
        }
        if (name.length() > 255) {
            return "'" + shown(name) + "' is longer than 255 characters";
        }
        if (!NAME.matcher(name).matches()) {
            return "'" + shown(name) + "' has characters other than ASCII letters, digits and @._+-";
        }
        if (name.startsWith("-") || name.startsWith(".")) {
            return "'" + name + "' starts with a " + (name.startsWith("-") ? "hyphen" : "dot");
        }
        return null;
    }

    /** pkgver.sh: printable ASCII without whitespace, {@code :}, {@code /} or {@code -}. */
    public static String checkPkgver(String pkgver) {
        if (pkgver == null || pkgver.isEmpty()) {
            return "has an empty pkgver";
        }
        if (!pkgver.chars().allMatch(c -> c > 32 && c < 127 && c != ':' && c != '/' && c != '-')) {
            return "has a pkgver '" + shown(pkgver) + "' with colons, slashes, hyphens, whitespace or non-ASCII characters";
        }
        return null;
    }

    /**
     * A package's full version as {@code .PKGINFO} and {@code %VERSION%} hold it: {@code [epoch:]pkgver-pkgrel},
     * each part per its lint script; the release is required.
     */
    public static String checkVersion(String version) {
        if (version == null || version.isEmpty()) {
            return "is empty";
        }
        if (version.length() > 255) {
            return "'" + shown(version) + "' is longer than 255 characters";
        }
        int dash = version.lastIndexOf('-');
        if (dash < 0) {
            return "'" + shown(version) + "' has no release: it must be [epoch:]pkgver-pkgrel";
        }
        return checkFullVersion(version, true);
    }

    /** fullpkgver.sh, for a relation's version: {@code [epoch:]pkgver[-pkgrel]}. */
    static String checkFullVersion(String version, boolean releaseRequired) {
        String rest = version;
        int colon = rest.indexOf(':');
        if (colon >= 0) {
            String epoch = rest.substring(0, colon);
            if (!EPOCH.matcher(epoch).matches()) {
                return "'" + shown(version) + "' has an epoch '" + shown(epoch) + "' that is not an integer";
            }
            rest = rest.substring(colon + 1);
        }
        int dash = rest.lastIndexOf('-');
        if (dash > 0) {
            String rel = rest.substring(dash + 1);
            if (!PKGREL.matcher(rel).matches()) {
                return "'" + shown(version) + "' has a pkgrel '" + shown(rel) + "' not of the form integer[.integer]";
            }
            rest = rest.substring(0, dash);
        } else if (releaseRequired) {
            return "'" + shown(version) + "' has no release: it must be [epoch:]pkgver-pkgrel";
        }
        String problem = checkPkgver(rest);
        return problem == null ? null : "'" + shown(version) + "' " + problem;
    }

    /** arch.sh: ASCII letters, digits and {@code _} ({@code any}, {@code x86_64}, {@code aarch64}). */
    public static String checkArch(String arch) {
        if (arch == null || arch.isEmpty()) {
            return "is empty";
        }
        if (arch.length() > 64 || !ARCH.matcher(arch).matches()) {
            return "'" + shown(arch) + "' has characters other than ASCII letters, digits and _";
        }
        return null;
    }

    /**
     * {@code %FILENAME%} or a lock file's file name, which becomes a cache path and a download URL: libalpm's
     * rules (no {@code /}, no leading dot, at most PATH_MAX) and no control characters, backslash or {@code %}
     * (nothing pacman's own repo-add would write for a makepkg package).
     */
    public static String checkFileName(String file) {
        if (file == null || file.isEmpty()) {
            return "is empty";
        }
        if (file.length() > PATH_MAX) {
            return "is longer than " + PATH_MAX + " characters";
        }
        if (file.contains("/") || file.startsWith(".")) {
            return "'" + shown(file) + "' is not a plain file name (it has a '/' or starts with a dot)";
        }
        if (!file.chars().allMatch(c -> c > 32 && c != 127 && c != '\\' && c != '%')) {
            return "'" + shown(file) + "' has whitespace, control characters, '\\' or '%'";
        }
        return null;
    }

    /**
     * A relation ({@code depend}, {@code provides}, {@code conflict}, {@code replaces}, {@code optdepend}) as
     * depends.sh and provides.sh lint it: a package name, then optionally an operator and a version
     * ({@code [epoch:]pkgver[-pkgrel]}), then for optdepends a {@code ": description"} without control characters.
     */
    public static String checkRelation(String relation) {
        if (relation == null || relation.isEmpty()) {
            return "is empty";
        }
        if (relation.chars().anyMatch(c -> c < 32 || c == 127)) {
            return "'" + shown(relation) + "' has control characters";
        }
        Relation r;
        try {
            r = Relation.parse(relation);
        } catch (IllegalArgumentException e) {
            return "'" + shown(relation) + "' has no package name";
        }
        String name = checkName(r.name());
        if (name != null) {
            return "'" + shown(relation) + "' names a package that " + name;
        }
        if (r.version() != null) {
            if (r.version().isEmpty()) {
                return null; // "foo=": makepkg's lint lets an empty version through, libalpm reads it as unversioned
            }
            String version = checkFullVersion(r.version(), false);
            if (version != null) {
                return "'" + shown(relation) + "' has an invalid version: " + version;
            }
        }
        return null;
    }

    /** The {@code .PKGINFO} keys holding relations. */
    public static final List<String> PKGINFO_RELATIONS =
            List.of("depend", "optdepend", "makedepend", "checkdepend", "provides", "conflict", "replaces");

    /**
     * The fields of a parsed {@code .PKGINFO} that become paths and database lines: exactly one pkgname and
     * pkgver, at most one arch, a valid pkgbase, and relations. Null when all hold, else the first problem,
     * starting with the field ({@code "pkgname '../x' has ..."}).
     */
    public static String checkPkginfo(Map<String, List<String>> fields) {
        for (String key : List.of("pkgname", "pkgver")) {
            List<String> values = fields.getOrDefault(key, List.of());
            if (values.size() != 1) {
                return key + " is given " + values.size() + " times; a package has exactly one";
            }
        }
        String problem = checkName(fields.get("pkgname").get(0));
        if (problem != null) {
            return "pkgname " + problem;
        }
        problem = checkVersion(fields.get("pkgver").get(0));
        if (problem != null) {
            return "pkgver " + problem;
        }
        List<String> arch = fields.getOrDefault("arch", List.of());
        if (arch.size() > 1) {
            return "arch is given " + arch.size() + " times; a package has one";
        }
        if (!arch.isEmpty() && (problem = checkArch(arch.get(0))) != null) {
            return "arch " + problem;
        }
        for (String base : fields.getOrDefault("pkgbase", List.of())) {
            if ((problem = checkName(base)) != null) {
                return "pkgbase " + problem;
            }
        }
        for (String backup : fields.getOrDefault("backup", List.of())) {
            // %BACKUP% lines are "path<TAB>md5": a tab or control character in the path would split them elsewhere
            if (backup.isEmpty() || backup.chars().anyMatch(c -> c < 32 || c == 127)) {
                return "backup entry '" + shown(backup) + "' is empty or has a tab or control character";
            }
        }
        for (String key : PKGINFO_RELATIONS) {
            for (String relation : fields.getOrDefault(key, List.of())) {
                if ((problem = checkRelation(relation)) != null) {
                    return key + " " + problem;
                }
            }
        }
        return null;
    }

    /** The value with control characters escaped and cut to a length that fits a message. */
    public static String shown(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < 120; i++) {
            char c = value.charAt(i);
            if (c < 32 || c == 127) {
                out.append(switch (c) {
                    case '\n' -> "\\n";
                    case '\t' -> "\\t";
                    case '\r' -> "\\r";
                    default -> String.format("\\x%02x", (int) c);
                });
            } else {
                out.append(c);
            }
        }
        return out.length() < value.length() && value.length() > 120 ? out + "..." : out.toString();
    }
}
