package dev.archcore.repo;

import dev.archcore.testing.SyntheticPackages.Spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generated repositories that exercise what a resolver can get wrong: versioned and unversioned provides,
 * virtual packages with several providers, versioned dependencies only some versions satisfy, epochs, one
 * name in two repositories with different versions, conflicts (also by provision, and the "replaces" pattern
 * of providing and conflicting with the old name), groups, dependency cycles, missing dependencies and a
 * package for a foreign architecture. Same seed, same repositories.
 */
final class SyntheticUniverse {
    static final List<String> REPOS = List.of("core", "extra", "community", "testing");
    static final String[] VERSIONS = {"1.0-1", "1.2-1", "2.0-1", "2.0-2", "1:0.5-1", "3.1rc1-1", "0.9-1", "10.0-1"};
    private static final String[] OPS = {">=", "<", "=", ">", "<="};
    static final int PACKAGES = 70;
    static final int VIRTUALS = 6;
    static final int GROUPS = 4;
    /** Packages from here on depend on nothing. */
    private static final int LEAVES = 55;
    /** Only packages before this one get dependencies that may not be satisfiable. */
    private static final int RISKY = 30;

    final Map<String, List<Spec>> byRepo = new LinkedHashMap<>();
    final List<String> names = new ArrayList<>();
    /** {repository, other repository, name} for names in two repositories. */
    final List<String[]> twins = new ArrayList<>();
    private final Random random;

    SyntheticUniverse(long seed) {
        random = new Random(seed);
        REPOS.forEach(r -> byRepo.put(r, new ArrayList<>()));
        for (int i = 0; i < PACKAGES; i++) {
            generated(i);
        }
        handMade();
    }

    private void generated(int i) {
        String name = String.format("p%02d", i);
        names.add(name);
        Spec spec = Spec.of(name, pick(VERSIONS)).arch(random.nextInt(100) < 2 ? "aarch64"
                : random.nextBoolean() ? "any" : "x86_64");
        // the last packages are leaves, so the few unsatisfiable relations (top packages only) stay local
        int deps = i >= LEAVES ? 0 : weighted(30, 30, 25, 15);
        for (int d = 0; d < deps; d++) {
            spec = spec.depends(dependency(i));
        }
        if (random.nextInt(100) < 22) {
            String virtual = "v" + random.nextInt(VIRTUALS);
            spec = spec.provides(random.nextBoolean() ? virtual : virtual + "=" + pick(VERSIONS));
        }
        if (random.nextInt(100) < 5) {
            spec = spec.provides("libv.so=" + (1 + random.nextInt(2)) + "-64");
        }
        if (random.nextInt(100) < 14) {
            String other = random.nextInt(3) == 0 ? "v" + random.nextInt(VIRTUALS) : String.format("p%02d", random.nextInt(PACKAGES));
            spec = spec.conflicts(random.nextInt(4) == 0 ? other + pick(OPS) + pick(VERSIONS) : other);
        }
        if (random.nextInt(100) < 18) {
            spec = spec.groups("g" + random.nextInt(GROUPS));
            if (random.nextInt(4) == 0) {
                spec = spec.groups("g" + random.nextInt(GROUPS));
            }
        }
        String repo = REPOS.get(weighted(30, 35, 25, 10));
        add(repo, spec);
        if (random.nextInt(100) < 22) { // the same name elsewhere, another version
            String otherRepo = REPOS.get((REPOS.indexOf(repo) + 1 + random.nextInt(REPOS.size() - 1)) % REPOS.size());
            String version = spec.version();
            while (version.equals(spec.version())) {
                version = pick(VERSIONS);
            }
            Spec twin = spec.version(version);
            if (random.nextBoolean() && !twin.depends().isEmpty()) {
                twin = new Spec(twin.name(), twin.version(), twin.arch(), twin.depends().subList(1, twin.depends().size()),
                        twin.provides(), twin.conflicts(), twin.groups());
            }
            add(otherRepo, twin);
            twins.add(new String[] {repo, otherRepo, name});
        }
    }

