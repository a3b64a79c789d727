package dev.archcore.repo;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.archcore.pacman.InputLimits;
import dev.archcore.pacman.PackageNames;
import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Bounded;
import dev.archcore.util.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The exact packages a build resolved, so that a rebuild gets the same ones until the user asks for an update:
 * the targets asked for and, in resolution order, each package's name, version, file name, SHA-256, repository
 * and size. Written as small, stable JSON (same content, same bytes).
 *
 * <pre>{@code
 * {
 *   "format" : 1,
 *   "targets" : [ "busybox", "glibc" ],
 *   "packages" : [ {
 *     "name" : "glibc", "version" : "2.40-1", "filename" : "glibc-2.40-1-x86_64.pkg.tar.zst",
 *     "sha256" : "...", "repository" : "core", "csize" : 10200000 } ]
 * }
 * }</pre>
 *
 * Fields a reader does not know are ignored, so a newer archcore can add some without a new format.
 */
public record LockFile(int format, List<String> targets, List<Entry> packages) {

    public static final int FORMAT = 1;

    public record Entry(String name, String version, String filename, String sha256, String repository, long csize) {

        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(filename, "filename");
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(repository, "repository");
        }

        public static Entry of(RepoPackage pkg) {
            return new Entry(pkg.name(), pkg.version(), pkg.filename(), pkg.sha256(), pkg.repository(),
                    pkg.compressedSize());
        }

        /** Whether a package of a (possibly newer) sync database is exactly this locked file. */
        public boolean matches(RepoPackage pkg) {
            return name.equals(pkg.name()) && version.equals(pkg.version()) && filename.equals(pkg.filename())
                    && sha256.equalsIgnoreCase(pkg.sha256()) && repository.equals(pkg.repository());
        }
    }

    /** Targets are kept sorted and without duplicates: their order in the POM does not change the closure. */
    public LockFile {
        if (format != FORMAT) {
            throw new IllegalArgumentException("lock file format " + format + " is not " + FORMAT
                    + ": this archcore is older than the one that wrote it; delete the lock file to resolve again");
        }
        if (targets == null || packages == null) {
            throw new IllegalArgumentException("it has no " + (targets == null ? "targets" : "packages") + " list");
        }
        targets = List.copyOf(new TreeSet<>(targets.stream().map(String::strip).toList()));
        packages = List.copyOf(packages);
    }

    /** The lock for a resolved closure, packages in the order the resolver gave them. */
    public static LockFile of(Collection<String> targets, List<RepoPackage> resolved) {
        return new LockFile(FORMAT, List.copyOf(targets), resolved.stream().map(Entry::of).toList());
    }

    /**
     * Whether this lock was resolved for exactly these targets (order and duplicates do not matter). A target
     * added or removed means resolving again.
     */
    public boolean satisfies(Collection<String> wanted) {
        return targets.equals(List.copyOf(new TreeSet<>(wanted.stream().map(String::strip).toList())));
    }

    /** Indented as Jackson's default pretty printer does ({@code "key" : value}, arrays on one line). */
    public String toJson() {
        return Json.prettyString(this::write).replace("\r\n", "\n") + "\n";
    }

    private void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeNumberField("format", format);
        g.writeArrayFieldStart("targets");
        for (String t : targets) {
            g.writeString(t);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("packages");
        for (Entry e : packages) {
            g.writeStartObject();
            g.writeStringField("name", e.name());
            g.writeStringField("version", e.version());
            g.writeStringField("filename", e.filename());
            g.writeStringField("sha256", e.sha256());
            g.writeStringField("repository", e.repository());
            g.writeNumberField("csize", e.csize());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    public static LockFile fromJson(String json, String where) {
        try (JsonParser p = Json.startObject(Json.parser(json))) {
            int format = 0;
            List<String> targets = null;
            List<Entry> packages = null;
            for (String field; (field = Json.nextField(p)) != null; ) {
                switch (field) {
                    case "format" -> format = (int) Json.number(p);
                    case "targets" -> targets = Json.list(p, Json::string);
                    case "packages" -> packages = Json.list(p, LockFile::entry);
                    default -> p.skipChildren();
                }
            }
            return new LockFile(format, targets, packages);
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            String why = e instanceof IOException io ? Json.describe(io) : e.getMessage();
            throw new IllegalArgumentException("lock file " + where + " cannot be read (" + why
                    + "): fix it or delete it to resolve the packages again", e);
        }
    }

    private static Entry entry(JsonParser p) throws IOException {
        if (!p.isExpectedStartObjectToken()) {
            throw Json.problem(p, "expected a package object");
        }
        String name = null, version = null, filename = null, sha256 = null, repository = null;
        long csize = 0;
        for (String field; (field = Json.nextField(p)) != null; ) {
            switch (field) {
                case "name" -> name = Json.string(p);
                case "version" -> version = Json.string(p);
                case "filename" -> filename = Json.string(p);
                case "sha256" -> sha256 = Json.string(p);
                case "repository" -> repository = Json.string(p);
                case "csize" -> csize = Json.number(p);
                default -> p.skipChildren();
            }
        }
        Entry entry;
        try {
            entry = new Entry(name, version, filename, sha256, repository, csize);
        } catch (NullPointerException e) {
            throw Json.problem(p, "a package has no " + e.getMessage());
        }
        // the lock's names become cache paths, URLs and (through the packages) image paths: pacman's rules
        String problem = PackageNames.checkName(name);
        String field = "name";
        if (problem == null) {
            problem = PackageNames.checkVersion(version);
            field = "version";
        }
        if (problem == null) {
            problem = PackageNames.checkFileName(filename);
            field = "filename";
        }
        if (problem == null && !sha256.matches("[0-9a-fA-F]{64}")) {
            problem = "'" + PackageNames.shown(sha256) + "' is not a SHA-256";
            field = "sha256";
        }
        if (problem != null) {
            throw Json.problem(p, "a package's " + field + " " + problem);
        }
        return entry;
    }

    public void write(Path file) throws IOException {
        byte[] bytes = toJson().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** @return the lock file, or null if there is none */
    public static LockFile read(Path file) throws IOException {
        try {
            byte[] bytes = Bounded.readAll(file, InputLimits.LOCK_FILE, "lock file " + file);
            return fromJson(new String(bytes, StandardCharsets.UTF_8), file.toString());
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
