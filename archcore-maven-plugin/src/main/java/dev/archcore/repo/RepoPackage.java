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
        if (v.isEmpty()) {
            return -1;
        }
        if (!v.matches("[0-9]{1,18}")) {
            throw new RepoException("the " + repository + " database's entry for " + name() + " has %CSIZE% '"
                    + (v.length() > 40 ? v.substring(0, 40) + "..." : v) + "', not a size in bytes: the database is "
                    + "damaged or not a pacman database; refresh it from another mirror");
        }
        return Long.parseLong(v);
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