    private String dependency(int i) {
        boolean risky = i < RISKY;
        int roll = random.nextInt(100);
        if (roll < 74) {
            // mostly deeper packages, sometimes back up: that makes cycles
            int j = random.nextInt(10) == 0 ? random.nextInt(PACKAGES) : i + 1 + random.nextInt(PACKAGES - i - 1);
            String name = String.format("p%02d", j);
            int versioned = random.nextInt(100);
            if (versioned < 12) {
                return name + ">=" + pick(new String[] {"0.1", "1.0", "0.5", "1:0"}); // mostly satisfiable
            }
            return risky && versioned < 30 ? name + pick(OPS) + pick(VERSIONS) : name;
        }
        if (roll < 92) {
            String virtual = "v" + random.nextInt(VIRTUALS);
            return risky && random.nextInt(100) < 35 ? virtual + ">=" + pick(VERSIONS) : virtual;
        }
        if (roll < 97 || !risky) {
            return random.nextBoolean() ? "libv.so=1-64" : "libv.so";
        }
        return "missing" + random.nextInt(5);
    }

    /** Fixed corner cases, next to the random ones. */
    private void handMade() {
        add("core", Spec.of("oldfoo", "1.0-1"));
        add("extra", Spec.of("newfoo", "2.0-1").provides("oldfoo=2.0").conflicts("oldfoo"));
        add("extra", Spec.of("usesfoo", "1.0-1").depends("oldfoo"));
        add("extra", Spec.of("usesnew", "1.0-1").depends("newfoo", "oldfoo>=2"));
        add("community", Spec.of("needs-old-foo", "1.0-1").depends("oldfoo<2"));
        add("core", Spec.of("cyc-a", "1.0-1").depends("cyc-b"));
        add("core", Spec.of("cyc-b", "1.0-1").depends("cyc-c"));
        add("extra", Spec.of("cyc-c", "1.0-1").depends("cyc-a", "selfdep"));
        add("core", Spec.of("selfdep", "1.0-1").depends("selfvirt").provides("selfvirt"));
        add("core", Spec.of("epo", "1:1.0-1"));
        add("extra", Spec.of("epo", "2.0-1"));
        add("community", Spec.of("needs-new-epo", "1.0-1").depends("epo>=1:0"));
        add("community", Spec.of("needs-old-epo", "1.0-1").depends("epo<1:0"));
        add("testing", Spec.of("lonely", "1.0-1").depends("v0=9.9"));
        add("core", Spec.of("ignored-dep", "1.0-1").groups("g1"));
        add("extra", Spec.of("wants-ignored", "1.0-1").depends("ignored-dep"));
        add("testing", Spec.of("sh-a", "1.0-1").provides("shell"));
        add("community", Spec.of("sh-b", "1.0-1").provides("shell"));
        add("extra", Spec.of("sh-c", "1.0-1").provides("shell=2"));
        add("extra", Spec.of("wants-shell", "1.0-1").depends("shell"));
        add("extra", Spec.of("wants-shell2", "1.0-1").depends("shell>=2"));
        add("core", Spec.of("gx-a", "1.0-1").groups("gx"));
        add("testing", Spec.of("gx-a", "2.0-1").groups("gx"));
        add("extra", Spec.of("gx-b", "1.0-1").groups("gx").depends("gx-a>=2"));
        add("testing", Spec.of("gx-c", "1.0-1").groups("gx"));
        add("community", Spec.of("wants-gx", "1.0-1").depends("gx-a"));
        // a provider whose name is already taken by another version is passed over for the next one
        add("core", Spec.of("xa", "1.0-1"));
        add("extra", Spec.of("xa", "2.0-1").provides("xvirt"));
        add("community", Spec.of("xb", "1.0-1").provides("xvirt"));
        add("testing", Spec.of("wants-xvirt", "1.0-1").depends("xvirt"));
        names.addAll(List.of("oldfoo", "newfoo", "usesfoo", "usesnew", "needs-old-foo", "cyc-a", "cyc-b", "cyc-c", "selfdep", "epo",
                "needs-new-epo", "needs-old-epo", "lonely", "ignored-dep", "wants-ignored", "sh-a", "sh-b", "sh-c",
                "wants-shell", "wants-shell2", "gx-a", "gx-b", "gx-c", "wants-gx", "xa", "xb",
                "wants-xvirt"));
    }

