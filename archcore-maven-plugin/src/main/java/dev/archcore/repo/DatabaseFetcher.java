package dev.archcore.repo;

import dev.archcore.pacman.InputLimits;
import dev.archcore.util.AtomicFiles;
import dev.archcore.util.CacheKey;
import dev.archcore.util.Log;
import okhttp3.OkHttpClient;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Keeps a copy of each repository's sync database ({@code <server>/<repo>.db}, as {@code pacman -Sy} fetches it)
 * in a directory, with its {@code .db.sig} when the SigLevel's database part wants one. A later run asks the
 * server with {@code If-None-Match}/{@code If-Modified-Since} and keeps the copy on 304. A new database replaces
 * the old one only after its signature passed. The validators beside the copy ({@code .db.meta}) record its
 * SHA-256 under an HMAC with the user's {@link CacheKey}: a copy changed in the cache (where an unsigned database,
 * as Arch's are, is all that vouches for the packages' SHA-256) is downloaded again, never revalidated.
 */
public final class DatabaseFetcher {

    private final Keyring keyring;
    private final Log log;
    private final OkHttpClient client;
    private final Downloads downloads;
    private final boolean offline;
    private final CacheKey cacheKey;

    /** With the user's cache key ({@link CacheKey#user}), read at the first fetch. */
    public DatabaseFetcher(Keyring keyring, Log log) {
        this(keyring, log, null, false, null);
    }

    private DatabaseFetcher(Keyring keyring, Log log, OkHttpClient client, boolean offline, CacheKey cacheKey) {
        this.keyring = keyring;
        this.log = log;
        this.client = client;
        this.downloads = new Downloads(client);
        this.offline = offline;
        this.cacheKey = cacheKey;
    }

    /** Maven's {@code -o}: use the copies in the directory only. */
    public DatabaseFetcher offline(boolean offline) {
        return new DatabaseFetcher(keyring, log, client, offline, cacheKey);
    }

    public DatabaseFetcher client(OkHttpClient client) {
        return new DatabaseFetcher(keyring, log, client, offline, cacheKey);
    }

    /** Another key for the copies' validators. */
    public DatabaseFetcher cacheKey(CacheKey key) {
        return new DatabaseFetcher(keyring, log, client, offline, key);
    }

    private CacheKey key() {
        return cacheKey != null ? cacheKey : CacheKey.user();
    }

