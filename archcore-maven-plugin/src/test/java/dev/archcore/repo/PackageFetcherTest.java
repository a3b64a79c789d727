package dev.archcore.repo;

import dev.archcore.repo.SignatureCheck.Status;
import dev.archcore.testing.MirrorServer;
import dev.archcore.testing.MirrorServer.Fault;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.TestKeys;
import dev.archcore.util.VerifiedFile;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link PackageFetcher} against real HTTP mirrors on 127.0.0.1 serving a repository made by the real repo-add,
 * with signatures by real gpg keys: what is accepted, what is refused (and that nothing refused is cached), server
 * fall-through on every kind of fault, damaged cache entries, concurrent builds and offline mode.
 */
class PackageFetcherTest {

    private static final SigLevel REQUIRED = SigLevel.DEFAULT;
    private static final SigLevel OPTIONAL = SigLevel.parse(List.of("Optional"), SigLevel.DEFAULT);

    @TempDir
    static Path shared;

    @TempDir
    Path work;

    private static TestKeys keys;
    private static Keyring keyring;
    private static TestRepository repo;

    private final List<MirrorServer> servers = new ArrayList<>();
    private RecordingLog log;
    private PackageCache cache;
    private MirrorServer mirror;

    @BeforeAll
    static void repository() {
        keys = TestKeys.get();
        keyring = Keyring.pacman(keys.keyringDir(), TestKeys.KEYRING);
        repo = TestRepository.create(shared.resolve("repo"), keys);
    }

    @BeforeEach
    void setUp() {
        log = new RecordingLog();
        cache = new PackageCache(work.resolve("cache"), log);
        mirror = server(Fault.NONE);
    }

    @AfterEach
    void stopServers() {
        servers.forEach(MirrorServer::close);
    }

    private MirrorServer server(Fault fault) {
        MirrorServer s = repo.serveAll(new MirrorServer(fault));
        servers.add(s);
        return s;
    }

    private PackageFetcher fetcher() {
        // a short read timeout so that the SLOW mirror is given up quickly
        OkHttpClient client = new OkHttpClient.Builder().readTimeout(Duration.ofMillis(700)).build();
        return new PackageFetcher(cache, keyring, log).client(client);
    }

    private static PackageFetcher.Request request(String name, SigLevel level, String... servers) {
        return new PackageFetcher.Request(repo.pkg(name), List.of(servers), level);
    }

    @Test
    void signedPackagesAreDownloadedVerifiedCachedAndReusedByTheNextBuild() throws IOException {
        List<PackageFetcher.Fetched> got = fetcher().fetch(List.of(
                request("signed-a", REQUIRED, mirror.url()), request("signed-c", REQUIRED, mirror.url())));

        assertThat(got).extracting(f -> f.pkg().name()).containsExactly("signed-a", "signed-c");
        for (PackageFetcher.Fetched f : got) {
            assertThat(f.signature().status()).isEqualTo(Status.VALID);
            assertThat(f.source()).isEqualTo(mirror.url() + "/" + f.pkg().filename());
            assertThat(f.file()).isEqualTo(cache.entry(f.pkg().sha256()));
            assertThat(PackageCache.sha256Of(f.file())).isEqualTo(f.pkg().sha256());
            assertThat(Files.mismatch(f.file(), repo.files.get(f.pkg().name()))).isEqualTo(-1);
            assertThat(Files.readSymbolicLink(cache.byName(f.pkg().filename())).toString())
                    .isEqualTo("../sha256/" + f.pkg().sha256().substring(0, 2) + "/" + f.pkg().sha256());
        }
        assertThat(got.get(0).signature().signer()).isEqualTo("Packager <packager@example.invalid>");
        assertThat(got.get(1).signature().signer()).isEqualTo("Master One <m1@example.invalid>");
        assertThat(log.lines("INFO")).contains("INFO Downloading " + TestRepository.NAME + "/signed-a 1.0-1 ("
                + Downloads.size(repo.pkg("signed-a").compressedSize()) + ") from " + got.get(0).source());
        assertThat(log.lines("INFO")).anyMatch(l -> l.matches("INFO Downloaded 2 packages \\(\\d+\\.\\d kB\\) in .* s at .*/s"));
        assertThat(log.lines("WARN")).isEmpty();

        RecordingLog second = new RecordingLog();
        List<PackageFetcher.Fetched> again = new PackageFetcher(new PackageCache(cache.root(), second), keyring, second)
                .fetch(List.of(request("signed-a", REQUIRED, mirror.url()), request("signed-c", REQUIRED, mirror.url())));
        assertThat(again).allMatch(f -> !f.downloaded() && f.signature().valid());
        assertThat(mirror.bodies(repo.pkg("signed-a").filename())).isEqualTo(1);
        assertThat(second.lines()).containsExactly("INFO All 2 packages from the package cache " + cache.root());
    }

