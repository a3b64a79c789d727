package dev.archcore.repo;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.archcore.util.AtomicFiles;

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
 */
@JsonPropertyOrder({"format", "targets", "packages"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record LockFile(@JsonProperty("format") int format,
                       @JsonProperty("targets") List<String> targets,
                       @JsonProperty("packages") List<Entry> packages) {

    public static final int FORMAT = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @JsonPropertyOrder({"name", "version", "filename", "sha256", "repository", "csize"})
    public record Entry(@JsonProperty("name") String name,
                        @JsonProperty("version") String version,
                        @JsonProperty("filename") String filename,
                        @JsonProperty("sha256") String sha256,
                        @JsonProperty("repository") String repository,
                        @JsonProperty("csize") long csize) {

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

    public String toJson() {
        try {
            return JSON.writeValueAsString(this).replace("\r\n", "\n") + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static LockFile fromJson(String json, String where) {
        try {
            return JSON.readValue(json, LockFile.class);
        } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("lock file " + where + " cannot be read (" + why
                    + "): fix it or delete it to resolve the packages again", e);
        }
    }

    public void write(Path file) throws IOException {
        byte[] bytes = toJson().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** @return the lock file, or null if there is none */
    public static LockFile read(Path file) throws IOException {
        try {
            return fromJson(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
