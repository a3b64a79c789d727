package dev.archcore.repo;

import dev.archcore.testing.MirrorServer;
import dev.archcore.testing.MirrorServer.Fault;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.TestKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sync databases from HTTP mirrors: signature per SigLevel, conditional GETs on warm runs, offline copies. */
class DatabaseFetcherTest {

    private static final String DB = TestRepository.NAME + ".db";
    private static final SigLevel DB_REQUIRED = SigLevel.parse(List.of("Required"), SigLevel.DEFAULT);

    @TempDir
    static Path shared;

    @TempDir
    Path dbDir;

    private static TestKeys keys;
    private static Keyring keyring;
    private static TestRepository repo;
    private final List<MirrorServer> servers = new ArrayList<>();
    private final RecordingLog log = new RecordingLog();

    @BeforeAll
    static void repository() {
        keys = TestKeys.get();
        keyring = Keyring.pacman(keys.keyringDir(), TestKeys.KEYRING);
        repo = TestRepository.create(shared.resolve("repo"), keys);
    }

    @AfterEach
    void stop() {
        servers.forEach(MirrorServer::close);
    }

    private MirrorServer server(Fault fault) {
        MirrorServer s = repo.serveAll(new MirrorServer(fault));
        servers.add(s);
        return s;
    }

    @Test
    void downloadsOnceThenRevalidatesWithAConditionalRequest() throws IOException {
        MirrorServer mirror = server(Fault.NONE);
        DatabaseFetcher fetcher = new DatabaseFetcher(keyring, log);

        Path db = fetcher.fetch(TestRepository.NAME, List.of(mirror.url()), DB_REQUIRED, dbDir);
        assertThat(db).isEqualTo(dbDir.resolve(DB));
        assertThat(Files.mismatch(db, repo.database)).isEqualTo(-1);
        assertThat(dbDir.resolve(DB + ".sig")).exists();
        assertThat(SyncDatabase.read(TestRepository.NAME, db).packages()).hasSize(repo.packages.size());

        fetcher.fetch(TestRepository.NAME, List.of(mirror.url()), DB_REQUIRED, dbDir);
        assertThat(mirror.requests(DB)).isEqualTo(2);
        assertThat(mirror.bodies(DB)).as("the warm run got a 304").isEqualTo(1);
        assertThat(log.lines("INFO")).anyMatch(l -> l.contains("database is up to date"));

        // the repository changes: the next run downloads the new database
        byte[] changed = Files.readAllBytes(repo.files.get("signed-a"));
        mirror.put(DB, changed);
        mirror.put(DB + ".sig", keys.sign(keys.packager, repo.files.get("signed-a")));
        fetcher.fetch(TestRepository.NAME, List.of(mirror.url()), DB_REQUIRED, dbDir);
        assertThat(mirror.bodies(DB)).isEqualTo(2);
        assertThat(Files.readAllBytes(db)).isEqualTo(changed);
    }

    @Test
    void aRefusedSignatureKeepsTheOldCopyAndNamesTheUrl() throws IOException {
        MirrorServer mirror = server(Fault.NONE);
        DatabaseFetcher fetcher = new DatabaseFetcher(keyring, log);
        Path db = fetcher.fetch(TestRepository.NAME, List.of(mirror.url()), DB_REQUIRED, dbDir);
        byte[] good = Files.readAllBytes(db);

        mirror.put(DB, Files.readAllBytes(repo.files.get("signed-b")));
        mirror.put(DB + ".sig", keys.sign(keys.stranger, repo.files.get("signed-b")));
        assertThatThrownBy(() -> fetcher.fetch(TestRepository.NAME, List.of(mirror.url()), DB_REQUIRED, dbDir))
                .isInstanceOf(FetchException.class)
                .hasMessageContaining("cannot download the [" + TestRepository.NAME + "] database from any server")
                .hasMessageContaining(mirror.url() + "/" + DB)
                .hasMessageContaining("not in the keyring")
                .hasMessageContaining("is used by mvn -o");
        assertThat(Files.readAllBytes(db)).isEqualTo(good);

        mirror.remove(DB + ".sig");
        assertThatThrownBy(() -> fetcher.fetch(TestRepository.NAME, List.of(mirror.url()), DB_REQUIRED, dbDir))
                .hasMessageContaining("is not signed");
        // DatabaseOptional (pacman's default) takes an unsigned database
        Path taken = fetcher.fetch(TestRepository.NAME, List.of(mirror.url()), SigLevel.DEFAULT, dbDir);
        assertThat(Files.readAllBytes(taken)).isEqualTo(Files.readAllBytes(repo.files.get("signed-b")));
        assertThat(dbDir.resolve(DB + ".sig")).doesNotExist();
    }