    @Test
    void requiredRefusesUnsignedTamperedAndUnknownKeyAndCachesNothing() throws IOException {
        RepoPackage tampered = tamperedCopyOf("signed-b");
        List<PackageFetcher.Request> requests = List.of(
                request("unsigned", REQUIRED, mirror.url()),
                new PackageFetcher.Request(tampered, List.of(mirror.url()), REQUIRED),
                request("stranger", REQUIRED, mirror.url()),
                request("signed-a", REQUIRED, mirror.url()));

        assertThatThrownBy(() -> fetcher().fetch(requests))
                .isInstanceOf(FetchException.class)
                .satisfies(e -> {
                    List<String> problems = ((FetchException) e).problems();
                    assertThat(problems).hasSize(3);
                    assertThat(problems.get(0)).contains(TestRepository.NAME + "/unsigned 1.0-1", "is not signed",
                            "no %PGPSIG%", "SigLevel PackageRequired");
                    assertThat(problems.get(1)).contains("tampered", "does not match the data", keys.packager);
                    assertThat(problems.get(2)).contains(TestRepository.NAME + "/stranger 1.0-1", keys.stranger,
                            "not in the keyring", "nothing was cached");
                })
                .hasMessageStartingWith("cannot fetch 3 of 4 packages:");

        for (String name : List.of("unsigned", "stranger")) {
            assertThat(cache.contains(repo.pkg(name).sha256(), -1)).as(name).isFalse();
        }
        assertThat(cache.contains(tampered.sha256(), -1)).isFalse();
        assertThat(cache.contains(repo.pkg("signed-a").sha256(), -1)).isTrue();
        assertNoTemporaryFiles();
    }

    @Test
    void optionalTakesUnsignedPackagesButStillRefusesBadSignatures() {
        List<PackageFetcher.Fetched> got = fetcher().fetch(List.of(request("unsigned", OPTIONAL, mirror.url()),
                request("signed-a", OPTIONAL, mirror.url())));
        assertThat(got.get(0).signature().status()).isEqualTo(Status.NO_SIGNATURE);
        assertThat(got.get(1).signature().status()).isEqualTo(Status.VALID);

        // a signature that is there is checked, as pacman does with Optional
        assertThatThrownBy(() -> fetcher().fetch(List.of(request("stranger", OPTIONAL, mirror.url()))))
                .hasMessageContaining("not in the keyring");
        assertThat(cache.contains(repo.pkg("stranger").sha256(), -1)).isFalse();

        // Never does not look at signatures at all
        SigLevel never = SigLevel.NEVER;
        assertThat(fetcher().fetch(List.of(request("stranger", never, mirror.url()))).get(0).signature().status())
                .isEqualTo(Status.NO_SIGNATURE);
    }

    @Test
    void aLazyKeyringIsReadOnlyWhenAPackageSignatureIsChecked() throws IOException {
        Path bad = Files.writeString(work.resolve("bad-keyring.gpg"), "not keys");
        String message = catchThrowable(() -> Keyring.project(bad)).getMessage();
        Keyring lazy = Keyring.lazy(() -> Keyring.project(bad));

        List<PackageFetcher.Fetched> got = new PackageFetcher(cache, lazy, log).fetch(List.of(
                request("signed-a", SigLevel.NEVER, mirror.url()), request("unsigned", OPTIONAL, mirror.url())));
        assertThat(got).extracting(f -> f.signature().status())
                .containsExactly(Status.NO_SIGNATURE, Status.NO_SIGNATURE);

        // the first signature to check reads the keyring, and the build stops with its reading error
        assertThatThrownBy(() -> new PackageFetcher(cache, lazy, log).fetch(List.of(
                request("signed-c", REQUIRED, mirror.url()))))
                .isInstanceOf(Keyring.KeyringException.class).hasMessage(message);
        assertThat(cache.contains(repo.pkg("signed-c").sha256(), -1)).isFalse();
        assertNoTemporaryFiles();
    }

