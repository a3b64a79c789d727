package dev.archcore.repo;

import dev.archcore.testing.MirrorServer;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.TestKeys;
import dev.archcore.util.CacheKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

class PackageCacheTest {

    @TempDir
    Path work;

    private static final byte[] CONTENT = "package bytes\n".getBytes(StandardCharsets.UTF_8);
    private static final String SHA = "7a5ec0e57a84d0e5bb9c8f2c4c4ba5c3bfc6b5cdb1c8a8f3d0f5b6b38a7b4b2e";

    @Test
    void putChecksTheHashAndStoresByIt() throws IOException {
        PackageCache cache = new PackageCache(work.resolve("c"), new RecordingLog());
        Path source = Files.write(work.resolve("p.pkg.tar.zst"), CONTENT);
        String sha = PackageCache.sha256Of(source);

        assertThatThrownBy(() -> cache.put(SHA, source)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(sha).hasMessageContaining("is not the expected " + SHA);
        assertThat(cache.contains(SHA, -1)).isFalse();
        assertThat(temporaryFiles(cache)).isEmpty();

        Path entry = cache.put(sha.toUpperCase(), source);
        assertThat(entry).isEqualTo(cache.root().resolve("sha256/" + sha.substring(0, 2) + "/" + sha));
        assertThat(Files.readAllBytes(entry)).isEqualTo(CONTENT);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(entry))).isEqualTo("rw-r--r--");
        assertThat(cache.get(sha)).contains(entry);
        assertThat(cache.contains(sha, CONTENT.length)).isTrue();
        assertThat(cache.contains(sha, CONTENT.length + 1)).isFalse();

        cache.link("p-1-1-any.pkg.tar.zst", sha);
        assertThat(Files.readAllBytes(cache.byName("p-1-1-any.pkg.tar.zst"))).isEqualTo(CONTENT);
        cache.putSignature(sha, new byte[]{1, 2, 3});
        assertThat(cache.signature(sha)).hasValueSatisfying(s -> assertThat(s).containsExactly(1, 2, 3));

