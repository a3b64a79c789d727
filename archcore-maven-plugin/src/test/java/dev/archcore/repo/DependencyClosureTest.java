package dev.archcore.repo;

import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.RepoServer;
import dev.archcore.testing.SyntheticPackages;
import dev.archcore.testing.SyntheticPackages.Spec;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Configuration, databases over HTTP, resolution, lock file and fetching together: the closure is what
 * {@code pacman -Sp} prints for the same pacman.conf, a lock pins it until asked to update, and offline mode
 * works from the cache alone.
 */
class DependencyClosureTest {

    @Test
    void closureLockAndOfflineBehaveAsPromised(@TempDir Path tmp) throws IOException {
        Tools.require("pacman");
        Path core = tmp.resolve("srv/core");
        Path extra = tmp.resolve("srv/extra");
        Files.createDirectories(core);
        Files.createDirectories(extra);
        List<Path> corePkgs = new ArrayList<>(List.of(
                SyntheticPackages.write(Spec.of("glibc", "2.40-1"), core),
                SyntheticPackages.write(Spec.of("libfoo", "1.3-1").depends("glibc"), core),
                SyntheticPackages.write(Spec.of("openssl", "3.4-1").depends("glibc").provides("libssl.so=3-64"), core)));
        new RepoWriter(core, "core", 1).add(corePkgs);
        new RepoWriter(extra, "extra", 1).add(List.of(
                SyntheticPackages.write(Spec.of("curl", "8.10-1").depends("libssl.so=3-64", "libfoo>=1.2"), extra),
                SyntheticPackages.write(Spec.of("app-deps", "1-1").depends("curl", "libfoo"), extra)));

        try (RepoServer server = new RepoServer(tmp.resolve("srv"))) {
            Path confFile = tmp.resolve("pacman.conf");
            Files.writeString(confFile, "[options]\nArchitecture = x86_64\nSigLevel = Never\n\n"
                    + "[core]\nServer = " + server.url() + "/$repo\n\n[extra]\nServer = " + server.url() + "/$repo\n");
            PacmanConf conf = PacmanConf.read(confFile);
            Path cache = tmp.resolve("cache");
            Path lock = tmp.resolve("target/archcore/packages.lock.json");
            ClosureRequest request = new ClosureRequest(conf, List.of("app-deps"), Keyring.EMPTY, cache, lock,
                    false, false, Log.NONE);

            DependencyClosure.Result first = DependencyClosure.resolve(request);
            assertThat(names(first)).isEqualTo(pacmanPrint(tmp, confFile, "app-deps"));
            assertThat(names(first)).containsExactly("glibc 2.40-1", "openssl 3.4-1", "libfoo 1.3-1", "curl 8.10-1",
                    "app-deps 1-1");
            assertThat(first.lockReused()).isFalse();
            assertThat(first.explicit()).containsExactly("app-deps");
            assertThat(Files.readString(lock)).contains("\"libfoo\"", "\"sha256\"");
            for (PackageFetcher.Fetched f : first.packages()) {
                assertThat(f.file()).isRegularFile();
                assertThat(f.downloaded()).isTrue();
            }

            // a newer libfoo is published: the lock keeps the build on 1.3 until asked to update
            corePkgs.add(SyntheticPackages.write(Spec.of("libfoo", "1.4-1").depends("glibc"), core));
            new RepoWriter(core, "core", 2).add(List.of(corePkgs.get(3)));
            DependencyClosure.Result locked = DependencyClosure.resolve(request);
            assertThat(locked.lockReused()).isTrue();
            assertThat(names(locked)).contains("libfoo 1.3-1");
            assertThat(locked.packages()).allMatch(f -> !f.downloaded());

            DependencyClosure.Result updated = DependencyClosure.resolve(new ClosureRequest(conf, List.of("app-deps"),
                    Keyring.EMPTY, cache, lock, true, false, Log.NONE));
            assertThat(names(updated)).contains("libfoo 1.4-1").isEqualTo(pacmanPrint(tmp, confFile, "app-deps"));
            assertThat(Files.readString(lock)).contains("1.4-1").doesNotContain("1.3-1");

            // changed targets resolve again
            DependencyClosure.Result other = DependencyClosure.resolve(new ClosureRequest(conf, List.of("openssl"),
                    Keyring.EMPTY, cache, lock, false, false, Log.NONE));
            assertThat(other.lockReused()).isFalse();
            assertThat(names(other)).containsExactly("glibc 2.40-1", "openssl 3.4-1");
        }

        // the server is gone: offline mode works from the cache, for the locked closure
        PacmanConf conf = PacmanConf.read(tmp.resolve("pacman.conf"));
        DependencyClosure.Result offline = DependencyClosure.resolve(new ClosureRequest(conf, List.of("openssl"),
                Keyring.EMPTY, tmp.resolve("cache"), tmp.resolve("target/archcore/packages.lock.json"), false, true,
                Log.NONE));
        assertThat(names(offline)).containsExactly("glibc 2.40-1", "openssl 3.4-1");

        // ... and says what is missing when the cache does not have it
        Throwable missing = catchThrowable(() -> DependencyClosure.resolve(new ClosureRequest(conf,
                List.of("openssl"), Keyring.EMPTY, tmp.resolve("empty-cache"), null, false, true, Log.NONE)));
        assertThat(missing).isInstanceOf(FetchException.class).hasMessageContaining("offline").hasMessageContaining("core");
    }

