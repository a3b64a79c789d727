package dev.archcore.repo;

import dev.archcore.repo.ResolutionException.Kind;
import dev.archcore.testing.PacmanCli;
import dev.archcore.testing.RepoServer;
import dev.archcore.testing.SyntheticPackages;
import dev.archcore.testing.SyntheticPackages.Spec;
import dev.archcore.testing.Tools;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our resolver against Debian's pacman 6.0.2 on generated repositories (written with our PackageWriter, indexed
 * by the real repo-add, served over file:// and over HTTP on 127.0.0.1).
 *
 * <p>For every target set, {@code pacman -Sp --print-format '%n %v'} is the judge of the closure and its order;
 * pacman's --print skips the conflict checks, so our resolver runs with {@link Resolver#skipConflictChecks()}
 * there. Where the closure holds a conflicts entry, a real {@code pacman -S --dbonly --noconfirm} into a scratch
 * database is the judge as well: it must fail where we fail, and its log gives the order it installed in.
 */
class ResolverDifferentialTest {
    private static final long SEED = 20261127L;
    private static final int TARGET_SETS = 500;
    private static final Pattern INSTALLED = Pattern.compile("\\[ALPM] (?:installed|reinstalled) (\\S+) \\((\\S+)\\)");
    private static final Pattern UPGRADED = Pattern.compile("\\[ALPM] (?:upgraded|downgraded) (\\S+) \\(\\S+ -> (\\S+)\\)");

    @TempDir
    Path tmp;

    /** One pacman setup: its pacman.conf, database directory and what our resolver is told. */
    private record Variant(String name, Path conf, Path dbpath, List<String> pacmanArgs, Resolver resolver,
                           Resolver resolverWithConflicts, boolean hasInstalled) {
    }

    private record Verdict(List<String> packages, Kind failure, String error, List<String> notes) {
        static Verdict ok(List<String> packages) {
            return new Verdict(packages, null, "", List.of());
        }

        static Verdict failed(Kind kind, String error) {
            return new Verdict(List.of(), kind, error, List.of());
        }

        @Override
        public String toString() {
            return failure == null ? String.join(", ", packages) : "FAIL " + failure + " " + error.strip();
        }
    }

    @Test
    void agreesWithPacmanOnGeneratedTargetSets() throws IOException {
        Tools.require("pacman", "repo-add");
        long start = System.nanoTime();
        SyntheticUniverse universe = new SyntheticUniverse(SEED);
        Path repos = writeRepositories(universe);
        long built = System.nanoTime();

        try (RepoServer http = new RepoServer(repos)) {
            List<Variant> variants = variants(repos, http.url());
            long synced = System.nanoTime();

            Random random = new Random(SEED + 1);
            Map<String, Integer> stats = new TreeMap<>();
            List<String> mismatches = new ArrayList<>();
            long pacmanNanos = 0;
            int comparedPackages = 0;
            int largest = 0;
            int pacmanRuns = 0;
            List<List<String>> fixed = SyntheticUniverse.fixedSets();
            int sets = fixed.size() * variants.size() + TARGET_SETS;
            for (int set = 0; set < sets; set++) {
                Variant v = variants.get(set % variants.size());
                int drawn = set - fixed.size() * variants.size();
                List<String> targets = drawn < 0 ? fixed.get(set / variants.size())
                        : drawn % 5 == 4 ? universe.conflictPair(random) : universe.targets(random);

                long t = System.nanoTime();
                Verdict pacman = printJudge(v, targets);
                pacmanNanos += System.nanoTime() - t;
                pacmanRuns++;
                Verdict ours = ours(v.resolver(), targets);
                count(stats, "print " + (pacman.failure() == null ? "ok" : pacman.failure().name()));
                if (pacman.failure() == null) {
                    comparedPackages += pacman.packages().size();
                    largest = Math.max(largest, pacman.packages().size());
                    countNotes(stats, ours.notes());
                }
                if (!same(pacman, ours)) {
                    mismatches.add("[" + v.name() + "] -Sp " + targets + "\n    pacman: " + pacman + "\n    ours:   " + ours);
                    continue;
                }
                if (pacman.failure() == null && (v.hasInstalled() || hasConflictEntries(v.resolver(), targets))) {
                    t = System.nanoTime();
                    Verdict real = installJudge(v, targets, set);
                    pacmanNanos += System.nanoTime() - t;
                    pacmanRuns++;
                    Verdict oursReal = ours(v.resolverWithConflicts(), targets);
                    count(stats, "install " + (real.failure() == null ? "ok" : real.failure().name()));
                    if (real.failure() == null) {
                        countNotes(stats, oursReal.notes().stream().filter(n -> n.startsWith("dropped ")).toList());
                    }
                    if (!same(real, oursReal)) {
                        mismatches.add("[" + v.name() + "] -S --dbonly " + targets + "\n    pacman: " + real
                                + "\n    ours:   " + oursReal);
                    }
                }
            }
            System.out.printf("resolver differential: %d target sets, %d pacman runs (%.1f ms each on average), "
                            + "%d packages compared in order (largest closure %d), %s; repositories built in %d ms, "
                            + "synced in %d ms, total %d ms, %d HTTP requests%n",
                    sets, pacmanRuns, pacmanNanos / 1e6 / pacmanRuns, comparedPackages, largest, stats,
                    (built - start) / 1_000_000,
                    (synced - built) / 1_000_000, (System.nanoTime() - start) / 1_000_000, http.requests());
            assertThat(mismatches).as("target sets where pacman and our resolver differ").isEmpty();
            // the generator must keep producing every kind of outcome, or the comparison proves little
            assertThat(stats).containsKeys("print ok", "print UNSATISFIED_DEPENDENCY", "print TARGET_NOT_FOUND",
                    "print DUPLICATE_TARGET", "print REPOSITORY_NOT_FOUND", "install ok", "install CONFLICT",
                    "install UNSATISFIED_DEPENDENCY", "note: provider choice", "note: dependency cycle",
                    "note: ignored target installed", "note: conflicting package dropped");
        }
    }