        assertThatThrownBy(() -> cache.entry("abc")).hasMessageContaining("'abc' is not a SHA-256");
    }

    @Test
    void anEntryHashedOnceIsTrustedWhileItsInodeIsUnchanged() throws Exception {
        Path root = work.resolve("c");
        PackageCache cache = new PackageCache(root, new RecordingLog());
        Path source = Files.write(work.resolve("p.pkg.tar.zst"), CONTENT);
        String sha = PackageCache.sha256Of(source);
        Path entry = cache.put(sha, source);
        Path stamp = entry.resolveSibling(sha + ".verified");
        assertThat(stamp).exists();

        // hashed as it was written: later uses, in this build or the next, trust the stamp
        assertThat(cache.get(sha)).contains(entry);
        PackageCache next = new PackageCache(root, new RecordingLog());
        assertThat(next.get(sha)).contains(entry);
        assertThat(cache.hashed() + next.hashed()).isZero();

        // a stamp that does not match is ignored: the entry is hashed, and stamped again once it has settled
        Files.writeString(stamp, "garbage\n");
        assertThat(cache.get(sha)).contains(entry);
        assertThat(cache.hashed()).isEqualTo(1);
        assertThat(Files.readString(stamp)).as("changed less than 2 s ago: not stamped").isEqualTo("garbage\n");
        PackageCache later = new PackageCache(root, new RecordingLog(), () -> Instant.now().plusSeconds(60),
                CacheKey.user());
        assertThat(later.get(sha)).contains(entry);
        assertThat(later.get(sha)).contains(entry);
        assertThat(later.hashed()).isEqualTo(1);

        // damaged in place, same size, mtime put back: the write moved the ctime, so it is hashed and dropped
        waitForNextTimestamp(entry);
        FileTime mtime = Files.getLastModifiedTime(entry);
        byte[] damaged = CONTENT.clone();
        damaged[0] ^= 1;
        Files.write(entry, damaged);
        Files.setLastModifiedTime(entry, mtime);
        RecordingLog log = new RecordingLog();
        PackageCache after = new PackageCache(root, log);
        assertThat(after.get(sha)).isEmpty();
        assertThat(after.hashed()).isEqualTo(1);
        assertThat(entry).doesNotExist();
        assertThat(log.lines("WARN")).anyMatch(l -> l.contains("is damaged"));
    }

    @Test
    void aForgedStampDoesNotLetAReplacedEntryThrough() throws Exception {
        Path root = work.resolve("c");
        PackageCache cache = new PackageCache(root, new RecordingLog());
        Path source = Files.write(work.resolve("p.pkg.tar.zst"), CONTENT);
        String sha = PackageCache.sha256Of(source);
        Path entry = cache.put(sha, source);

        // the attacker (who can write the cache, not read ~/.archcore) puts other bytes under the verified name and
        // writes the stamp those bytes' inode gives, as the stamp format says
        byte[] evil = CONTENT.clone();
        evil[0] ^= 1;
        Path stamp = entry.resolveSibling(sha + ".verified");
        for (String format : List.of("archcore-verified-v1 %s", "archcore-verified-v2 %s", "archcore-verified-v2 %s "
                + "0".repeat(64))) {
            Path replacement = Files.write(entry.resolveSibling("evil"), evil);
            Files.move(replacement, entry, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Map<String, Object> a = Files.readAttributes(entry, "unix:size,lastModifiedTime,ctime,ino");
            String forged = String.format(format, sha + " " + a.get("size") + " "
                    + nanos((FileTime) a.get("lastModifiedTime")) + " " + nanos((FileTime) a.get("ctime")) + " "
                    + a.get("ino"));
            Files.writeString(stamp, forged + "\n");
            RecordingLog log = new RecordingLog();
            PackageCache next = new PackageCache(root, log);
            assertThat(next.get(sha)).as(forged).isEmpty();
            assertThat(next.hashed()).isEqualTo(1);
            assertThat(entry).doesNotExist();
            assertThat(log.lines("WARN")).anyMatch(l -> l.contains("is damaged"));
        }
    }

    private static long nanos(FileTime t) {
        return t.toInstant().getEpochSecond() * 1_000_000_000L + t.toInstant().getNano();
    }

    /** Waits until a file written now gets a later ctime than {@code file}'s: file systems keep time in ticks. */
    private void waitForNextTimestamp(Path file) throws IOException, InterruptedException {
        FileTime ctime = (FileTime) Files.getAttribute(file, "unix:ctime");
        Path probe = work.resolve("clock-probe");
        for (int i = 0; i < 10_000; i++) {
            Files.write(probe, new byte[] {(byte) i});
            if (((FileTime) Files.getAttribute(probe, "unix:ctime")).compareTo(ctime) > 0) {
                return;
            }
            Thread.sleep(1);
        }
        fail("the file system's clock did not move on");
    }

    @Test
    void staleTemporaryFilesAreRemovedYoungOnesKept() throws IOException {
        Path root = work.resolve("c");
        new PackageCache(root, new RecordingLog());
        Path stale = Files.write(root.resolve("tmp/download-1.part"), CONTENT);
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minusSeconds(3 * 86_400)));
        Path young = Files.write(root.resolve("tmp/download-2.part"), CONTENT);

        new PackageCache(root, new RecordingLog());
        assertThat(stale).doesNotExist();
        assertThat(young).exists();
    }

    /**
     * A build killed with SIGKILL in the middle of a download leaves only a temporary file: no entry, no
     * by-name link; the next build fetches the package normally.
     */
    @Test
    void aKilledDownloadNeverLooksComplete() throws Exception {
        TestKeys keys = TestKeys.get();
        TestRepository repo = TestRepository.create(work.resolve("repo"), keys);
        PackageCache cache = new PackageCache(work.resolve("cache"), new RecordingLog());
        try (MirrorServer stalling = repo.serveAll(new MirrorServer(MirrorServer.Fault.STALL));
             MirrorServer good = repo.serveAll(new MirrorServer(MirrorServer.Fault.NONE))) {
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", classpath, FetchProcess.class.getName(), cache.root().toString(), repo.database.toString(),
                    keys.keyringDir().toString(), TestKeys.KEYRING, stalling.url())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                // wait (bounded) until the child has half a package in its temporary file
                for (int i = 0; i < 600 && temporaryBytes(cache) == 0; i++) {
                    if (!child.isAlive()) {
                        fail("the fetch process ended early with " + child.exitValue());
                    }
                    Thread.sleep(50);
                }
                assertThat(temporaryBytes(cache)).as("bytes in the child's temporary files").isPositive();
            } finally {
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
            }

            for (RepoPackage pkg : repo.packages.values()) {
                assertThat(cache.contains(pkg.sha256(), -1)).as(pkg.name()).isFalse();
                assertThat(cache.byName(pkg.filename())).doesNotExist();
            }
            assertThat(temporaryFiles(cache)).isNotEmpty().allMatch(p -> p.getFileName().toString().endsWith(".part"));

            RepoPackage pkg = repo.pkg("signed-a");
            PackageFetcher.Fetched got = new PackageFetcher(new PackageCache(cache.root(), new RecordingLog()),
                    Keyring.pacman(keys.keyringDir(), TestKeys.KEYRING), new RecordingLog())
                    .fetch(List.of(new PackageFetcher.Request(pkg, List.of(good.url()), SigLevel.DEFAULT))).get(0);
            assertThat(PackageCache.sha256Of(got.file())).isEqualTo(pkg.sha256());
        }
    }

    private static List<Path> temporaryFiles(PackageCache cache) throws IOException {
        try (Stream<Path> tmp = Files.list(cache.root().resolve("tmp"))) {
            return tmp.toList();
        }
    }

    private static long temporaryBytes(PackageCache cache) throws IOException {
        long total = 0;
        for (Path p : temporaryFiles(cache)) {
            try {
                total += Files.size(p);
            } catch (IOException e) {
                // renamed or removed meanwhile
            }
        }
        return total;
    }
}
