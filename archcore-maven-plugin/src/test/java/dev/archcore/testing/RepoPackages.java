package dev.archcore.testing;

import dev.archcore.pacman.Compression;
import dev.archcore.pacman.PackageMetadata;
import dev.archcore.pacman.PackageTree;
import dev.archcore.pacman.PackageWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Packages for repository tests, written straight by {@link PackageWriter} (milliseconds each, no PKGBUILD):
 * a fixed catalogue with every kind of metadata repo-add and pacman handle.
 */
public final class RepoPackages {
    public static final long BUILDDATE = 1_700_000_000L;

    private RepoPackages() {
    }

    /** What one package says and holds: {@code files} maps a path to its content (a path ending in / is a directory). */
    public record Spec(String name, String base, String version, String desc, String url, String arch,
                       List<String> licenses, List<String> groups, List<String> replaces, List<String> conflicts,
                       List<String> provides, List<String> depends, List<String> optdepends,
                       List<String> makedepends, List<String> checkdepends, Map<String, String> files,
                       Compression compression) {

        public String fileName() {
            return name + "-" + version + "-" + arch + compression.extension();
        }

        public Spec withVersion(String newVersion) {
            return new Spec(name, base, newVersion, desc, url, arch, licenses, groups, replaces, conflicts, provides,
                    depends, optdepends, makedepends, checkdepends, files, compression);
        }

        public Spec withFile(String path, String content) {
            Map<String, String> f = new LinkedHashMap<>(files);
            f.put(path, content);
            return new Spec(name, base, version, desc, url, arch, licenses, groups, replaces, conflicts, provides,
                    depends, optdepends, makedepends, checkdepends, f, compression);
        }
    }

    public static Spec simple(String name, String version) {
        return new Spec(name, name, version, "The " + name + " package", "https://example.invalid/" + name, "x86_64",
                List.of("MIT"), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                Map.of("usr/share/" + name + "/README", name + " " + version + "\n"), Compression.ZSTD);
    }

    /**
     * About 50 packages: a small installable closure ({@code app} needs {@code libcore>=1.0} and
     * {@code virtual-thing}, which {@code provider} provides), hand-written corner cases (epochs, empty url, no
     * files, odd file names, whitespace and {@code =} in values, unicode) and generated ones mixing every field.
     */
    public static List<Spec> catalogue() {
        List<Spec> specs = new ArrayList<>();
        specs.add(new Spec("app", "app", "1:2.0.1-3", "The   application,\twith  tabs", "https://example.invalid/app",
                "x86_64", List.of("MIT", "Apache-2.0", "custom:Example"), List.of("archcore-apps", "archcore-all"),
                List.of("old-app", "app-legacy<2"), List.of("other-app", "app-ng>=3"), List.of("application=2.0.1"),
                List.of("libcore>=1.0", "virtual-thing"), List.of("curl: fetch   over HTTP", "jq>=1.6: filter JSON", "bash"),
                List.of("make", "gcc>=12"), List.of("python"),
                files("usr/bin/app", "#!/bin/sh\necho app\n", "etc/app/app.conf", "port=8080\n",
                        "usr/share/doc/app/", null), Compression.ZSTD));
        specs.add(new Spec("libcore", "core-base", "1.4.2-1", "Core library", "https://example.invalid/core", "x86_64",
                List.of("LGPL-2.1-or-later"), List.of("archcore-all"), List.of(), List.of("libcore-git"),
                List.of("libcore.so=1-64", "libcore-headers=1.4.2"), List.of(), List.of(), List.of("cmake"), List.of(),
                files("usr/lib/libcore.so.1", "ELF?", "usr/include/core.h", "int core(void);\n"), Compression.XZ));
        specs.add(new Spec("provider", "provider", "0.9-2", "Provides a virtual thing", "", "any", List.of(), List.of(),
                List.of(), List.of(), List.of("virtual-thing", "thing-api=3"), List.of(), List.of(), List.of(), List.of(),
                files("usr/share/provider/thing.txt", "thing\n"), Compression.GZIP));
        specs.add(new Spec("empty-meta", "empty-meta", "2:0.0.1-10", "A package without files", "", "any", List.of(),
                List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), Map.of(),
                Compression.ZSTD));
        specs.add(new Spec("oddnames", "oddnames", "1.0rc1-1.1", "word=", "https://example.invalid/odd?x=1&y=2",
                "x86_64", List.of("BSD-3-Clause"), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(),
                files("usr/share/odd/with space", "1", "usr/share/odd/back\\slash", "2", "usr/share/odd/tab\there", "3",
                        "usr/share/odd/ünïcødé-日本", "4", "usr/share/odd/.hidden", "5", "usr/share/odd/link#hash=x", "6"),
                Compression.NONE));
        specs.add(new Spec("unicode-desc", "unicode-desc", "20240101.r12.gabcdef0-1",
                "Ünïcødé — 日本語の説明 and   spaces  ", "https://example.invalid/ü", "x86_64",
                List.of("GPL-3.0-or-later", "CC-BY-SA-4.0"), List.of("archcore-all"), List.of(), List.of(), List.of(),
                List.of(), List.of("app: for the app", "libcore=1.4.2-1: pinned"), List.of(), List.of(),
                files("usr/share/unicode/ü.txt", "ü\n"), Compression.ZSTD));
        specs.add(new Spec("equals-desc", "equals-desc", "3.0-1", "a = b = c", "https://example.invalid/eq", "any",
                List.of("MIT"), List.of(), List.of(), List.of("x=1", "y<=2", "z>3"), List.of("eq-virtual"),
                List.of("libcore<2", "provider>0.1"), List.of(), List.of(), List.of("check-tool>=1:1.0"),
                files("usr/share/eq/eq", "="), Compression.ZSTD));