    /** One target set: package names, virtual names, relations, repo/name, groups, unknown names, duplicates. */
    List<String> targets(Random r) {
        List<String> targets = new ArrayList<>();
        int count = 1 + r.nextInt(4);
        for (int t = 0; t < count; t++) {
            int roll = r.nextInt(100);
            String target;
            if (roll < 58) {
                target = names.get(r.nextInt(names.size()));
            } else if (roll < 66) {
                target = r.nextInt(5) == 0 ? "shell" : "v" + r.nextInt(VIRTUALS);
            } else if (roll < 74) {
                Spec spec = anySpec(r);
                String version = r.nextBoolean() ? spec.version() : VERSIONS[r.nextInt(VERSIONS.length)];
                target = spec.name() + OPS[r.nextInt(OPS.length)] + version;
            } else if (roll < 82) {
                String repo = REPOS.get(r.nextInt(REPOS.size()));
                List<Spec> inRepo = byRepo.get(repo);
                String name = r.nextInt(4) == 0 ? names.get(r.nextInt(names.size())) : inRepo.get(r.nextInt(inRepo.size())).name();
                target = repo + "/" + name;
            } else if (roll < 89) {
                target = "g" + r.nextInt(GROUPS);
            } else if (roll < 91) {
                target = r.nextBoolean() ? "nothing" + r.nextInt(3) : "norepo/p01";
            } else if (roll < 95 && !targets.isEmpty()) {
                target = targets.get(r.nextInt(targets.size())); // the same target twice is fine
            } else {
                // one name from two repositories, or a name and a relation that pick different packages
                String[] twin = twins.get(r.nextInt(twins.size()));
                targets.add(twin[0] + "/" + twin[2]);
                target = r.nextBoolean() ? twin[1] + "/" + twin[2] : twin[2];
            }
            targets.add(target);
        }
        return targets;
    }

    /** Target sets aimed at the hand-made corner cases; every variant runs all of them. */
    static List<List<String>> fixedSets() {
        return List.of(List.of("oldfoo", "newfoo"), List.of("newfoo", "oldfoo"), List.of("usesfoo", "newfoo"),
                List.of("usesfoo", "usesnew"), List.of("usesnew"), List.of("newfoo", "oldfoo", "needs-old-foo"),
                List.of("needs-old-foo", "newfoo"), List.of("cyc-a"), List.of("cyc-c", "selfdep"), List.of("selfdep"),
                List.of("needs-new-epo", "needs-old-epo"), List.of("needs-old-epo"), List.of("epo", "needs-old-epo"),
                List.of("core/epo", "extra/epo"), List.of("epo>=2"), List.of("epo<2"), List.of("wants-ignored"),
                List.of("g1", "wants-ignored"), List.of("ignored-dep"), List.of("sh-a", "wants-shell"),
                List.of("wants-shell", "sh-a"), List.of("wants-shell", "sh-b"), List.of("wants-shell2", "wants-shell"),
                List.of("shell"), List.of("shell>=2"), List.of("lonely"), List.of("gx"), List.of("testing/gx"),
                List.of("gx", "testing/gx-a"), List.of("gx", "gx-a"), List.of("wants-gx", "testing/gx-a"),
                List.of("xa", "wants-xvirt"), List.of("wants-xvirt"), List.of("extra/xa", "wants-xvirt"));
    }

    /** A package with a conflicts entry and what it conflicts with, as targets, sometimes with one more. */
    List<String> conflictPair(Random r) {
        List<Spec> withConflicts = byRepo.values().stream().flatMap(List::stream)
                .filter(spec -> !spec.conflicts().isEmpty()).toList();
        Spec spec = withConflicts.get(r.nextInt(withConflicts.size()));
        String other = spec.conflicts().get(0);
        List<String> targets = new ArrayList<>(r.nextBoolean() ? List.of(spec.name(), other) : List.of(other, spec.name()));
        if (r.nextBoolean()) {
            targets.add(names.get(r.nextInt(names.size())));
        }
        return targets;
    }

    private Spec anySpec(Random r) {
        List<Spec> repo = byRepo.get(REPOS.get(r.nextInt(REPOS.size())));
        return repo.get(r.nextInt(repo.size()));
    }

    private void add(String repo, Spec spec) {
        byRepo.get(repo).add(spec);
    }

    private String pick(String[] values) {
        return values[random.nextInt(values.length)];
    }

    private int weighted(int... weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int roll = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            roll -= weights[i];
            if (roll < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }
}
