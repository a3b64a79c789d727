package dev.archcore.repo;

import dev.archcore.util.Compressed;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sync database ({@code NAME.db} or {@code NAME.files}) as repo-add writes it: a tar (gzip, zstd, xz,
 * bzip2 or plain, told by its magic bytes) of
 * {@code name-version/desc} (and {@code files}) entries.
 */
public record SyncDatabase(String name, List<RepoPackage> packages) {

    public static SyncDatabase read(String repository, Path file) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(repository, in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the " + repository + " database " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads every package; a {@code files} entry's {@code %FILES%} is merged into the package's sections. */
    public static SyncDatabase read(String repository, InputStream raw) throws IOException {
        Map<String, Map<String, List<String>>> byDir = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(Compressed.open(raw), "UTF-8")) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                if (!entry.isFile()) {
                    continue;
                }
                String path = entry.getName();
                int slash = path.lastIndexOf('/');
                if (slash < 0) {
                    continue;
                }
                String member = path.substring(slash + 1);
                if (member.equals("desc") || member.equals("files") || member.equals("depends")) {
                    String text = new String(tar.readAllBytes(), StandardCharsets.UTF_8);
                    byDir.computeIfAbsent(path.substring(0, slash), k -> new LinkedHashMap<>()).putAll(Desc.parse(text));
                }
            }
        }
        List<RepoPackage> packages = new ArrayList<>(byDir.size());
        byDir.values().forEach(desc -> packages.add(new RepoPackage(repository, Map.copyOf(desc))));
        return new SyncDatabase(repository, List.copyOf(packages));
    }
}
