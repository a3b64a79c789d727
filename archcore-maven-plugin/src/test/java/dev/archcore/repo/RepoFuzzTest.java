package dev.archcore.repo;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.archcore.testing.FuzzRules;
import dev.archcore.util.Log;
import org.junit.jupiter.api.Timeout;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for what the repository side reads from mirrors and the project: a sync database (a tar of
 * {@code desc}/{@code files} entries in any compression) and what the resolver takes from each entry, the
 * {@code desc} text alone, pacman.conf, and the lock file. Seeds in RepoFuzzTestInputs/ (a database repo-add
 * wrote, a real pacman.conf, a lock file); bench/fuzz.sh fuzzes each target.
 */
@Timeout(10)
class RepoFuzzTest {

    @FuzzTest
    void syncDatabase(byte[] data) {
        if (data.length > FuzzRules.MAX_INPUT) {
            return;
        }
        Path file = FuzzRules.file("fuzz.db", data);
        FuzzRules.onlyClearErrors(() -> {
            for (RepoPackage p : SyncDatabase.read("fuzz", file).packages()) {
                resolverReads(p);
            }
        }, UncheckedIOException.class, RepoException.class, IllegalArgumentException.class);
    }

    @FuzzTest
    void desc(byte[] data) {
        FuzzRules.onlyClearErrors(() -> resolverReads(
                new RepoPackage("fuzz", Desc.parse(new String(data, StandardCharsets.UTF_8)))),
                RepoException.class, IllegalArgumentException.class);
    }

    /** What the resolver, the downloads and the lock take from a database entry. */
    private static void resolverReads(RepoPackage p) {
        p.name();
        p.version();
        p.filename();
        p.sha256();
        p.compressedSize();
        p.groups();
        p.depends();
        p.provides();
        p.conflicts();
        p.replaces();
    }

    @FuzzTest
    void pacmanConf(byte[] data) {
        Path dir = FuzzRules.file("mirrorlist", "Server = https://mirror.example/$repo/os/$arch\n"
                .getBytes(StandardCharsets.UTF_8)).getParent();
        FuzzRules.onlyClearErrors(() -> PacmanConfParser.parseText(new String(data, StandardCharsets.UTF_8),
                "fuzz.conf", dir, Log.NONE), PacmanConfException.class);
    }

    /** A lock file that reads is written back to the same lock. */
    @FuzzTest
    void lockFile(byte[] data) {
        FuzzRules.onlyClearErrors(() -> {
            LockFile lock = LockFile.fromJson(new String(data, StandardCharsets.UTF_8), "fuzz.lock");
            assertThat(LockFile.fromJson(lock.toJson(), "written")).isEqualTo(lock);
        }, IllegalArgumentException.class);
    }
}
