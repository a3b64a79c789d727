package dev.archcore.repo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LockFileTest {

    @TempDir
    Path dir;

    private static RepoPackage pkg(String repo, String name, String version, String sha) {
        return new RepoPackage(repo, Map.of("NAME", List.of(name), "VERSION", List.of(version),
                "FILENAME", List.of(name + "-" + version + "-x86_64.pkg.tar.zst"), "SHA256SUM", List.of(sha),
                "CSIZE", List.of("1234")));
    }

    private static final RepoPackage GLIBC = pkg("core", "glibc", "2.40-1", "a".repeat(64));
    private static final RepoPackage BUSYBOX = pkg("extra", "busybox", "1:1.36.1-2", "b".repeat(64));

    @Test
    void writesStableJsonAndReadsItBackEqual() throws IOException {
        LockFile lock = LockFile.of(List.of("glibc", "busybox"), List.of(GLIBC, BUSYBOX));
        Path file = dir.resolve("archcore.lock.json");
        lock.write(file);
        String text = Files.readString(file);
        assertThat(text).startsWith("{\n").endsWith("}\n").doesNotContain("\r")
                .contains("\"targets\" : [ \"busybox\", \"glibc\" ]");
        // packages keep the resolver's order, fields a fixed order
        assertThat(text.indexOf("glibc-2.40-1")).isLessThan(text.indexOf("busybox-1:1.36.1-2"));
        assertThat(text.indexOf("\"name\"")).isLessThan(text.indexOf("\"version\""));
        assertThat(text.indexOf("\"sha256\"")).isLessThan(text.indexOf("\"repository\""));

        LockFile back = LockFile.read(file);
        assertThat(back).isEqualTo(lock);
        assertThat(back.toJson()).isEqualTo(text);
        assertThat(back.packages().get(1)).isEqualTo(new LockFile.Entry("busybox", "1:1.36.1-2",
                "busybox-1:1.36.1-2-x86_64.pkg.tar.zst", "b".repeat(64), "extra", 1234));
        // same closure, same bytes
        assertThat(LockFile.of(List.of("busybox", "glibc", "glibc"), List.of(GLIBC, BUSYBOX)).toJson()).isEqualTo(text);
    }

    @Test
    void satisfiesExactlyTheSameTargets() {
        LockFile lock = LockFile.of(List.of("glibc", "busybox"), List.of(GLIBC, BUSYBOX));
        assertThat(lock.satisfies(List.of("busybox", "glibc"))).isTrue();
        assertThat(lock.satisfies(List.of(" glibc", "busybox", "glibc"))).isTrue();
        assertThat(lock.satisfies(List.of("glibc"))).isFalse();
        assertThat(lock.satisfies(List.of("glibc", "busybox", "curl"))).isFalse();
    }

    @Test
    void entryMatchesOnlyTheSameFile() {
        LockFile.Entry e = LockFile.Entry.of(GLIBC);
        assertThat(e.matches(GLIBC)).isTrue();
        assertThat(e.matches(pkg("core", "glibc", "2.40-1", "c".repeat(64)))).isFalse();
        assertThat(e.matches(pkg("core", "glibc", "2.41-1", "a".repeat(64)))).isFalse();
        assertThat(e.matches(pkg("testing", "glibc", "2.40-1", "a".repeat(64)))).isFalse();
    }

    @Test
    void missingFileIsNullAndABrokenOneSaysWhatToDo() throws IOException {
        assertThat(LockFile.read(dir.resolve("none.json"))).isNull();
        Path broken = Files.writeString(dir.resolve("broken.json"), "{ \"format\": 1, \"targets\": [");
        assertThatThrownBy(() -> LockFile.read(broken)).hasMessageContaining(broken.toString())
                .hasMessageContaining("delete it to resolve");
        Path future = Files.writeString(dir.resolve("future.json"), "{ \"format\": 2, \"targets\": [], \"packages\": [] }");
        assertThatThrownBy(() -> LockFile.read(future)).hasMessageContaining("format 2");
        Path empty = Files.writeString(dir.resolve("empty.json"), "{ \"format\": 1 }");
        assertThatThrownBy(() -> LockFile.read(empty)).hasMessageContaining("no targets");
    }

    /** What the ObjectMapper-based writer (INDENT_OUTPUT) wrote for these two packages, byte for byte. */
    private static final String WRITTEN_BY_DATABIND = """
            {
              "format" : 1,
              "targets" : [ "app", "zlib" ],
              "packages" : [ {
                "name" : "zlib",
                "version" : "1:1.3.1-2",
                "filename" : "zlib-1:1.3.1-2-x86_64.pkg.tar.zst",
                "sha256" : "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
                "repository" : "core",
                "csize" : 91234
              }, {
                "name" : "app-data",
                "version" : "1.0-1",
                "filename" : "app-data-1.0-1-any.pkg.tar.zst",
                "sha256" : "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
                "repository" : "my-repo \u00e4\ud83d\ude00",
                "csize" : 5000000000
              } ]
            }
            """;

    @Test
    void readsALockTheDatabindWriterWroteAndWritesTheSameBytes() throws IOException {
        Path file = Files.writeString(dir.resolve("packages.lock.json"), WRITTEN_BY_DATABIND);
        LockFile lock = LockFile.read(file);
        assertThat(lock.targets()).containsExactly("app", "zlib");
        assertThat(lock.packages()).containsExactly(
                new LockFile.Entry("zlib", "1:1.3.1-2", "zlib-1:1.3.1-2-x86_64.pkg.tar.zst", "c".repeat(64), "core", 91234),
                new LockFile.Entry("app-data", "1.0-1", "app-data-1.0-1-any.pkg.tar.zst", "d".repeat(64),
                        "my-repo \u00e4\ud83d\ude00", 5_000_000_000L));
        // a committed lock stays byte-identical when rewritten (the emoji unescaped, as writeValueAsString left it)
        assertThat(lock.toJson()).isEqualTo(WRITTEN_BY_DATABIND);
        lock.write(file);
        assertThat(Files.readString(file)).isEqualTo(WRITTEN_BY_DATABIND);
    }

    @Test
    void ignoresFieldsItDoesNotKnow() throws IOException {
        Path file = Files.writeString(dir.resolve("newer.json"), """
                { "format": 1, "resolvedBy": { "tool": "archcore", "versions": [1, {"x": null}] },
                  "targets": ["glibc"], "comment": "kept by a newer archcore",
                  "packages": [ { "name": "glibc", "signature": ["a", "b"], "version": "2.40-1",
                    "filename": "glibc-2.40-1-x86_64.pkg.tar.zst", "sha256": "%s", "repository": "core",
                    "csize": 1234, "builddate": 1700000000, "extra": {} } ],
                  "trailer": true }
                """.formatted("a".repeat(64)));
        assertThat(LockFile.read(file)).isEqualTo(LockFile.of(List.of("glibc"), List.of(GLIBC)));
    }

    @Test
    void aWrongValueNamesWhereItIs() throws IOException {
        Path file = Files.writeString(dir.resolve("typo.json"), """
                { "format": 1, "targets": ["glibc"], "packages": [ { "name": "glibc", "version": "2.40-1",
                  "filename": "f", "sha256": "s", "repository": "core", "csize": "12 kB" } ] }
                """);
        assertThatThrownBy(() -> LockFile.read(file)).hasMessageContaining(file.toString())
                .hasMessageContaining("expected a number at /packages/0/csize").hasMessageContaining("line 2")
                .hasMessageContaining("delete it to resolve");
        Path noName = Files.writeString(dir.resolve("noname.json"), """
                { "format": 1, "targets": [], "packages": [ { "version": "1" } ] }""");
        assertThatThrownBy(() -> LockFile.read(noName)).hasMessageContaining(noName.toString())
                .hasMessageContaining("a package has no name at /packages/0");
        Path array = Files.writeString(dir.resolve("array.json"), "[]");
        assertThatThrownBy(() -> LockFile.read(array)).hasMessageContaining("expected an object");
    }
}
