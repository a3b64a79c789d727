package dev.archcore.image;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How packages are spread over layers, like apko's origin layering with a budget: the app packages in one
 * layer on top, the generated config layer above it, and the dependencies in at most {@code budget - 2}
 * layers below. Dependencies are grouped by repository when every one has an origin and the repositories fit
 * the budget, each repository split by a hash of the package name into as many parts as the budget allows;
 * otherwise each package goes to a bucket chosen by a hash of its name. Either way a package's layer depends
 * only on the packages sharing it, so an app-only change (or one dependency's update) leaves every other layer
 * byte-identical. containerd caps an image at 127 layers; apko suggests about 10.
 */
public record Layering(int budget) {
    public static final Layering DEFAULT = new Layering(8);

    public Layering {
        if (budget < 3 || budget > 100) {
            throw new ImageBuildException("layer budget must be between 3 and 100, not " + budget);
        }
    }

    /** One package layer: its packages in install order. */
    public record Group(String label, List<PackageIndex.Loaded> packages) {
    }

    List<Group> assign(List<PackageIndex.Loaded> packages) {
        List<PackageIndex.Loaded> deps = packages.stream().filter(p -> !p.request().app()).toList();
        List<PackageIndex.Loaded> apps = packages.stream().filter(p -> p.request().app()).toList();
        int buckets = Math.max(1, budget - 1 - (apps.isEmpty() ? 0 : 1));
        boolean allHaveOrigin = deps.stream().allMatch(p -> p.request().origin() != null);
        List<String> origins = deps.stream().map(p -> Objects.requireNonNullElse(p.request().origin(), ""))
                .distinct().sorted().toList();
        boolean byOrigin = allHaveOrigin && origins.size() <= buckets;
        // the spare budget splits each origin by name: a closure from one repository (the usual case) becomes
        // several layers that build on all cores, and an updated package rebuilds only its part
        int parts = byOrigin ? buckets / Math.max(1, origins.size()) : 1;
        Map<Integer, List<PackageIndex.Loaded>> byIndex = new TreeMap<>();
        for (PackageIndex.Loaded p : deps) {
            int index = byOrigin ? origins.indexOf(p.request().origin()) * parts + bucket(p.name(), parts)
                    : bucket(allHaveOrigin ? p.request().origin() : p.name(), buckets);
            byIndex.computeIfAbsent(index, k -> new ArrayList<>()).add(p);
        }
        List<Group> groups = new ArrayList<>();
        byIndex.forEach((index, list) -> groups.add(new Group(byOrigin
                ? "dependencies from " + origins.get(index / parts)
                        + (parts > 1 ? ", part " + (index % parts + 1) + " of " + parts : "")
                : "dependencies, bucket " + (index + 1) + " of " + buckets, List.copyOf(list))));
        if (!apps.isEmpty()) {
            groups.add(new Group("app", apps));
        }
        return groups;
    }

    private static int bucket(String name, int buckets) {
        byte[] h = Digests.sha256().digest(name.getBytes(StandardCharsets.UTF_8));
        long v = ((h[0] & 0xffL) << 24) | ((h[1] & 0xffL) << 16) | ((h[2] & 0xffL) << 8) | (h[3] & 0xffL);
        return (int) (v % buckets);
    }
}
