package dev.archcore.repo;

import dev.archcore.pacman.InputLimits;
import dev.archcore.pacman.PackageNames;
import dev.archcore.util.Bounded;
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

    /**
     * Reads every package; a {@code files} entry's {@code %FILES%} is merged into the package's sections. Each
     * member and the whole decompressed database are bounded ({@link InputLimits}), and each entry's names are
     * checked as libalpm and makepkg do ({@link PackageNames}): they become cache paths, URLs and image paths.
     *
     * @throws IOException when it is not a database, is too large, or an entry is invalid (the message says which)
     */
    public static SyncDatabase read(String repository, InputStream raw) throws IOException {
        Map<String, Map<String, List<String>>> byDir = new LinkedHashMap<>();
        String what = "the [" + repository + "] database";
        InputStream bounded = Bounded.counting(Compressed.open(raw), () -> InputLimits.DATABASE,
                limit -> what + " decompresses to more than " + Bounded.size(limit) + ", archcore's limit for a"
                        + " database (docs/repo.md, \"Limits\"): a damaged or hostile database");
        try (TarArchiveInputStream tar = new TarArchiveInputStream(bounded, "UTF-8")) {
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
                    long limit = member.equals("files") ? InputLimits.FILES_ENTRY : InputLimits.DESC_ENTRY;
                    String text = new String(Bounded.readAll(tar, limit, what + ": entry "
                            + PackageNames.shown(path)), StandardCharsets.UTF_8);
                    byDir.computeIfAbsent(path.substring(0, slash), k -> new LinkedHashMap<>()).putAll(Desc.parse(text));
                }
            }
        }
        List<RepoPackage> packages = new ArrayList<>(byDir.size());
        for (Map.Entry<String, Map<String, List<String>>> e : byDir.entrySet()) {
            String problem = check(e.getKey(), e.getValue());
            if (problem != null) {
                throw new IOException(what + " has an invalid entry " + PackageNames.shown(e.getKey()) + ": " + problem
                        + " (libalpm's and makepkg's rules); the repository is damaged or hostile, so none of it is"
                        + " used: refresh it, and if it stays, report it to the repository");
            }
            packages.add(new RepoPackage(repository, Map.copyOf(e.getValue())));
        }
        return new SyncDatabase(repository, List.copyOf(packages));
    }

    /** Relation sections of a {@code desc} entry. */
    private static final List<String> RELATIONS =
            List.of("DEPENDS", "OPTDEPENDS", "MAKEDEPENDS", "CHECKDEPENDS", "PROVIDES", "CONFLICTS", "REPLACES");

    /** What is wrong with one entry, or null; a {@code files}-only entry (no %NAME%) is left alone. */
    static String check(String dir, Map<String, List<String>> desc) {
        List<String> names = desc.getOrDefault("NAME", List.of());
        if (names.isEmpty() && !desc.containsKey("VERSION") && !desc.containsKey("FILENAME")) {
            return null;
        }
        String problem;
        for (String key : List.of("NAME", "VERSION")) {
            if (desc.getOrDefault(key, List.of()).size() != 1) {
                return "%" + key + "% is given " + desc.getOrDefault(key, List.of()).size() + " times, not once";
            }
        }
        String name = names.get(0);
        String version = desc.get("VERSION").get(0);
        if ((problem = PackageNames.checkName(name)) != null) {
            return "%NAME% " + problem;
        }
        if ((problem = PackageNames.checkVersion(version)) != null) {
            return "%VERSION% " + problem;
        }
        if (!dir.equals(name + "-" + version)) {
            return "its directory is not %NAME%-%VERSION% (" + name + "-" + version + ")";
        }
        for (String arch : desc.getOrDefault("ARCH", List.of())) {
            if ((problem = PackageNames.checkArch(arch)) != null) {
                return "%ARCH% " + problem;
            }
        }
        for (String file : desc.getOrDefault("FILENAME", List.of())) {
            if ((problem = PackageNames.checkFileName(file)) != null) {
                return "%FILENAME% " + problem;
            }
        }
        for (String key : List.of("CSIZE", "ISIZE")) {
            for (String size : desc.getOrDefault(key, List.of())) {
                if (!size.matches("[0-9]{1,18}")) {
                    return "%" + key + "% '" + PackageNames.shown(size) + "' is not a size in bytes";
                }
            }
        }
        for (String key : RELATIONS) {
            for (String relation : desc.getOrDefault(key, List.of())) {
                if ((problem = PackageNames.checkRelation(relation)) != null) {
                    return "%" + key + "% " + problem;
                }
            }
        }
        return null;
    }
}