    @Test
    void aLockWithEveryPackageCachedNeedsNoDatabase(@TempDir Path tmp) throws IOException {
        Path core = tmp.resolve("srv/core");
        Files.createDirectories(core);
        new RepoWriter(core, "core", 1).add(List.of(
                SyntheticPackages.write(Spec.of("glibc", "2.40-1"), core),
                SyntheticPackages.write(Spec.of("libfoo", "1.3-1").depends("glibc"), core)));
        Path cache = tmp.resolve("cache");
        Path lock = tmp.resolve("lock.json");
        PacmanConf conf;
        try (RepoServer server = new RepoServer(tmp.resolve("srv"))) {
            Path confFile = tmp.resolve("pacman.conf");
            Files.writeString(confFile, "[options]\nArchitecture = x86_64\nSigLevel = Never\n[core]\nServer = "
                    + server.url() + "/$repo\n");
            conf = PacmanConf.read(confFile);
            DependencyClosure.resolve(new ClosureRequest(conf, List.of("libfoo"), Keyring.EMPTY, cache, lock, false,
                    false, Log.NONE));
        }
        // the server is gone, and this is not offline mode: the lock and the cache are enough
        RecordingLog log = new RecordingLog();
        DependencyClosure.Result again = DependencyClosure.resolve(new ClosureRequest(conf, List.of("libfoo"),
                Keyring.EMPTY, cache, lock, false, false, log));
        assertThat(names(again)).containsExactly("glibc 2.40-1", "libfoo 1.3-1");
        assertThat(again.lockReused()).isTrue();
        assertThat(log.lines()).anyMatch(l -> l.contains("all in the package cache")).noneMatch(l -> l.contains("database"));

        // a cached file damaged on disk (same size) is not trusted: writing it changed its inode's stamp, so its
        // SHA-256 is checked again, the entry is dropped, and the database is needed to fetch it (the server is gone)
        PackageFetcher.Fetched glibc = again.packages().get(0);
        byte[] bytes = Files.readAllBytes(glibc.file());
        bytes[bytes.length / 2] ^= 1;
        Files.write(glibc.file(), bytes);
        RecordingLog damagedLog = new RecordingLog();
        Throwable damaged = catchThrowable(() -> DependencyClosure.resolve(new ClosureRequest(conf,
                List.of("libfoo"), Keyring.EMPTY, cache, lock, false, false, damagedLog)));
        assertThat(damaged).isInstanceOf(FetchException.class).hasMessageContaining("core")
                .hasMessageNotContaining("offline");
        assertThat(damagedLog.lines("WARN")).anyMatch(l -> l.contains("damaged"));
    }

    @Test
    void anUnresolvableTargetNamesTheChain(@TempDir Path tmp) throws IOException {
        Path core = tmp.resolve("srv/core");
        Files.createDirectories(core);
        new RepoWriter(core, "core", 1).add(List.of(
                SyntheticPackages.write(Spec.of("libfoo", "1.3-1"), core),
                SyntheticPackages.write(Spec.of("demo-deps", "1-1").depends("libfoo>=2"), core)));
        Path confFile = tmp.resolve("pacman.conf");
        Files.writeString(confFile, "[options]\nArchitecture = x86_64\nSigLevel = Never\n[core]\nServer = file://"
                + tmp.resolve("srv") + "/$repo\n");
        Throwable error = catchThrowable(() -> DependencyClosure.resolve(new ClosureRequest(PacmanConf.read(confFile),
                List.of("demo-deps"), Keyring.EMPTY, tmp.resolve("cache"), tmp.resolve("lock.json"), false, false,
                Log.NONE)));
        assertThat(error).isInstanceOf(ResolutionException.class)
                .hasMessageContaining("demo-deps -> libfoo>=2")
                .hasMessageContaining("libfoo 1.3-1 is in core");
        assertThat(tmp.resolve("lock.json")).as("nothing is locked when resolution fails").doesNotExist();
    }