    @Test
    void signatureComesFromTheServerWhenTheDatabaseHasNone() {
        assertThat(repo.pkg("detached").value("PGPSIG")).isEmpty();
        PackageFetcher.Fetched got = fetcher().fetch(List.of(request("detached", REQUIRED, mirror.url()))).get(0);
        assertThat(got.signature().status()).isEqualTo(Status.VALID);
        assertThat(mirror.requests(repo.pkg("detached").filename() + ".sig")).isEqualTo(1);
        // kept with the entry: an offline build checks it again without the server
        assertThat(cache.signature(repo.pkg("detached").sha256())).isPresent();
        PackageFetcher.Fetched offline = fetcher().offline(true)
                .fetch(List.of(request("detached", REQUIRED, mirror.url()))).get(0);
        assertThat(offline.signature().status()).isEqualTo(Status.VALID);
    }

    @Test
    void faultyServersFallThroughToTheNextOneInOrder() throws IOException {
        List<String> urls = new ArrayList<>();
        for (Fault fault : List.of(Fault.NOT_FOUND, Fault.SERVER_ERROR, Fault.TRUNCATED, Fault.WRONG_BYTES, Fault.SLOW)) {
            urls.add(server(fault).url());
        }
        urls.add(closedPortUrl());
        urls.add(mirror.url());

        PackageFetcher.Fetched got = fetcher().fetch(List.of(new PackageFetcher.Request(repo.pkg("signed-d"), urls,
                REQUIRED))).get(0);

        assertThat(got.source()).startsWith(mirror.url());
        assertThat(got.signature().valid()).isTrue();
        assertThat(PackageCache.sha256Of(got.file())).isEqualTo(repo.pkg("signed-d").sha256());
        List<String> warnings = log.lines("WARN");
        assertThat(warnings).hasSize(6);
        assertThat(warnings.get(0)).contains(urls.get(0), "HTTP 404", "trying the next server");
        assertThat(warnings.get(1)).contains(urls.get(1), "HTTP 500");
        assertThat(warnings.get(2)).contains(urls.get(2), "cut short after");
        assertThat(warnings.get(3)).contains(urls.get(3), "wrong file", "is not the database's");
        assertThat(warnings.get(4)).contains(urls.get(4), "timed out");
        assertThat(warnings.get(5)).contains(urls.get(5), "cannot connect");
        assertNoTemporaryFiles();
    }

    @Test
    void whenEveryServerFailsTheErrorNamesEveryUrlTried() throws IOException {
        List<String> urls = new ArrayList<>();
        for (Fault fault : List.of(Fault.NOT_FOUND, Fault.SERVER_ERROR, Fault.TRUNCATED, Fault.WRONG_BYTES)) {
            urls.add(server(fault).url());
        }
        urls.add(closedPortUrl());
        RepoPackage pkg = repo.pkg("signed-b");
        assertThatThrownBy(() -> fetcher().fetch(List.of(new PackageFetcher.Request(pkg, urls, REQUIRED))))
                .isInstanceOf(FetchException.class)
                .hasMessageStartingWith("cannot download " + TestRepository.NAME + "/signed-b 1.0-1 (" + pkg.filename()
                        + ") from any server of [" + TestRepository.NAME + "]")
                .hasMessageContaining(urls.get(0) + "/" + pkg.filename() + " (HTTP 404)")
                .hasMessageContaining(urls.get(1) + "/" + pkg.filename() + " (HTTP 500)")
                .hasMessageContaining(urls.get(2) + "/" + pkg.filename() + " (cut short after")
                .hasMessageContaining(urls.get(3) + "/" + pkg.filename() + " (SHA-256 ")
                .hasMessageContaining(urls.get(4) + "/" + pkg.filename() + " (cannot connect")
                .hasMessageContaining("check the Server lines of [" + TestRepository.NAME + "] in pacman.conf");
        assertThat(cache.contains(pkg.sha256(), -1)).isFalse();
        assertNoTemporaryFiles();
    }

