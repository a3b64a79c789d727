package dev.archcore.repo;

import dev.archcore.pacman.Relation;

import java.util.List;

/**
 * A package as the resolver sees it: its relations parsed once, and where it comes from ({@code db} is the
 * index of its sync database, -1 for an installed package). Identity matters: pacman tells two packages of the
 * same name apart by the database they come from.
 */
final class Candidate {
    final RepoPackage pkg;
    final int db;
    final String name;
    final String version;
    final String arch;
    final List<Relation> depends;
    final List<Relation> provides;
    final List<Relation> conflicts;
    final List<String> groups;

    Candidate(RepoPackage pkg, int db) {
        this.pkg = pkg;
        this.db = db;
        this.name = pkg.name();
        this.version = pkg.version();
        this.arch = pkg.value("ARCH");
        this.depends = relations(pkg, "DEPENDS");
        this.provides = relations(pkg, "PROVIDES");
        this.conflicts = relations(pkg, "CONFLICTS");
        this.groups = pkg.groups();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a package in the " + pkg.repository() + " database has no %NAME%; "
                    + "the database is damaged, rebuild it with repo-add");
        }
    }

    private static List<Relation> relations(RepoPackage pkg, String section) {
        return pkg.values(section).stream().map(value -> {
            try {
                return Relation.parse(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(pkg + " has a malformed %" + section + "% entry '" + value
                        + "' in the " + pkg.repository() + " database; fix the package and run repo-add again", e);
            }
        }).toList();
    }

    /** {@code _alpm_depcmp_literal}: same name and a version the relation accepts. */
    boolean isLiterally(Relation dep) {
        return name.equals(dep.name()) && dep.satisfiedBy(version);
    }

    /** {@code _alpm_depcmp}: literally, or through one of its provisions. */
    boolean satisfies(Relation dep) {
        return isLiterally(dep) || provisionsSatisfy(provides, dep);
    }

    /**
     * {@code _alpm_depcmp_provides}: an unversioned dependency takes any provision of that name; a versioned one
     * only a {@code name=version} provision whose version it accepts (an unversioned provision never does).
     */
    static boolean provisionsSatisfy(List<Relation> provisions, Relation dep) {
        for (Relation provision : provisions) {
            if (!provision.name().equals(dep.name())) {
                continue;
            }
            if (dep.op() == Relation.Op.ANY
                    || (provision.op() == Relation.Op.EQ && dep.satisfiedBy(provision.version()))) {
                return true;
            }
        }
        return false;
    }

    /** {@code _alpm_pkg_depends_on}: whether one of this package's dependencies is satisfied by {@code other}. */
    boolean dependsOn(Candidate other) {
        for (Relation dep : depends) {
            if (other.satisfies(dep)) {
                return true;
            }
        }
        return false;
    }

    String label() {
        return name + " " + version;
    }

    @Override
    public String toString() {
        return pkg.toString();
    }
}