    @Test
    void parallelDownloadsOfPacmanConfBoundsTheDownloadsAtOnce(@TempDir Path tmp) throws IOException {
        Path core = tmp.resolve("srv/core");
        Files.createDirectories(core);
        List<Path> pkgs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pkgs.add(SyntheticPackages.write(Spec.of("lib" + i, "1.0-1"), core));
            names.add("lib" + i);
        }
        pkgs.add(SyntheticPackages.write(Spec.of("all-deps", "1-1").depends(names.toArray(String[]::new)), core));
        new RepoWriter(core, "core", 1).add(pkgs);
        // every answer waits 300 ms, so downloads sent at once are answered at once: the server counts them
        try (RepoServer server = new RepoServer(tmp.resolve("srv"), 300)) {
            Path confFile = tmp.resolve("pacman.conf");
            Files.writeString(confFile, "[options]\nArchitecture = x86_64\nSigLevel = Never\nParallelDownloads = 2\n"
                    + "[core]\nServer = " + server.url() + "/$repo\n");
            PacmanConf conf = PacmanConf.read(confFile);
            assertThat(conf.parallelDownloads()).hasValue(2);
            DependencyClosure.Result result = DependencyClosure.resolve(new ClosureRequest(conf, List.of("all-deps"),
                    Keyring.EMPTY, tmp.resolve("cache"), tmp.resolve("lock.json"), false, false, Log.NONE));
            assertThat(result.packages()).hasSize(9).allMatch(PackageFetcher.Fetched::downloaded);
            assertThat(server.mostInFlight()).as("requests the server answered at once").isEqualTo(2);
        }
    }

    @Test
    void parallelDownloadsMustBeAPositiveNumberAsPacmanSays(@TempDir Path tmp) throws IOException {
        Tools.require("pacman");
        Files.createDirectories(tmp.resolve("db"));
        for (String value : List.of("0", "-3", "two", "3x")) {
            Path confFile = tmp.resolve("pacman-" + value + ".conf");
            Files.writeString(confFile, "[options]\nArchitecture = x86_64\nParallelDownloads = " + value + "\n");
            Throwable ours = catchThrowable(() -> PacmanConf.read(confFile));
            assertThat(ours).isInstanceOf(PacmanConfException.class)
                    .hasMessageContaining(confFile + " line 3").hasMessageContaining("ParallelDownloads")
                    .hasMessageContaining("'" + value + "'");
            // pacman refuses the same file
            Tools.Output theirs = Tools.run(tmp, java.util.Map.of(), List.of("pacman", "--config", confFile.toString(),
                    "--dbpath", tmp.resolve("db").toString(), "-Qq"));
            assertThat(theirs.text()).as("pacman on ParallelDownloads = %s", value)
                    .containsPattern("line 3: (invalid value for|value for) 'ParallelDownloads' (has to be positive )?: '"
                            + java.util.regex.Pattern.quote(value) + "'");
        }
        assertThat(DependencyClosure.downloadConcurrency(PacmanConf.parse("[options]\nParallelDownloads = 99\n", "x",
                null), Log.NONE)).isEqualTo(PackageFetcher.MAX_CONCURRENCY);
        assertThat(DependencyClosure.downloadConcurrency(PacmanConf.parse("[options]\n", "x", null), Log.NONE))
                .isEqualTo(PackageFetcher.DEFAULT_CONCURRENCY);
    }

    private static List<String> names(DependencyClosure.Result result) {
        return result.packages().stream().map(f -> f.pkg().name() + " " + f.pkg().version()).toList();
    }

    /** What pacman itself resolves for the same pacman.conf. */
    private static List<String> pacmanPrint(Path tmp, Path conf, String... targets) throws IOException {
        Path db = Files.createDirectories(tmp.resolve("pacman-db-" + System.nanoTime()));
        List<String> sync = new ArrayList<>(List.of("pacman", "--config", conf.toString(), "--dbpath", db.toString(),
                "--noconfirm", "-Sy"));
        Tools.run(tmp, java.util.Map.of(), Tools.asRoot(sync.toArray(String[]::new))).ok("pacman -Sy");
        List<String> print = new ArrayList<>(List.of("pacman", "--config", conf.toString(), "--dbpath", db.toString(),
                "--noconfirm", "-Sp", "--print-format", "%n %v"));
        print.addAll(List.of(targets));
        return Tools.run(tmp, java.util.Map.of(), print).ok("pacman -Sp").text().lines().filter(l -> !l.isBlank()).toList();
    }
}
