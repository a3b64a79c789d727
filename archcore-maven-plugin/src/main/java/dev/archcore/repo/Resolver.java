package dev.archcore.repo;

import dev.archcore.pacman.Relation;
import dev.archcore.util.Fnmatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Computes what {@code pacman -S --noconfirm TARGETS} would install, in pacman's order, with libalpm's rules
 * (pacman 6.0: {@code deps.c}, {@code sync.c}, {@code conflict.c} and the targets handling of pacman's
 * {@code sync.c}):
 * <ul>
 * <li>a target is a package name, a relation ({@code name>=1.2}), {@code repo/name}, or a group (all members,
 * the first database holding each name);</li>
 * <li>a dependency is satisfied first by a package already chosen, then by a target, then by a package of that
 * name in the first database that has a good enough version, then by the first provider found (databases in
 * order, each sorted by name); a versioned dependency only accepts {@code name=version} provisions;</li>
 * <li>IgnorePkg/IgnoreGroup keep packages out of dependency resolution; a target or group member that is ignored
 * is installed anyway, which is what pacman answers with --noconfirm;</li>
 * <li>conflicts are checked both ways among the result (and against installed packages); a package that conflicts
 * with one that provides it is dropped, as pacman drops it;</li>
 * <li>the result is sorted so dependencies come first, cycles broken the way pacman breaks them.</li>
 * </ul>
 * Every choice pacman would ask about, or warn about, is reported in {@link Resolution#notes()}.
 */
public final class Resolver {
    private final List<PackageIndex> databases = new ArrayList<>();
    private List<Fnmatch> ignorePkg = List.of();
    private List<Fnmatch> ignoreGroup = List.of();
    private List<String> architectures = List.of();
    private List<Candidate> installed = List.of();
    private PackageIndex local = new PackageIndex("local", List.of(), -1);
    private List<Relation> assumeInstalled = List.of();
    private boolean checkConflicts = true;

    /** @param databases the sync databases in pacman.conf order, the order they are searched */
    public Resolver(List<SyncDatabase> databases) {
        for (SyncDatabase db : databases) {
            this.databases.add(new PackageIndex(db.name(), db.packages(), this.databases.size()));
        }
    }

    /** A resolver with the Architecture, IgnorePkg and IgnoreGroup of {@code conf}. */
    public static Resolver of(PacmanConf conf, List<SyncDatabase> databases) {
        return new Resolver(databases).architectures(conf.architectures())
                .ignorePkg(conf.ignorePkg()).ignoreGroup(conf.ignoreGroup());
    }

    /** IgnorePkg patterns (fnmatch, like pacman). */
    public Resolver ignorePkg(List<String> patterns) {
        this.ignorePkg = patterns.stream().map(Fnmatch::compile).toList();
        return this;
    }

    /** IgnoreGroup patterns (fnmatch, like pacman). */
    public Resolver ignoreGroup(List<String> patterns) {
        this.ignoreGroup = patterns.stream().map(Fnmatch::compile).toList();
        return this;
    }

    /** Accepted package architectures besides {@code any}; empty skips the check, as pacman does without one. */
    public Resolver architectures(List<String> architectures) {
        this.architectures = List.copyOf(architectures);
        return this;
    }

    /** Packages already installed (pacman's local database); none for a new image. */
    public Resolver installed(List<RepoPackage> packages) {
        this.installed = packages.stream().map(p -> new Candidate(p, -1)).toList();
        this.local = new PackageIndex("local", packages, -1);
        return this;
    }

    /** pacman's {@code --assume-installed name=version}: provisions that count as installed. */
    public Resolver assumeInstalled(List<String> provisions) {
        this.assumeInstalled = provisions.stream().map(Relation::parse).toList();
        return this;
    }

    /** Leaves out the conflict checks, as {@code pacman -Sp} (print only) does. */
    public Resolver skipConflictChecks() {
        this.checkConflicts = false;
        return this;
    }

    public Resolution resolve(List<String> targets) {
        return new Transaction(this, targets).run();
    }

    List<PackageIndex> databases() {
        return databases;
    }

    PackageIndex local() {
        return local;
    }

    List<Candidate> installedPackages() {
        return installed;
    }

    List<Relation> assumed() {
        return assumeInstalled;
    }

    List<String> acceptedArchitectures() {
        return architectures;
    }

    boolean checksConflicts() {
        return checkConflicts;
    }

    /** alpm_pkg_should_ignore: the name matches IgnorePkg or one of its groups matches IgnoreGroup. */
    boolean isIgnored(Candidate c) {
        for (Fnmatch p : ignorePkg) {
            if (p.matches(c.name)) {
                return true;
            }
        }
        for (String group : c.groups) {
            for (Fnmatch p : ignoreGroup) {
                if (p.matches(group)) {
                    return true;
                }
            }
        }
        return false;
    }

    String databaseNames() {
        return "[" + String.join(", ", databases.stream().map(d -> d.name).toList()) + "]";
    }

    String repositoryOf(Candidate c) {
        return c.db < 0 ? "the installed packages" : databases.get(c.db).name;
    }

    static Relation anyVersionOf(String name) {
        return new Relation(Objects.requireNonNull(name), Relation.Op.ANY, null, null);
    }
}
