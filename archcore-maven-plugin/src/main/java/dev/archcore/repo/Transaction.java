package dev.archcore.repo;

import dev.archcore.pacman.Relation;
import dev.archcore.repo.ResolutionException.Kind;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One resolution, step by step as pacman runs it: the targets (pacman's {@code process_target}), then
 * {@code _alpm_sync_prepare} (dependencies, conflicts, the final dependency check), then
 * {@code _alpm_sortbydeps}.
 */
final class Transaction {
    private final Resolver resolver;
    private final List<String> targets;
    private final List<String> notes = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    /** The kind of the first problem recorded with one; dependency problems are UNSATISFIED_DEPENDENCY. */
    private Kind problemKind;
    /** trans->add before resolution: the packages asked for. */
    private final List<Candidate> add = new ArrayList<>();
    /** Why each package is in the transaction: the chain from a target, for messages. */
    private final Map<Candidate, String> why = new IdentityHashMap<>();
    /** Installed packages not being replaced by a target (sync.c's "fake local database"). */
    private List<Candidate> localpkgs;

    Transaction(Resolver resolver, List<String> targets) {
        this.resolver = resolver;
        this.targets = List.copyOf(targets);
    }

    Resolution run() {
        for (String target : targets) {
            processTarget(target);
        }
        failIfProblems(Kind.TARGET_NOT_FOUND, "cannot use the targets " + targets);
        checkArchitectures();
        if (add.isEmpty()) {
            return new Resolution(List.of(), Set.of(), notes);
        }
        localpkgs = resolver.installedPackages().stream().filter(l -> find(add, l.name) == null).toList();

        Selection resolved = new Selection();
        for (Candidate pkg : add) {
            resolveDeps(pkg, resolved, pkg.name);
        }
        failIfProblems(Kind.UNSATISFIED_DEPENDENCY, "cannot resolve the dependencies of " + targets + " from "
                + resolver.databaseNames());

        List<Candidate> transaction = new ArrayList<>(resolved.list);
        Map<Candidate, Candidate> dropped = resolver.checksConflicts()
                ? new Conflicts(why, notes).check(transaction, resolver.installedPackages()) : Map.of();
        checkDependencies(transaction, dropped);
        List<Candidate> sorted = InstallOrder.sort(transaction, resolver.installedPackages(), notes::add);
        noteForeignArchitectures(sorted);

        Set<String> explicit = new LinkedHashSet<>();
        for (Candidate c : add) {
            if (find(sorted, c.name) != null) {
                explicit.add(c.name);
            }
        }
        return new Resolution(sorted.stream().map(c -> c.pkg).toList(), explicit, notes);
    }

    // ------------------------------------------------------------------ targets (pacman's sync.c)

    private void processTarget(String target) {
        List<PackageIndex> dbs = resolver.databases();
        String name = target;
        int slash = target.indexOf('/');
        if (slash > 0) {
            String repo = target.substring(0, slash);
            name = target.substring(slash + 1);
            PackageIndex db = dbs.stream().filter(d -> d.name.equals(repo)).findFirst().orElse(null);
            if (db == null) {
                problem(Kind.REPOSITORY_NOT_FOUND, "target '" + target + "': there is no [" + repo + "] repository "
                        + "in " + resolver.databaseNames() + "; fix the repository name or add it to pacman.conf");
                return;
            }
            dbs = List.of(db);
        }
        Relation dep;
        try {
            dep = Relation.parse(name);
        } catch (IllegalArgumentException e) {
            problem(Kind.TARGET_NOT_FOUND, "target '" + target + "' names no package");
            return;
        }
        Candidate pkg = resolveDep(dep, dbs, Selection.EMPTY, true, "target '" + target + "'");
        if (pkg != null) {
            addTarget(pkg, target);
            return;
        }
        List<Candidate> members = groupMembers(dbs, name);
        if (members == null) {
            problem(Kind.TARGET_NOT_FOUND, "target not found: " + target + " (" + whatExists(dep, dbs, Selection.EMPTY)
                    + ")");
            return;
        }
        for (Candidate member : members) {
            addTarget(member, target);
        }
    }

    /** alpm_add_pkg: the same package twice is fine, two packages of one name are not. */
    private void addTarget(Candidate pkg, String target) {
        Candidate existing = find(add, pkg.name);
        if (existing == pkg) {
            return;
        }
        if (existing != null) {
            problem(Kind.DUPLICATE_TARGET, "'" + pkg.name + "': duplicate target: " + existing + " and " + pkg
                    + " (from '" + target + "') are both asked for; ask for one of them");
            return;
        }
        add.add(pkg);
    }

    /** alpm_find_group_pkgs: members of each database in order, the first of each name; null if no such group. */
    private List<Candidate> groupMembers(List<PackageIndex> dbs, String group) {
        List<Candidate> members = null;
        Set<String> names = new HashSet<>();
        for (PackageIndex db : dbs) {
            List<Candidate> g = db.group(group);
            if (g == null) {
                continue;
            }
            if (members == null) {
                members = new ArrayList<>();
            }
            for (Candidate c : g) {
                if (names.add(c.name)) {
                    if (resolver.isIgnored(c)) {
                        notes.add(c + " (group " + group + ") is in IgnorePkg/IgnoreGroup but installed anyway, as "
                                + "pacman --noconfirm answers yes for a package asked for");
                    }
                    members.add(c);
                }
            }
        }
        return members;
    }

    private void checkArchitectures() {
        List<String> accepted = resolver.acceptedArchitectures();
        if (accepted.isEmpty()) {
            return;
        }
        for (Candidate c : add) {
            if (!c.arch.isEmpty() && !c.arch.equals("any") && !accepted.contains(c.arch)) {
                problem(Kind.INVALID_ARCHITECTURE, "package " + c.name + "-" + c.version + "-" + c.arch + " from "
                        + resolver.repositoryOf(c) + " does not have a valid architecture (Architecture = "
                        + String.join(" ", accepted) + ")");
            }
        }
        failIfProblems(Kind.INVALID_ARCHITECTURE, "cannot install " + targets);
    }

    // ------------------------------------------------------------------ dependencies (deps.c)

    /**
     * resolvedep: a package of that name with a good version in the first database that has one, else the
     * providers of all databases, the first found winning (or an installed one).
     *
     * @param prompt true for targets: pacman would ask, and --noconfirm says yes to ignored packages
     */
    private Candidate resolveDep(Relation dep, List<PackageIndex> dbs, Selection excluding, boolean prompt,
                                 String context) {
        for (PackageIndex db : dbs) {
            Candidate c = db.get(dep.name());
            if (c != null && c.isLiterally(dep) && !excluding.has(c.name)) {
                if (resolver.isIgnored(c)) {
                    if (!prompt) {
                        continue;
                    }
                    notes.add(c + " (" + context + ") is in IgnorePkg/IgnoreGroup but installed anyway, as pacman "
                            + "--noconfirm answers yes for a package asked for");
                }
                return c;
            }
        }
        List<Candidate> providers = new ArrayList<>();
        for (PackageIndex db : dbs) {
            for (Candidate c : db.providers(dep.name())) {
                if (!c.name.equals(dep.name()) && c.satisfies(dep) && !excluding.has(c.name)) {
                    if (resolver.isIgnored(c)) {
                        if (!prompt) {
                            continue;
                        }
                        notes.add(c + " (" + context + ") is in IgnorePkg/IgnoreGroup but installed anyway, as "
                                + "pacman --noconfirm answers yes for a package asked for");
                    }
                    providers.add(c);
                }
            }
        }
        for (Candidate p : providers) {
            if (resolver.local().get(p.name) != null) {
                if (providers.size() > 1) {
                    notes.add(context + ": " + dep + " is provided by " + names(providers) + "; took " + p.name
                            + ", which is installed");
                }
                return p;
            }
        }
        if (providers.isEmpty()) {
            return null;
        }
        Candidate first = providers.get(0);
        if (providers.size() > 1) {
            notes.add(context + ": " + dep + " is provided by " + names(providers) + "; took " + first
                    + ", the first found (pacman asks here; --noconfirm takes the first)");
        } else if (prompt) {
            notes.add(context + ": no package is named " + dep.name() + "; took " + first + ", which provides it");
        }
        return first;
    }

    /**
     * _alpm_resolvedeps: adds {@code pkg}, then what its dependencies need; on failure the selection is put back
     * as it was and the root cause is recorded with the chain that leads to it.
     */
    private boolean resolveDeps(Candidate pkg, Selection packages, String chain) {
        if (packages.has(pkg.name)) {
            return true;
        }
        int mark = packages.size();
        packages.add(pkg);
        why.putIfAbsent(pkg, chain);
        boolean ok = true;
        for (Relation dep : pkg.depends) {
            if (!isMissing(pkg, dep) || packages.find(dep) != null) {
                continue;
            }
            Candidate spkg = find(add, dep);
            if (spkg == null) {
                spkg = resolveDep(dep, resolver.databases(), packages, false, chain + " -> " + dep);
            }
            String next = chain + " -> " + dep + (spkg == null || spkg.name.equals(dep.name()) ? "" : " (" + spkg.name + ")");
            if (spkg != null && resolveDeps(spkg, packages, next)) {
                continue;
            }
            if (installedSatisfier(dep) != null) {
                continue;
            }
            if (spkg == null) {
                problems.add(chain + " -> " + dep + " -> not in " + resolver.databaseNames() + "; "
                        + whatExists(dep, resolver.databases(), packages));
            }
            ok = false;
        }
        if (!ok) {
            packages.truncate(mark);
        }
        return ok;
    }

    /**
     * resolvedep over the local database, pacman's last resort for a dependency: an installed package of that name
     * with a good version, else the first installed provider (neither when ignored).
     */
    private Candidate installedSatisfier(Relation dep) {
        Candidate c = resolver.local().get(dep.name());
        if (c != null && c.isLiterally(dep) && !resolver.isIgnored(c)) {
            return c;
        }
        for (Candidate p : resolver.local().providers(dep.name())) {
            if (!p.name.equals(dep.name()) && p.satisfies(dep) && !resolver.isIgnored(p)) {
                return p;
            }
        }
        return null;
    }

    /** alpm_checkdeps for one package: not satisfied by itself, by an installed package or by an assumption. */
    private boolean isMissing(Candidate pkg, Relation dep) {
        if (pkg.satisfies(dep) || Candidate.provisionsSatisfy(resolver.assumed(), dep)) {
            return false;
        }
        for (Candidate l : localpkgs) {
            if (!l.name.equals(pkg.name) && l.satisfies(dep)) {
                return false;
            }
        }
        return true;
    }

    /** The final alpm_checkdeps of _alpm_sync_prepare, with reverse dependencies of installed packages. */
    private void checkDependencies(List<Candidate> transaction, Map<Candidate, Candidate> dropped) {
        List<Candidate> modified = new ArrayList<>();
        List<Candidate> kept = new ArrayList<>();
        for (Candidate l : resolver.installedPackages()) {
            (find(transaction, l.name) != null ? modified : kept).add(l);
        }
        for (Candidate p : transaction) {
            for (Relation dep : p.depends) {
                if (find(transaction, dep) == null && find(kept, dep) == null
                        && !Candidate.provisionsSatisfy(resolver.assumed(), dep)) {
                    String chain = why.getOrDefault(p, p.name);
                    String because = dropped.entrySet().stream().filter(d -> d.getKey().satisfies(dep)).findFirst()
                            .map(d -> "; " + d.getKey() + " would, but it was dropped for conflicting with "
                                    + d.getValue()).orElse("");
                    problems.add("unable to satisfy dependency '" + dep + "' required by " + p.name
                            + (chain.equals(p.name) ? "" : " (" + chain + ")") + because);
                }
            }
        }
        for (Candidate l : kept) {
            for (Relation dep : l.depends) {
                Candidate causing = find(modified, dep);
                if (causing != null && find(transaction, dep) == null && find(kept, dep) == null
                        && !Candidate.provisionsSatisfy(resolver.assumed(), dep)) {
                    Candidate replacement = find(transaction, causing.name);
                    problems.add("installing " + replacement + " breaks dependency '" + dep + "' required by the "
                            + "installed " + l.label());
                }
            }
        }
        failIfProblems(Kind.UNSATISFIED_DEPENDENCY, "cannot install " + targets);
    }

    private void noteForeignArchitectures(List<Candidate> sorted) {
        List<String> accepted = resolver.acceptedArchitectures();
        if (accepted.isEmpty()) {
            return;
        }
        for (Candidate c : sorted) {
            if (!c.arch.isEmpty() && !c.arch.equals("any") && !accepted.contains(c.arch)) {
                notes.add("dependency " + c + " is built for " + c.arch + ", not " + String.join(" ", accepted)
                        + "; pacman checks only the targets' architecture and installs it");
            }
        }
    }

    // ------------------------------------------------------------------ messages

    /** What the databases hold under that name, so a failure says what exists instead. */
    private String whatExists(Relation dep, List<PackageIndex> dbs, Selection chosen) {
        List<String> facts = new ArrayList<>();
        for (PackageIndex db : dbs) {
            Candidate c = db.get(dep.name());
            if (c == null) {
                continue;
            }
            String fact = c.label() + " is in " + db.name;
            if (c.isLiterally(dep) && chosen.has(c.name)) {
                fact += ", but " + chosen.get(c.name) + " was already chosen (" + why.get(chosen.get(c.name)) + ")";
            } else if (c.isLiterally(dep) && resolver.isIgnored(c)) {
                fact += ", but IgnorePkg/IgnoreGroup excludes it";
            }
            facts.add(fact);
        }
        for (PackageIndex db : dbs) {
            for (Candidate c : db.providers(dep.name())) {
                if (!c.name.equals(dep.name())) {
                    String provisions = String.join(", ", c.provides.stream()
                            .filter(p -> p.name().equals(dep.name())).map(Relation::toString).toList());
                    String fact = c.label() + " in " + db.name + " provides " + provisions;
                    if (c.satisfies(dep) && resolver.isIgnored(c)) {
                        fact += ", but IgnorePkg/IgnoreGroup excludes it";
                    } else if (c.satisfies(dep) && chosen.has(c.name)) {
                        fact += ", but " + chosen.get(c.name) + " was already chosen";
                    } else if (dep.op() != Relation.Op.ANY && !c.satisfies(dep) && c.provides.stream()
                            .anyMatch(p -> p.name().equals(dep.name()) && p.op() == Relation.Op.ANY)) {
                        fact += " without a version, which never satisfies a versioned dependency";
                    }
                    facts.add(fact);
                }
            }
        }
        Candidate installed = resolver.local().get(dep.name());
        if (installed != null) {
            facts.add(installed.label() + " is installed");
        }
        if (facts.isEmpty()) {
            return "nothing in " + resolver.databaseNames() + " is named or provides " + dep.name();
        }
        if (facts.size() > 6) {
            int more = facts.size() - 6;
            facts = new ArrayList<>(facts.subList(0, 6));
            facts.add(more + " more");
        }
        return String.join("; ", facts);
    }

    private static String names(List<Candidate> candidates) {
        return String.join(", ", candidates.stream().map(Candidate::toString).toList());
    }

    private void problem(Kind kind, String message) {
        if (problemKind == null) {
            problemKind = kind;
        }
        problems.add(message);
    }

    private void failIfProblems(Kind otherwise, String summary) {
        if (!problems.isEmpty()) {
            throw new ResolutionException(problemKind != null ? problemKind : otherwise, summary, problems);
        }
    }

    static Candidate find(List<Candidate> list, String name) {
        for (Candidate c : list) {
            if (c.name.equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** find_dep_satisfier: the first package of the list that satisfies the relation. */
    static Candidate find(List<Candidate> list, Relation dep) {
        for (Candidate c : list) {
            if (c.satisfies(dep)) {
                return c;
            }
        }
        return null;
    }

    /** The packages resolved so far, in order, with a name index; only grows, so a failure truncates it. */
    private static final class Selection {
        static final Selection EMPTY = new Selection();

        final List<Candidate> list = new ArrayList<>();
        private final Map<String, Candidate> byName = new HashMap<>();

        boolean has(String name) {
            return byName.containsKey(name);
        }

        Candidate get(String name) {
            return byName.get(name);
        }

        Candidate find(Relation dep) {
            return Transaction.find(list, dep);
        }

        int size() {
            return list.size();
        }

        void add(Candidate c) {
            list.add(c);
            byName.putIfAbsent(c.name, c);
        }

        void truncate(int size) {
            while (list.size() > size) {
                Candidate removed = list.remove(list.size() - 1);
                if (byName.get(removed.name) == removed) {
                    byName.remove(removed.name);
                }
            }
        }
    }
}
