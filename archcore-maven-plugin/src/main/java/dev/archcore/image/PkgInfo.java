package dev.archcore.image;

import dev.archcore.pacman.PackageNames;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields of a package's {@code .PKGINFO} the image needs, parsed as libalpm's {@code parse_descfile} does:
 * {@code key = value} split at the first {@code =}, both sides trimmed, repeated keys collected in order;
 * name, version, arch and relations checked by {@link PackageNames}.
 */
public record PkgInfo(String pkgname, String pkgbase, String pkgver, String pkgdesc, String url, long builddate,
                      String packager, long size, String arch, List<String> license, List<String> replaces,
                      List<String> groups, List<String> conflicts, List<String> provides, List<String> backup,
                      List<String> depends, List<String> optdepends) {

    /** {@code name-version}, the package's directory name in the local database. */
    public String id() {
        return pkgname + "-" + pkgver;
    }

    public static PkgInfo parse(byte[] bytes, String what) {
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            if (eq < 0) {
                throw new ImageBuildException(what + ": .PKGINFO line without '=': " + PackageNames.shown(line));
            }
            fields.computeIfAbsent(l.substring(0, eq).strip(), k -> new ArrayList<>()).add(l.substring(eq + 1).strip());
        }
        String problem = PackageNames.checkPkginfo(fields);
        if (problem != null) {
            // these values become paths (var/lib/pacman/local/<name>-<version>/) and database lines
            throw new ImageBuildException(what + ": .PKGINFO " + problem + " (makepkg's and pacman's rules); the"
                    + " package is refused before anything of it is written");
        }
        String name = one(fields, "pkgname");
        String version = one(fields, "pkgver");
        return new PkgInfo(name, one(fields, "pkgbase"), version, one(fields, "pkgdesc"), one(fields, "url"),
                number(one(fields, "builddate")), one(fields, "packager"), number(one(fields, "size")),
                one(fields, "arch"), all(fields, "license"), all(fields, "replaces"), all(fields, "group"),
                all(fields, "conflict"), all(fields, "provides"), all(fields, "backup"), all(fields, "depend"),
                all(fields, "optdepend"));
    }

    private static String one(Map<String, List<String>> fields, String key) {
        List<String> values = fields.get(key);
        return values == null ? null : values.get(values.size() - 1);
    }

    private static List<String> all(Map<String, List<String>> fields, String key) {
        return List.copyOf(fields.getOrDefault(key, List.of()));
    }

    private static long number(String value) {
        try {
            return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
