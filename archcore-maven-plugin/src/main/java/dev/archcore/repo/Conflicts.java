package dev.archcore.repo;

import dev.archcore.pacman.Relation;
import dev.archcore.repo.ResolutionException.Kind;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The conflict checks of _alpm_sync_prepare (conflict.c): every package's conflicts entries against the others,
 * by name or provision. When one of a conflicting pair provides the other's name, pacman drops the other and goes
 * on; any other conflict stops the transaction, as does one with an installed package (--noconfirm answers no to
 * removing it).
 */
final class Conflicts {
    private record Conflict(Candidate first, Candidate second, Relation reason) {
    }

    private final Map<Candidate, String> why;
    private final List<String> notes;

    Conflicts(Map<Candidate, String> why, List<String> notes) {
        this.why = why;
        this.notes = notes;
    }

    /**
     * Checks the transaction in place, dropping packages as pacman does; throws on a conflict it cannot settle.
     *
     * @return each dropped package with the one it made way for
     */
    Map<Candidate, Candidate> check(List<Candidate> transaction, List<Candidate> installed) {
        Map<Candidate, Candidate> dropped = new IdentityHashMap<>();
        List<Conflict> inner = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        collect(transaction, transaction, false, inner, seen);
        for (Conflict c : inner) {
            Candidate sync1 = Transaction.find(transaction, c.first.name);
            Candidate sync2 = Transaction.find(transaction, c.second.name);
            if (sync1 == null || sync2 == null) {
                continue; // one of them was dropped already
            }
            Candidate keep;
            Candidate drop;
            if (sync1.satisfies(Resolver.anyVersionOf(sync2.name))) {
                keep = sync1;
                drop = sync2;
            } else if (sync2.satisfies(Resolver.anyVersionOf(sync1.name))) {
                keep = sync2;
                drop = sync1;
            } else {
                throw new ResolutionException(Kind.CONFLICT, "unresolvable package conflicts",
                        List.of(describe(c, false)));
            }
            notes.add("dropped " + drop + " because it conflicts with " + keep + ", which provides "
                    + drop.name + " (pacman removes it from the targets the same way)");
            transaction.remove(drop);
            dropped.put(drop, keep);
        }

        // installed packages not replaced by the transaction; a dropped target's installed copy is among them
        List<Candidate> localpkgs = installed.stream().filter(l -> Transaction.find(transaction, l.name) == null).toList();
        List<Conflict> outer = new ArrayList<>();
        seen.clear();
        collect(transaction, localpkgs, false, outer, seen);
        collect(localpkgs, transaction, true, outer, seen);
        if (!outer.isEmpty()) {
            throw new ResolutionException(Kind.CONFLICT, "the packages conflict with installed packages",
                    outer.stream().map(c -> describe(c, true)).toList());
        }
        return dropped;
    }

    /** check_conflict: conflicts entries of list1's packages matched against list2's, first-found order kept. */
    private static void collect(List<Candidate> list1, List<Candidate> list2, boolean reversed, List<Conflict> out,
                                Set<String> seen) {
        for (Candidate p1 : list1) {
            for (Relation entry : p1.conflicts) {
                for (Candidate p2 : list2) {
                    if (p1.name.equals(p2.name) || !p2.satisfies(entry)) {
                        continue;
                    }
                    Conflict c = reversed ? new Conflict(p2, p1, entry) : new Conflict(p1, p2, entry);
                    if (seen.add(c.first.name + "\0" + c.second.name)) {
                        out.add(c);
                    }
                }
            }
        }
    }

    private String describe(Conflict c, boolean withInstalled) {
        Candidate owner = c.first.conflicts.contains(c.reason) ? c.first : c.second;
        Candidate other = owner == c.first ? c.second : c.first;
        return c.first + origin(c.first) + " and " + c.second + origin(c.second) + " are in conflict: "
                + owner.name + " has conflicts = " + c.reason + ", which " + other.name
                + (other.name.equals(c.reason.name()) ? " matches" : " matches through its provides")
                + (withInstalled ? "; remove the installed package first" : "; leave one of them out");
    }

    private String origin(Candidate c) {
        if (c.db < 0) {
            return " (installed)";
        }
        String chain = why.get(c);
        return chain == null || chain.equals(c.name) ? " (asked for)" : " (needed by " + chain + ")";
    }
}