        Random random = new Random(20260101);
        String[] licenses = {"MIT", "GPL-2.0-only", "Apache-2.0", "BSD-2-Clause", "custom"};
        String[] groups = {"archcore-gen", "archcore-all", "base-devel-ish"};
        String[] ops = {"", ">=", "<=", "=", "<", ">"};
        Compression[] compressions = {Compression.ZSTD, Compression.XZ, Compression.GZIP, Compression.NONE};
        for (int i = 0; i < 44; i++) {
            String name = String.format("gen-%02d%s", i, i % 7 == 0 ? "-tools" : "");
            String version = (i % 5 == 0 ? (1 + i % 3) + ":" : "") + (i % 4) + "." + i + (i % 6 == 0 ? "a" : "")
                    + "-" + (1 + i % 3);
            List<String> lic = pick(random, licenses, random.nextInt(4));
            List<String> grp = pick(random, groups, random.nextInt(3));
            List<String> rel = new ArrayList<>();
            for (int d = 0; d < random.nextInt(5); d++) {
                String op = ops[random.nextInt(ops.length)];
                rel.add("dep" + random.nextInt(30) + (op.isEmpty() ? "" : op + random.nextInt(5) + "." + d));
            }
            List<String> opt = new ArrayList<>();
            for (int d = 0; d < random.nextInt(3); d++) {
                opt.add("opt" + random.nextInt(9) + (random.nextBoolean() ? ": optional  feature " + d : ""));
            }
            Map<String, String> f = new LinkedHashMap<>();
            f.put("usr/share/" + name + "/", null);
            for (int k = 0; k < 1 + random.nextInt(4); k++) {
                f.put("usr/share/" + name + "/file" + k + ".txt", "content " + i + " " + k + "\n".repeat(k * 100));
            }
            specs.add(new Spec(name, i % 3 == 0 ? "gen-base" : name, version,
                    "Generated package number " + i + (i % 2 == 0 ? "  with   extra spaces" : ""),
                    i % 8 == 0 ? "" : "https://example.invalid/gen/" + i, i % 4 == 0 ? "any" : "x86_64", lic, grp,
                    i % 9 == 0 ? List.of("gen-old-" + i) : List.of(),
                    i % 4 == 1 ? List.of("gen-conflict-" + i, "gen-" + (i + 1) + "<1.0") : List.of(),
                    i % 3 == 1 ? List.of("gen-virtual=" + i, "libgen" + i + ".so=" + i + "-64") : List.of(),
                    rel, opt, i % 5 == 2 ? List.of("make", "go>=1.21") : List.of(),
                    i % 6 == 3 ? List.of("check" + i) : List.of(), f, compressions[i % compressions.length]));
        }
        return specs;
    }

    private static List<String> pick(Random random, String[] from, int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String v = from[random.nextInt(from.length)];
            if (!out.contains(v)) {
                out.add(v);
            }
        }
        return out;
    }

    private static Map<String, String> files(String... pathsAndContents) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            m.put(pathsAndContents[i], pathsAndContents[i + 1]);
        }
        return m;
    }

    /** Writes the package into {@code outDir} (its tree is built under {@code outDir/.trees}). */
    public static Path write(Spec spec, Path outDir) {
        try {
            Path tree = Files.createDirectories(outDir.resolve(".trees").resolve(spec.name() + "-" + spec.version()));
            for (Map.Entry<String, String> f : spec.files().entrySet()) {
                Path p = tree.resolve(f.getKey());
                if (f.getValue() == null) {
                    Files.createDirectories(p);
                } else {
                    Files.createDirectories(p.getParent());
                    Files.writeString(p, f.getValue());
                    if (f.getKey().startsWith("usr/bin/")) {
                        p.toFile().setExecutable(true, false);
                    }
                }
            }
            PackageTree scanned = PackageTree.scan(tree);
            PackageMetadata metadata = new PackageMetadata(spec.name(), spec.base(), spec.version(), spec.desc(),
                    spec.url(), BUILDDATE, "Archcore Tests <tests@example.invalid>", scanned.installedSize(),
                    spec.arch(), spec.licenses(), spec.replaces(), spec.groups(), spec.conflicts(), spec.provides(),
                    List.of(), spec.depends(), spec.optdepends(), spec.makedepends(), spec.checkdepends(),
                    new PackageMetadata.BuildInfo("0".repeat(64), "/build", "/startdir", "archcore", "test",
                            List.of(), List.of(), List.of()));
            Path target = outDir.resolve(spec.fileName());
            new PackageWriter(spec.compression(), spec.compression().defaultLevel())
                    .write(scanned, metadata, List.of(), "archcore tests", BUILDDATE, target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Path> writeAll(List<Spec> specs, Path outDir) {
        return specs.stream().map(s -> write(s, outDir)).toList();
    }
}