    /**
     * A package just downloaded comes with its download's descriptor open (the image reads the hashed bytes from
     * there instead of hashing the cache entry again): a file put over the entry later does not change them; a
     * package from the cache comes without (the image hashes what it reads).
     */
    @Test
    void aDownloadedPackageIsHandedOnOpenAsTheBytesThatWereHashed() throws IOException {
        RepoPackage pkg = repo.pkg("signed-a");
        byte[] served = Files.readAllBytes(repo.files.get("signed-a"));
        PackageFetcher.Fetched got = fetcher().fetch(List.of(request("signed-a", REQUIRED, mirror.url()))).get(0);
        try (VerifiedFile open = got.verified()) {
            assertThat(open).isNotNull();
            assertThat(open.sha256()).isEqualTo(pkg.sha256());
            assertThat(open.size()).isEqualTo(served.length);
            assertThat(fetcher().fetch(List.of(request("signed-a", REQUIRED, mirror.url()))).get(0).verified())
                    .as("from the cache").isNull();

            Files.move(Files.write(work.resolve("other"), new byte[served.length]), got.file(),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            try (java.io.InputStream in = open.open()) {
                assertThat(in.readAllBytes()).isEqualTo(served);
            }
            open.checkUnchanged(); // another file at the path: not read, no concern
        }
    }

    @Test
    void aDamagedCacheEntryIsDetectedAndFetchedAgain() throws IOException {
        RepoPackage pkg = repo.pkg("signed-a");
        Path entry = fetcher().fetch(List.of(request("signed-a", REQUIRED, mirror.url()))).get(0).file();

        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length / 2] ^= 1;                       // bit rot: same size, other content
        Files.write(entry, bytes);
        assertThat(cache.contains(pkg.sha256(), pkg.compressedSize())).as("the cheap check cannot see it").isTrue();

        PackageFetcher.Fetched again = fetcher().fetch(List.of(request("signed-a", REQUIRED, mirror.url()))).get(0);
        assertThat(again.downloaded()).isTrue();
        assertThat(PackageCache.sha256Of(again.file())).isEqualTo(pkg.sha256());
        assertThat(log.lines("WARN")).anyMatch(l -> l.contains("is damaged") && l.contains(entry.toString()));

        Files.write(entry, new byte[100]);                 // cut short
        assertThat(cache.contains(pkg.sha256(), pkg.compressedSize())).isFalse();
        assertThat(fetcher().fetch(List.of(request("signed-a", REQUIRED, mirror.url()))).get(0).downloaded()).isTrue();
        assertThat(mirror.bodies(pkg.filename())).isEqualTo(3);
        assertThat(PackageCache.sha256Of(entry)).isEqualTo(pkg.sha256());
    }

    @Test
    void aForgedStampDoesNotPassOtherBytesWithoutASignatureCheck() throws IOException {
        // SigLevel Never, and Optional with an unsigned package: only the SHA-256 stands between the cache and
        // the image, so someone who can write the cache replaces the entry and forges the stamp of the new inode
        for (PackageFetcher.Request r : List.of(request("signed-a", SigLevel.NEVER, mirror.url()),
                request("unsigned", OPTIONAL, mirror.url()))) {
            RepoPackage pkg = r.pkg();
            Path entry = fetcher().fetch(List.of(r)).get(0).file();
            byte[] bytes = Files.readAllBytes(entry);
            bytes[bytes.length / 2] ^= 1;
            Files.move(Files.write(entry.resolveSibling("other"), bytes), entry, StandardCopyOption.REPLACE_EXISTING);
            Map<String, Object> a = Files.readAttributes(entry, "unix:size,lastModifiedTime,ctime,ino");
            Files.writeString(entry.resolveSibling(pkg.sha256() + ".verified"), "archcore-verified-v1 " + pkg.sha256()
                    + " " + a.get("size") + " " + nanos((FileTime) a.get("lastModifiedTime")) + " "
                    + nanos((FileTime) a.get("ctime")) + " " + a.get("ino") + "\n");

            PackageFetcher.Fetched again = fetcher().fetch(List.of(r)).get(0);
            assertThat(again.downloaded()).as(r.sigLevel().toString()).isTrue();
            assertThat(PackageCache.sha256Of(again.file())).isEqualTo(pkg.sha256());
        }
    }