    /**
     * The current {@code <repo>.db} of a repository in {@code dbDir}, downloaded or revalidated from the first
     * server that answers properly.
     *
     * @throws FetchException naming the repository, every URL tried and what to do
     */
    public Path fetch(String repository, List<String> servers, SigLevel level, Path dbDir) {
        Path db = dbDir.resolve(repository + ".db");
        Path sig = dbDir.resolve(repository + ".db.sig");
        Path metaFile = dbDir.resolve(repository + ".db.meta");
        if (offline) {
            if (!Files.isRegularFile(db)) {
                throw new FetchException("offline mode: there is no copy of the [" + repository + "] database in "
                        + dbDir + "; run mvn without -o once to download it");
            }
            if (readMeta(metaFile, db).isEmpty()) {
                throw new FetchException("offline mode: the copy of the [" + repository + "] database in " + dbDir
                        + " was not downloaded with this user's cache key (" + CacheKey.userDirectory()
                        .resolve(CacheKey.FILE) + " or " + CacheKey.ENV + "), or it changed since; run mvn without"
                        + " -o once to download it");
            }
            check(repository, db, readIfExists(sig), level, db.toString());
            return db;
        }
        try {
            Files.createDirectories(dbDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the database directory " + dbDir + ": " + e.getMessage(), e);
        }
        // an unauthentic copy sends no validators: the server sends the database again
        Properties meta = readMeta(metaFile, db);
        List<String> tried = new ArrayList<>();
        for (String server : servers) {
            String url = Downloads.join(server, repository + ".db");
            String shown = Downloads.redact(url);
            Map<String, String> conditions = new HashMap<>();
            if (Files.isRegularFile(db) && shown.equals(meta.getProperty("url"))) {
                if (meta.getProperty("etag") != null) {
                    conditions.put("If-None-Match", meta.getProperty("etag"));
                }
                if (meta.getProperty("lastModified") != null) {
                    conditions.put("If-Modified-Since", meta.getProperty("lastModified"));
                }
            }
            try {
                Path result = tryServer(repository, url, conditions, level, db, sig, metaFile);
                if (result != null) {
                    return result;
                }
            } catch (ServerProblem e) {
                tried.add(shown + " (" + e.getMessage() + ")");
                log.warn("[" + repository + "] database: " + shown + " failed (" + e.getMessage()
                        + "), trying the next server");
            }
        }
        throw new FetchException("cannot download the [" + repository + "] database from any server: "
                + (tried.isEmpty() ? "it has no Server" : String.join("; ", tried)) + "; check the Server lines of ["
                + repository + "] in pacman.conf" + (Files.isRegularFile(db)
                ? " (the copy from an earlier run in " + dbDir + " is used by mvn -o)" : ""));
    }

    private Path tryServer(String repository, String url, Map<String, String> conditions, SigLevel level, Path db,
                           Path sig, Path metaFile) throws ServerProblem {
        String shown = Downloads.redact(url);
        Path temp;
        try {
            temp = Files.createTempFile(db.getParent(), "." + db.getFileName(), ".part");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + db.getParent() + ": " + e.getMessage(), e);
        }
        try {
            Downloads.Got got;
            try (OutputStream out = Files.newOutputStream(temp)) {
                got = downloads.get(url, out, conditions, InputLimits.DATABASE_DOWNLOAD, "archcore's limit for a database");
            } catch (IOException e) {
                throw new ServerProblem(e.getMessage());
            }
            if (got.status() == 304) {
                log.info("[" + repository + "] database is up to date (" + shown + ")");
                check(repository, db, readIfExists(sig), level, shown);
                return db;
            }
            if (got.status() != 200) {
                throw new ServerProblem("HTTP " + got.status());
            }
            byte[] signature = null;
            if (level.database() != SigLevel.Check.NEVER) {
                try {
                    signature = downloads.getSmall(url + ".sig", PackageFetcher.MAX_SIGNATURE);
                } catch (IOException e) {
                    throw new ServerProblem(shown + ".sig: " + e.getMessage());
                }
            }
            try {
                check(repository, temp, signature, level, shown);
            } catch (FetchException e) {
                // a mirror caught in the middle of a sync can serve a database and a signature that do not match
                throw new ServerProblem(e.getMessage());
            }
            AtomicFiles.move(temp, db);
            if (signature != null) {
                byte[] s = signature;
                AtomicFiles.write(sig, out -> out.write(s));
            } else {
                Files.deleteIfExists(sig);
            }
            Properties meta = new Properties();
            meta.setProperty("url", shown);
            if (got.etag() != null) {
                meta.setProperty("etag", got.etag());
            }
            if (got.lastModified() != null) {
                meta.setProperty("lastModified", got.lastModified());
            }
            meta.setProperty("sha256", PackageCache.sha256Of(db));
            meta.setProperty("mac", key().tagHex(context(metaFile), canonical(meta)));
            AtomicFiles.write(metaFile, out -> meta.store(out, "validators of the last download of " + shown));
            log.info("Downloaded [" + repository + "] database (" + Downloads.size(got.bytes()) + ") from " + shown);
            return db;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the [" + repository + "] database in " + db.getParent()
                    + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // best effort
            }
        }
    }

    private void check(String repository, Path db, byte[] signature, SigLevel level, String from) {
        if (level.database() == SigLevel.Check.NEVER) {
            return;
        }
        String fix = ": [" + repository + "] has SigLevel " + level + "; add the signer's key to the keyring or"
                + " change the repository's SigLevel in pacman.conf";
        if (signature == null) {
            if (level.database() == SigLevel.Check.REQUIRED) {
                throw new FetchException("the [" + repository + "] database from " + from + " is not signed (no "
                        + repository + ".db.sig)" + fix);
            }
            return;
        }
        SignatureCheck check = keyring.verify(db, signature);
        if (!check.accepted(level.databaseTrustAll())) {
            throw new FetchException("the [" + repository + "] database from " + from + " was refused: "
                    + check.detail() + fix);
        }
    }

    private static byte[] readIfExists(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The validators of the copy {@code db}, when their tag verifies and the copy still has the SHA-256 they
     * record; else none (the next request is unconditional). Hashing the copy costs milliseconds; it is read in
     * full right after anyway.
     */
    private Properties readMeta(Path file, Path db) {
        Properties p = new Properties();
        if (Files.isRegularFile(file) && Files.isRegularFile(db)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
                String mac = (String) p.remove("mac");
                if (key().verifyHex(context(file), canonical(p), mac)
                        && PackageCache.sha256Of(db).equals(p.getProperty("sha256"))) {
                    return p;
                }
            } catch (IOException | IllegalArgumentException e) {
                // damaged: as if absent
            }
        }
        return new Properties();
    }

    private static String context(Path metaFile) {
        return "archcore sync database " + metaFile.getParent().getFileName() + "/" + metaFile.getFileName();
    }

    /** The validators in a fixed order, for the tag. */
    private static String canonical(Properties meta) {
        StringBuilder s = new StringBuilder();
        new java.util.TreeMap<>(meta).forEach((k, v) -> s.append(k).append('=').append(v).append('\n'));
        return s.toString();
    }

    /** One server's failure; the next server is tried. */
    private static final class ServerProblem extends Exception {
        private static final long serialVersionUID = 1L;

        ServerProblem(String message) {
            super(message);
        }
    }
}