    // ------------------------------------------------------------------ setup

    /** Packages written natively, then indexed by the real repo-add, the four repositories in parallel. */
    private Path writeRepositories(SyntheticUniverse universe) throws IOException {
        Path repos = Files.createDirectories(tmp.resolve("repos"));
        universe.byRepo.entrySet().parallelStream().forEach(e -> {
            try {
                Path dir = Files.createDirectories(repos.resolve(e.getKey()));
                List<String> command = PacmanCli.command("repo-add", "-q", dir.resolve(e.getKey() + ".db.tar.gz").toString());
                for (Spec spec : e.getValue()) {
                    command.add(SyntheticPackages.write(spec, dir).toString());
                }
                PacmanCli.run(dir, command).ok("repo-add " + e.getKey());
                if (e.getKey().equals("community")) {
                    reverseEntries(dir.resolve("community.db.tar.gz"));
                }
            } catch (IOException x) {
                throw new UncheckedIOException(x);
            }
        });
        return repos;
    }

    /**
     * repo-add writes entries in name order; other tools need not. pacman sorts each database by name after reading
     * it (be_sync.c), and so must we: one database gets its entries in reverse order to prove it.
     */
    private static void reverseEntries(Path db) throws IOException {
        List<TarArchiveEntry> entries = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new GzipCompressorInputStream(Files.newInputStream(db)))) {
            for (TarArchiveEntry entry; (entry = in.getNextEntry()) != null; ) {
                entries.add(entry);
                contents.add(in.readAllBytes());
            }
        }
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(new GzipCompressorOutputStream(Files.newOutputStream(db)))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (int i = entries.size() - 1; i >= 0; i--) {
                out.putArchiveEntry(entries.get(i));
                out.write(contents.get(i));
                out.closeArchiveEntry();
            }
        }
    }

    private List<Variant> variants(Path repos, String httpUrl) throws IOException {
        List<Variant> variants = new ArrayList<>();
        variants.add(variant("plain", repos, httpUrl, "", List.of()));
        variants.add(variant("ignore", repos, httpUrl, "IgnorePkg = p1? ignored-dep sh-c\nIgnoreGroup = g2\n", List.of()));
        variants.add(variant("assume", repos, httpUrl, "", List.of("v0=2.0", "p30=1.2-1", "libv.so=1-64", "missing1")));
        variants.add(installedVariant(repos, httpUrl));
        return variants;
    }

    private Variant variant(String name, Path repos, String httpUrl, String options, List<String> assumed) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("variant-" + name));
        Path dbpath = Files.createDirectories(dir.resolve("db"));
        // extra comes through a relative Include; pacman resolves it against its working directory, which is dir
        Files.writeString(dir.resolve("mirrorlist"), "# mirrors\nServer = file://" + repos + "/$repo\n");
        String text = "[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n" + options
                + "\n[core]\nServer = file://" + repos + "/$repo\n"
                + "[extra]\nInclude = mirrorlist\n"
                + "[community]\nServer = " + httpUrl + "/$repo\n"
                + "[testing]\nSigLevel = Never\nServer = file://" + repos + "/$repo\n";
        Path conf = dir.resolve("pacman.conf");
        Files.writeString(conf, text);
        PacmanCli.run(dir, "pacman", "--config", conf.toString(), "--dbpath", dbpath.toString(), "-Sy", "--noprogressbar")
                .ok("pacman -Sy for " + name);

        PacmanConf parsed = PacmanConf.read(conf);
        assertThat(parsed.repositories()).extracting(PacmanConf.Repository::name).containsExactlyElementsOf(SyntheticUniverse.REPOS);
        assertThat(parsed.repository("community").orElseThrow().servers()).containsExactly(httpUrl + "/community");
        List<SyncDatabase> dbs = parsed.repositories().stream()
                .map(r -> SyncDatabase.read(r.name(), dbpath.resolve("sync/" + r.name() + ".db"))).toList();
        List<String> args = new ArrayList<>();
        assumed.forEach(a -> args.addAll(List.of("--assume-installed", a)));
        List<RepoPackage> installed = localPackages(dbpath);
        Resolver print = Resolver.of(parsed, dbs).assumeInstalled(assumed).installed(installed).skipConflictChecks();
        Resolver real = Resolver.of(parsed, dbs).assumeInstalled(assumed).installed(installed);
        return new Variant(name, conf, dbpath, args, print, real, !installed.isEmpty());
    }

    /** A database where pacman itself installed a few packages (--dbonly), so targets meet installed packages. */
    private Variant installedVariant(Path repos, String httpUrl) throws IOException {
        Variant base = variant("installed", repos, httpUrl, "", List.of());
        Path dir = base.conf().getParent();
        for (String target : List.of("p40", "p55", "oldfoo", "sh-b", "epo", "p62", "cyc-b", "p20")) {
            runInstall(base, dir, base.dbpath(), List.of(target), tmp.resolve("installed-base.log"));
        }
        Variant v = variant("installed", repos, httpUrl, "", List.of());
        assertThat(localPackages(v.dbpath())).as("packages installed in the installed variant").hasSizeGreaterThan(3);
        return v;
    }

    private static List<RepoPackage> localPackages(Path dbpath) throws IOException {
        Path local = dbpath.resolve("local");
        if (!Files.isDirectory(local)) {
            return List.of();
        }
        List<RepoPackage> packages = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(local)) {
            for (Path dir : dirs.sorted().toList()) {
                Path desc = dir.resolve("desc");
                if (Files.isRegularFile(desc)) {
                    packages.add(new RepoPackage("local", Desc.parse(Files.readString(desc))));
                }
            }
        }
        return packages;
    }

    // ------------------------------------------------------------------ judges

    private Verdict printJudge(Variant v, List<String> targets) {
        List<String> command = PacmanCli.command("pacman", "--config", v.conf().toString(), "--dbpath", v.dbpath().toString(),
                "--noconfirm", "-Sp", "--print-format", "%n %v");
        command.addAll(v.pacmanArgs());
        command.addAll(targets);
        PacmanCli.Output out = PacmanCli.run(v.conf().getParent(), command);
        if (out.exitCode() != 0) {
            return Verdict.failed(kind(out.stderr()), out.stderr());
        }
        return Verdict.ok(out.lines());
    }

    /** A real installation (database only) into a copy of the variant's database: conflicts are checked here. */
    private Verdict installJudge(Variant v, List<String> targets, int set) throws IOException {
        Path scratch = Files.createDirectories(tmp.resolve("scratch-" + set));
        Path dbpath = Files.createDirectories(scratch.resolve("db"));
        Files.createSymbolicLink(dbpath.resolve("sync"), v.dbpath().resolve("sync"));
        Path local = v.dbpath().resolve("local");
        if (Files.isDirectory(local)) {
            copyTree(local, dbpath.resolve("local"));
        }
        Path logFile = scratch.resolve("pacman.log");
        PacmanCli.Output out = runInstall(v, scratch, dbpath, targets, logFile);
        if (out.exitCode() != 0) {
            return Verdict.failed(kind(out.stderr()), out.stderr());
        }
        List<String> installed = new ArrayList<>();
        for (String line : Files.readAllLines(logFile)) {
            Matcher m = INSTALLED.matcher(line);
            Matcher u = UPGRADED.matcher(line);
            if (m.find()) {
                installed.add(m.group(1) + " " + m.group(2));
            } else if (u.find()) {
                installed.add(u.group(1) + " " + u.group(2));
            }
        }
        return Verdict.ok(installed);
    }

    private PacmanCli.Output runInstall(Variant v, Path scratch, Path dbpath, List<String> targets, Path logFile)
            throws IOException {
        Path root = Files.createDirectories(scratch.resolve("root"));
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        List<String> command = PacmanCli.command("pacman", "--config", v.conf().toString(), "--root", root.toString(),
                "--dbpath", dbpath.toString(), "--cachedir", cache.toString(), "--logfile", logFile.toString(),
                "--noconfirm", "--noprogressbar", "--dbonly", "-S");
        command.addAll(v.pacmanArgs());
        command.addAll(targets);
        return PacmanCli.run(v.conf().getParent(), command);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static Verdict ours(Resolver resolver, List<String> targets) {
        try {
            Resolution r = resolver.resolve(targets);
            return new Verdict(r.packages().stream().map(p -> p.name() + " " + p.version()).toList(), null, "", r.notes());
        } catch (ResolutionException e) {
            return Verdict.failed(e.kind(), e.getMessage());
        }
    }

    private static boolean hasConflictEntries(Resolver resolver, List<String> targets) {
        try {
            return resolver.resolve(targets).packages().stream().anyMatch(p -> !p.conflicts().isEmpty());
        } catch (ResolutionException e) {
            return false;
        }
    }

    /** Same packages in the same order, or both failing the same way. */
    private static boolean same(Verdict pacman, Verdict ours) {
        if (pacman.failure() != null || ours.failure() != null) {
            return pacman.failure() == ours.failure();
        }
        return pacman.packages().equals(ours.packages());
    }

    /** The first error pacman reports, as one of our kinds. */
    private static Kind kind(String stderr) {
        Map<Kind, Integer> at = new EnumMap<>(Kind.class);
        find(at, stderr, Kind.TARGET_NOT_FOUND, "error: target not found: ");
        find(at, stderr, Kind.REPOSITORY_NOT_FOUND, "error: database not found: ");
        find(at, stderr, Kind.DUPLICATE_TARGET, "': duplicate target");
        find(at, stderr, Kind.INVALID_ARCHITECTURE, "(package architecture is not valid)");
        find(at, stderr, Kind.UNSATISFIED_DEPENDENCY, "(could not satisfy dependencies)");
        find(at, stderr, Kind.CONFLICT, "(conflicting dependencies)");
        return at.entrySet().stream().min(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElseThrow(() -> new AssertionError("unrecognised pacman failure:\n" + stderr));
    }

    private static void find(Map<Kind, Integer> at, String text, Kind kind, String marker) {
        int i = text.indexOf(marker);
        if (i >= 0) {
            at.put(kind, i);
        }
    }

    /** Which of pacman's silent decisions the compared target sets went through. */
    private static void countNotes(Map<String, Integer> stats, List<String> notes) {
        for (String note : notes) {
            if (note.contains(" is provided by ")) {
                count(stats, "note: provider choice");
            } else if (note.startsWith("dependency cycle")) {
                count(stats, "note: dependency cycle");
            } else if (note.contains("IgnorePkg")) {
                count(stats, "note: ignored target installed");
            } else if (note.startsWith("dropped ")) {
                count(stats, "note: conflicting package dropped");
            }
        }
    }

    private static void count(Map<String, Integer> stats, String key) {
        stats.merge(key, 1, Integer::sum);
    }
}
