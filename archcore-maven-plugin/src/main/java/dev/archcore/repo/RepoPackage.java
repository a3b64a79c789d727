package dev.archcore.repo;

import dev.archcore.pacman.Relation;

import java.util.List;
import java.util.Map;

/**
 * One package of a sync database: the repository it comes from and its {@code desc} sections
 * ({@code FILENAME}, {@code NAME}, {@code VERSION}, {@code DEPENDS}, ... without the percent signs).
 */
public record RepoPackage(String repository, Map<String, List<String>> desc) {

    public List<String> values(String section) {
        return desc.getOrDefault(section, List.of());
    }

    public String value(String section) {
        List<String> v = values(section);
        return v.isEmpty() ? "" : v.get(0);
    }

    public String name() {
        return value("NAME");
    }

    public String version() {
        return value("VERSION");
    }

    public String filename() {
        return value("FILENAME");
    }

    public String sha256() {
        return value("SHA256SUM");
    }

    public long compressedSize() {
        String v = value("CSIZE");
        return v.isEmpty() ? -1 : Long.parseLong(v);
    }

    public List<String> groups() {
        return values("GROUPS");
    }

    public List<Relation> depends() {
        return relations("DEPENDS");
    }

    public List<Relation> provides() {
        return relations("PROVIDES");
    }

    public List<Relation> conflicts() {
        return relations("CONFLICTS");
    }

    public List<Relation> replaces() {
        return relations("REPLACES");
    }

    private List<Relation> relations(String section) {
        return values(section).stream().map(Relation::parse).toList();
    }

    /** {@code repo/name version}, as pacman names a sync package. */
    @Override
    public String toString() {
        return repository + "/" + name() + " " + version();
    }
}
