package dev.archcore.repo;

import dev.archcore.testing.MirrorServer;
import dev.archcore.testing.TestKeys;
import dev.archcore.testing.TestPackages;
import dev.archcore.testing.Tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real pacman repository for the fetch tests, made by the real {@code repo-add --sign}: packages signed by the
 * test packager (so the database carries {@code %PGPSIG%}), one unsigned, one signed by a key outside the
 * keyring, and one whose {@code .sig} is only on the server (no {@code %PGPSIG%}).
 */
final class TestRepository {
    static final String NAME = "archtest";

    final Path dir;
    final Path database;
    final Map<String, RepoPackage> packages = new LinkedHashMap<>();
    final Map<String, Path> files = new LinkedHashMap<>();

    private TestRepository(Path dir) {
        this.dir = dir;
        this.database = dir.resolve(NAME + ".db.tar.gz");
    }

    static TestRepository create(Path dir, TestKeys keys) {
        Tools.require("repo-add", "gpg");
        try {
            Files.createDirectories(dir);
            TestRepository repo = new TestRepository(dir);
            Map<String, String> signers = new LinkedHashMap<>();
            signers.put("signed-a", keys.packager);
            signers.put("signed-b", keys.packager);
            signers.put("signed-c", keys.master1);
            signers.put("signed-d", keys.packager);
            signers.put("unsigned", null);
            signers.put("stranger", keys.stranger);
            signers.put("detached", keys.packager);
            int size = 150_000;
            for (var e : signers.entrySet()) {
                Path pkg = TestPackages.write(dir.resolve("build"), e.getKey(), "1.0-1", size);
                size += 25_000;
                Path target = Files.move(pkg, dir.resolve(pkg.getFileName()));
                if (e.getValue() != null) {
                    keys.sign(e.getValue(), target);
                }
                repo.files.put(e.getKey(), target);
            }
            // the detached signature stays on the server only: hide it from repo-add
            Path detached = repo.files.get("detached");
            Path detachedSig = detached.resolveSibling(detached.getFileName() + ".sig");
            Path hidden = Files.move(detachedSig, dir.resolve("detached.sig.hidden"));

            List<String> command = new ArrayList<>(List.of("repo-add", "--quiet", "--sign", "--key", keys.packager,
                    repo.database.toString()));
            repo.files.values().forEach(p -> command.add(p.toString()));
            Tools.run(dir, Map.of("GNUPGHOME", keys.gpg().home().toString()), command).ok("repo-add");
            Files.move(hidden, detachedSig);

            for (RepoPackage p : SyncDatabase.read(NAME, repo.database).packages()) {
                repo.packages.put(p.name(), p);
            }
            return repo;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RepoPackage pkg(String name) {
        return packages.get(name);
    }

    /** Serves every package and every {@code .sig} of the repository, and the database as {@code NAME.db}. */
    MirrorServer serveAll(MirrorServer server) {
        try (var list = Files.list(dir)) {
            for (Path p : list.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".pkg.tar.zst") || name.endsWith(".pkg.tar.zst.sig")) {
                    server.put(p);
                }
            }
            server.put(NAME + ".db", Files.readAllBytes(database));
            server.put(NAME + ".db.sig", Files.readAllBytes(database.resolveSibling(database.getFileName() + ".sig")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return server;
    }
}
