package dev.archcore.repo;

import dev.archcore.pacman.Relation;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One database's packages the way libalpm caches them: sorted by name with strcmp (be_sync.c sorts the
 * package cache after reading), so "the first provider" and the order of a group's members are pacman's.
 */
final class PackageIndex {
    static final Comparator<String> STRCMP = (a, b) ->
            Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    final String name;
    final List<Candidate> sorted;
    private final Map<String, Candidate> byName = new HashMap<>();
    private final Map<String, List<Candidate>> byProvision = new HashMap<>();
    private final Map<String, List<Candidate>> byGroup = new HashMap<>();

    PackageIndex(String name, List<RepoPackage> packages, int db) {
        this.name = name;
        List<Candidate> candidates = new ArrayList<>(packages.size());
        for (RepoPackage p : packages) {
            candidates.add(new Candidate(p, db));
        }
        candidates.sort((a, b) -> STRCMP.compare(a.name, b.name)); // a stable merge sort, like alpm_list_msort
        this.sorted = List.copyOf(candidates);
        for (Candidate c : sorted) {
            byName.putIfAbsent(c.name, c);
            for (Relation p : c.provides) {
                List<Candidate> list = byProvision.computeIfAbsent(p.name(), k -> new ArrayList<>());
                if (list.isEmpty() || list.get(list.size() - 1) != c) {
                    list.add(c);
                }
            }
            for (String g : c.groups) {
                byGroup.computeIfAbsent(g, k -> new ArrayList<>()).add(c);
            }
        }
    }

    Candidate get(String packageName) {
        return byName.get(packageName);
    }

    /** Packages with a provision named {@code provisionName}, in cache order. */
    List<Candidate> providers(String provisionName) {
        return byProvision.getOrDefault(provisionName, List.of());
    }

    /** The members of a group in cache order; null when this database has no such group. */
    List<Candidate> group(String group) {
        return byGroup.get(group);
    }
}