    private static long nanos(FileTime t) {
        return t.toInstant().getEpochSecond() * 1_000_000_000L + t.toInstant().getNano();
    }

    @Test
    void twoFetchersInThreadsFillTheSameCache() throws Exception {
        List<String> names = List.of("signed-a", "signed-b", "signed-c", "signed-d", "detached", "unsigned");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<PackageFetcher.Fetched>>> runs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                PackageFetcher fetcher = new PackageFetcher(new PackageCache(cache.root(), log), keyring, log);
                runs.add(pool.submit(() -> {
                    start.await();
                    return fetcher.fetch(names.stream().map(n -> request(n, OPTIONAL, mirror.url())).toList());
                }));
            }
            start.countDown();
            for (Future<List<PackageFetcher.Fetched>> run : runs) {
                assertThat(run.get(60, TimeUnit.SECONDS)).hasSize(names.size());
            }
        } finally {
            pool.shutdownNow();
        }
        assertCacheHolds(names);
    }

    @Test
    void twoJvmsFillTheSameCache() throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            processes.add(new ProcessBuilder(java, "-cp", classpath, FetchProcess.class.getName(),
                    cache.root().toString(), repo.database.toString(), keys.keyringDir().toString(), TestKeys.KEYRING,
                    mirror.url()).redirectErrorStream(true).start());
        }
        for (Process p : processes) {
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("fetch process did not finish:\n" + out);
            }
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("fetched 6");
        }
        assertCacheHolds(List.of("signed-a", "signed-b", "signed-c", "signed-d", "detached", "unsigned"));
    }

    @Test
    void offlineModeListsExactlyTheMissingPackages() {
        fetcher().fetch(List.of(request("signed-a", REQUIRED, mirror.url())));
        int requestsBefore = mirror.requests(repo.pkg("signed-b").filename());

        PackageFetcher offline = fetcher().offline(true);
        assertThatThrownBy(() -> offline.fetch(List.of(request("signed-a", REQUIRED, mirror.url()),
                request("signed-b", REQUIRED, mirror.url()), request("signed-c", REQUIRED, mirror.url()))))
                .isInstanceOf(FetchException.class)
                .hasMessage("offline mode: 2 packages are not in the package cache " + cache.root() + ": "
                        + TestRepository.NAME + "/signed-b 1.0-1 (" + repo.pkg("signed-b").filename() + "), "
                        + TestRepository.NAME + "/signed-c 1.0-1 (" + repo.pkg("signed-c").filename() + ")"
                        + "; run mvn without -o once to download them");
        assertThat(mirror.requests(repo.pkg("signed-b").filename())).isEqualTo(requestsBefore);

        PackageFetcher.Fetched cached = offline.fetch(List.of(request("signed-a", REQUIRED, mirror.url()))).get(0);
        assertThat(cached.downloaded()).isFalse();
        assertThat(cached.signature().valid()).isTrue();
    }

    @Test
    void fileServersWorkLikePacmans() {
        String fileServer = repo.dir.toUri().toString();
        PackageFetcher.Fetched got = fetcher().fetch(List.of(request("signed-b", REQUIRED, "file:///nonexistent/dir",
                fileServer))).get(0);
        assertThat(got.signature().valid()).isTrue();
        assertThat(got.source()).startsWith("file:");
        assertThat(log.lines("WARN").get(0)).contains("file:///nonexistent/dir", "HTTP 404");
    }

    @Test
    void credentialsInServerUrlsAreNeverShown() {
        MirrorServer missing = server(Fault.NOT_FOUND);
        String withSecret = mirror.url().replace("http://", "http://builder:s3cret@");
        String missingWithSecret = missing.url().replace("http://", "http://builder:s3cret@");
        PackageFetcher.Fetched got = fetcher().fetch(List.of(request("signed-b", REQUIRED, missingWithSecret,
                withSecret))).get(0);
        assertThat(got.source()).startsWith("http://***@127.0.0.1:").doesNotContain("s3cret");
        assertThat(log.lines()).isNotEmpty().noneMatch(l -> l.contains("s3cret"));
        assertThatThrownBy(() -> fetcher().fetch(List.of(request("signed-c", REQUIRED, missingWithSecret))))
                .satisfies(e -> assertThat(e.getMessage()).contains("***@").doesNotContain("s3cret"));
    }

    @Test
    void aDatabaseWithoutChecksumOrFilenameIsRefusedUpFront() {
        Map<String, List<String>> desc = new HashMap<>(repo.pkg("signed-a").desc());
        desc.remove("SHA256SUM");
        RepoPackage noSum = new RepoPackage(TestRepository.NAME, desc);
        Map<String, List<String>> desc2 = new HashMap<>(repo.pkg("signed-b").desc());
        desc2.put("FILENAME", List.of("../etc/passwd"));
        RepoPackage badName = new RepoPackage(TestRepository.NAME, desc2);
        assertThatThrownBy(() -> fetcher().fetch(List.of(new PackageFetcher.Request(noSum, List.of(mirror.url()), REQUIRED),
                new PackageFetcher.Request(badName, List.of(mirror.url()), REQUIRED))))
                .hasMessageContaining("signed-a 1.0-1 (" + repo.pkg("signed-a").filename() + ") has no %SHA256SUM%")
                .hasMessageContaining("signed-b 1.0-1 has no usable %FILENAME% ('../etc/passwd')");
    }

    @Test
    void aMirrorSendingMoreThanCsizeIsStoppedThereAndThePartialFileRemoved() throws IOException {
        MirrorServer endless = server(Fault.ENDLESS);
        RepoPackage pkg = repo.pkg("signed-a");
        assertThatThrownBy(() -> fetcher().fetch(List.of(request("signed-a", REQUIRED, endless.url()))))
                .isInstanceOf(FetchException.class)
                .hasMessageContaining("signed-a 1.0-1").hasMessageContaining(endless.url() + "/" + pkg.filename())
                .hasMessageContaining("more than the database's %CSIZE% of " + pkg.compressedSize() + " bytes")
                .hasMessageContaining("removed the partial file");
        assertNoTemporaryFiles();
        assertThat(cache.get(pkg.sha256())).isEmpty();

        // a later good mirror still serves it
        assertThat(fetcher().fetch(List.of(request("signed-a", REQUIRED, endless.url(), mirror.url())))).hasSize(1);
    }

    // ---- helpers

    /** The same package name with other bytes, whose SHA-256 the (unsigned, forged) database entry matches. */
    private RepoPackage tamperedCopyOf(String name) throws IOException {
        RepoPackage original = repo.pkg(name);
        byte[] bytes = Files.readAllBytes(repo.files.get(name));
        bytes[bytes.length / 3] ^= 0x10;
        String filename = "tampered-" + original.filename();
        for (MirrorServer s : servers) {
            s.put(filename, bytes);
        }
        Map<String, List<String>> desc = new HashMap<>(original.desc());
        desc.put("FILENAME", List.of(filename));
        desc.put("NAME", List.of("tampered"));
        try {
            desc.put("SHA256SUM", List.of(HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(bytes))));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return new RepoPackage(TestRepository.NAME, desc);
    }

    private static String closedPortUrl() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        return "http://127.0.0.1:" + port + "/repo";
    }

    private void assertCacheHolds(List<String> names) throws IOException {
        for (String name : names) {
            RepoPackage pkg = repo.pkg(name);
            Path entry = cache.entry(pkg.sha256());
            assertThat(PackageCache.sha256Of(entry)).as(name).isEqualTo(pkg.sha256());
        }
        assertNoTemporaryFiles();
    }

    private void assertNoTemporaryFiles() throws IOException {
        try (Stream<Path> tmp = Files.list(cache.root().resolve("tmp"))) {
            assertThat(tmp.toList()).isEmpty();
        }
    }
}
