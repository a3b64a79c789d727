package dev.archcore.image;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** How packages fall into layers: within the budget, by origin, stable when other packages change. */
class LayeringTest {

    @Test
    void aOneRepositoryClosureIsSplitOverTheBudget() {
        List<PackageIndex.Loaded> closure = new ArrayList<>();
        for (int i = 0; i < 160; i++) {
            closure.add(pkg("lib" + i, "core", false));
        }
        closure.add(pkg("app", null, true));
        List<Layering.Group> groups = Layering.DEFAULT.assign(closure);

        assertThat(groups).hasSize(7); // 6 dependency parts + the app; the config layer makes 8
        assertThat(groups.subList(0, 6)).allSatisfy(g -> {
            assertThat(g.label()).startsWith("dependencies from core, part ");
            assertThat(g.packages()).hasSizeGreaterThan(10); // 160 names hashed over 6 parts: none starved
        });
        assertThat(groups.get(6).label()).isEqualTo("app");
        assertThat(groups.stream().mapToInt(g -> g.packages().size()).sum()).isEqualTo(161);
    }

    @Test
    void aNewDependencyChangesOnlyItsOwnLayer() {
        List<PackageIndex.Loaded> closure = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            closure.add(pkg("core" + i, "core", false));
            if (i % 4 == 0) {
                closure.add(pkg("extra" + i, "extra", false));
            }
        }
        closure.add(pkg("app", null, true));
        Map<String, Set<String>> before = members(Layering.DEFAULT.assign(closure));
        assertThat(before).hasSize(7); // 2 origins x 3 parts + the app
        assertThat(before.keySet()).allMatch(l -> l.equals("app") || l.matches("dependencies from (core|extra), part [123] of 3"));
        before.forEach((label, names) -> assertThat(names).allMatch(n -> label.equals("app")
                || label.contains(n.replaceAll("[0-9]+$", ""))));

        closure.add(0, pkg("core-new", "core", false));
        Map<String, Set<String>> after = members(Layering.DEFAULT.assign(closure));
        List<String> changed = after.keySet().stream().filter(l -> !after.get(l).equals(before.get(l))).toList();
        assertThat(changed).hasSize(1);
        assertThat(after.get(changed.get(0))).contains("core-new");
    }

    @Test
    void packagesWithoutOriginAreHashedIntoBuckets() {
        List<PackageIndex.Loaded> closure = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            closure.add(pkg("p" + i, null, false));
        }
        List<Layering.Group> groups = new Layering(4).assign(closure);
        assertThat(groups).hasSizeLessThanOrEqualTo(3).allMatch(g -> g.label().startsWith("dependencies, bucket "));
    }

    private static Map<String, Set<String>> members(List<Layering.Group> groups) {
        return groups.stream().collect(Collectors.toMap(Layering.Group::label,
                g -> g.packages().stream().map(PackageIndex.Loaded::name).collect(Collectors.toSet())));
    }

    private static PackageIndex.Loaded pkg(String name, String origin, boolean app) {
        byte[] pkginfo = ("pkgname = " + name + "\npkgver = 1-1\narch = x86_64\n").getBytes(StandardCharsets.UTF_8);
        Path file = Path.of(name + "-1-1-x86_64.pkg.tar.zst");
        PackageIndex index = new PackageIndex("0".repeat(64), 0, pkginfo, null, null, null, List.of(), Map.of(), Map.of());
        return new PackageIndex.Loaded(index, PkgInfo.parse(pkginfo, file.toString()), file,
                new ImagePackage(file, app, origin, List.of(), "0".repeat(64)));
    }
}
