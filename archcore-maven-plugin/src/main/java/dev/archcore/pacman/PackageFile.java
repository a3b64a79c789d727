package dev.archcore.pacman;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A package file as {@link PackageReader} found it.
 *
 * @param file      the package
 * @param pkginfo   {@code .PKGINFO} as sections: key to values in file order (multi-valued keys repeated)
 * @param pkginfoText {@code .PKGINFO} as written, for tools that parse it their own way (repo-add does)
 * @param files     the data entries as repo-add lists them for a {@code files} database (see {@link PackageReader})
 * @param size      the file's size in bytes
 * @param md5       its MD5, lowercase hex
 * @param sha256    its SHA-256, lowercase hex
 * @param signature the detached signature {@code file + ".sig"} beside it, or null when there is none
 */
public record PackageFile(Path file, Map<String, List<String>> pkginfo, byte[] pkginfoText, List<String> files,
                          long size, String md5, String sha256, Path signature) {

    public List<String> values(String key) {
        return pkginfo.getOrDefault(key, List.of());
    }

    /** The last value of a single-valued key (a repeated one overrides, as in pacman), or "" if absent. */
    public String value(String key) {
        List<String> v = values(key);
        return v.isEmpty() ? "" : v.get(v.size() - 1);
    }

    public String name() {
        return value("pkgname");
    }

    /** The full version {@code [epoch:]pkgver-pkgrel}. */
    public String version() {
        return value("pkgver");
    }

    public String arch() {
        return value("arch");
    }

    public boolean signed() {
        return signature != null;
    }

    public String fileName() {
        return file.getFileName().toString();
    }

    public String pkginfoString() {
        return new String(pkginfoText, StandardCharsets.UTF_8);
    }
}