    @Test
    void failingServersFallThroughInOrder() {
        MirrorServer broken = server(Fault.SERVER_ERROR);
        MirrorServer missing = server(Fault.NOT_FOUND);
        MirrorServer good = server(Fault.NONE);
        Path db = new DatabaseFetcher(keyring, log).fetch(TestRepository.NAME,
                List.of(broken.url(), missing.url(), good.url()), DB_REQUIRED, dbDir);
        assertThat(db).exists();
        assertThat(log.lines("WARN")).hasSize(2);
        assertThat(log.lines("WARN").get(0)).contains(broken.url(), "HTTP 500");
        assertThat(log.lines("WARN").get(1)).contains(missing.url(), "HTTP 404");
    }

    @Test
    void offlineUsesTheCopyOrSaysHowToGetOne() {
        MirrorServer mirror = server(Fault.NONE);
        DatabaseFetcher offline = new DatabaseFetcher(keyring, log).offline(true);
        assertThatThrownBy(() -> offline.fetch(TestRepository.NAME, List.of(mirror.url()), DB_REQUIRED, dbDir))
                .hasMessage("offline mode: there is no copy of the [" + TestRepository.NAME + "] database in " + dbDir
                        + "; run mvn without -o once to download it");
        assertThat(mirror.requests(DB)).isZero();

        new DatabaseFetcher(keyring, log).fetch(TestRepository.NAME, List.of(mirror.url()), DB_REQUIRED, dbDir);
        assertThat(offline.fetch(TestRepository.NAME, List.of(mirror.url()), DB_REQUIRED, dbDir)).exists();
        assertThat(mirror.requests(DB)).isEqualTo(1);
    }

    @Test
    void anUnsignedCopyChangedInTheCacheIsDownloadedAgainNotRevalidated() throws IOException {
        // pacman's default DatabaseOptional and an unsigned database (as Arch's are): the copy in the cache is all
        // that vouches for the packages' SHA-256, so someone who can write the cache must not choose it
        MirrorServer mirror = server(Fault.NONE);
        mirror.remove(DB + ".sig");
        DatabaseFetcher fetcher = new DatabaseFetcher(keyring, log);
        Path db = fetcher.fetch(TestRepository.NAME, List.of(mirror.url()), SigLevel.DEFAULT, dbDir);
        assertThat(Files.mismatch(db, repo.database)).isEqualTo(-1);

        byte[] chosen = Files.readAllBytes(repo.files.get("signed-b"));
        Files.write(db, chosen); // the validators beside it still match the server's copy
        Path again = fetcher.fetch(TestRepository.NAME, List.of(mirror.url()), SigLevel.DEFAULT, dbDir);
        assertThat(Files.mismatch(again, repo.database)).as("the server's database, not the cache's").isEqualTo(-1);
        assertThat(mirror.bodies(DB)).as("downloaded again, not revalidated").isEqualTo(2);

        Files.write(db, chosen);
        DatabaseFetcher offline = new DatabaseFetcher(keyring, log).offline(true);
        assertThatThrownBy(() -> offline.fetch(TestRepository.NAME, List.of(mirror.url()), SigLevel.DEFAULT, dbDir))
                .isInstanceOf(FetchException.class).hasMessageContaining("run mvn without -o once");
    }
}
