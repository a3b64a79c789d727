package dev.archcore.pacman;

import dev.archcore.testing.Fixtures;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.Tools;
import dev.archcore.util.Log;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Issue 16, item 12: a package's ELF files must be for its CARCH. The programs are real: made by gcc (64-bit, and
 * 32-bit with {@code -m32} from gcc-multilib, which scripts/setup installs) or copied from /usr/bin; {@code readelf -h}
 * judges what the archetype's own PKGBUILD and Makefile build for i686 on this x86_64 machine.
 */
class ElfArchLintTest {
    static final Path ARCHETYPE = Path.of("../archcore-archetype/src/main/resources/archetype-resources");

    private static PackageRequest request(Path dir, String carch, Log log) {
        PackageRequest r = Fixtures.request(dir, Compression.ZSTD);
        return new PackageRequest(r.pkgbuild(), r.buildDirectory(), r.outputDirectory(), carch, r.compression(),
                r.compressionLevel(), r.sourceDateEpoch(), r.packager(), null, Map.of(), r.tool(), log);
    }

    /** A project whose package() installs a copy of {@code program} as /usr/bin/app. */
    private static Path project(Path dir, String arch, Path program) throws IOException {
        Files.createDirectories(dir);
        Files.copy(program, dir.resolve("app"));
        Files.writeString(dir.resolve("PKGBUILD"), "pkgname=app\npkgver=1\npkgrel=1\narch=(" + arch + ")\n"
                + "package() { install -Dm755 \"$startdir/app\" \"$pkgdir/usr/bin/app\"; }\n");
        return dir;
    }

    private static Path compile(Path dir, String... flags) throws IOException {
        Path c = Files.createDirectories(dir).resolve("hello.c");
        Files.writeString(c, "int main(void) { return 0; }\n");
        Path out = dir.resolve("hello" + String.join("", flags));
        List<String> cmd = new java.util.ArrayList<>(List.of("gcc", "-static", "-o", out.toString(), c.toString()));
        cmd.addAll(List.of(flags));
        Tools.run(dir, Map.of(), cmd).ok("gcc " + String.join(" ", flags));
        return out;
    }

    /** readelf's own words for the file's class and machine. */
    private static String readelf(Path tmp, Path file) {
        String out = Tools.run(tmp, "readelf", "-h", file.toString()).ok("readelf -h").text();
        return out.lines().filter(l -> l.strip().startsWith("Class:") || l.strip().startsWith("Machine:"))
                .map(l -> l.replaceAll("\\s+", " ").strip()).toList().toString();
    }

    @Test
    void anI686PackageOfAnX8664ProgramIsRefusedNamingTheFile(@TempDir Path tmp) throws IOException {
        Path dir = project(tmp.resolve("p"), "i686 x86_64", Path.of("/usr/bin/true"));
        assertThat(readelf(tmp, dir.resolve("app"))).contains("Class: ELF64", "Machine: Advanced Micro Devices X86-64");
        Throwable refused = catchThrowable(() -> PackageBuilder.build(request(dir, "i686", Log.NONE)));
        assertThat(refused).isInstanceOf(PackageBuildException.class)
                .hasMessageContaining(dir.resolve("PKGBUILD").toString())
                .hasMessageContaining("usr/bin/app is an ELF 64-bit x86-64 (EM_X86_64)")
                .hasMessageContaining("CARCH=i686, which wants ELF 32-bit Intel 80386 (EM_386)")
                .hasMessageContaining("gcc -m32").hasMessageContaining("gcc-multilib");
        try (var files = Files.list(dir.resolve("target"))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".pkg.tar"));
        }
        // the same program is right for x86_64
        assertThat(PackageBuilder.build(request(dir, "x86_64", Log.NONE)).file().getFileName().toString())
                .isEqualTo("app-1-1-x86_64.pkg.tar.zst");
    }

    @Test
    void an32BitProgramIsRefusedForX8664AndAcceptedForI686(@TempDir Path tmp) throws IOException {
        Path m32 = compile(tmp.resolve("cc"), "-m32");
        assertThat(readelf(tmp, m32)).contains("Class: ELF32", "Machine: Intel 80386");
        Path dir = project(tmp.resolve("p"), "i686 x86_64", m32);
        assertThat(catchThrowable(() -> PackageBuilder.build(request(dir, "x86_64", Log.NONE))))
                .isInstanceOf(PackageBuildException.class)
                .hasMessageContaining("usr/bin/app is an ELF 32-bit Intel 80386 (EM_386)")
                .hasMessageContaining("CARCH=x86_64, which wants ELF 64-bit x86-64 (EM_X86_64)");
        assertThat(PackageBuilder.build(request(dir, "i686", Log.NONE)).file().getFileName().toString())
                .isEqualTo("app-1-1-i686.pkg.tar.zst");
        // and an aarch64 package holds no x86 program either
        assertThat(catchThrowable(() -> PackageBuilder.build(request(project(tmp.resolve("arm"), "aarch64",
                compile(tmp.resolve("cc64"))), "aarch64", Log.NONE))))
                .hasMessageContaining("usr/bin/app is an ELF 64-bit x86-64 (EM_X86_64)")
                .hasMessageContaining("ELF 64-bit ARM aarch64 (EM_AARCH64)").hasMessageContaining("aarch64-linux-gnu-gcc");
    }

    @Test
    void anAnyPackageWithAProgramIsBuiltWithAWarning(@TempDir Path tmp) throws IOException {
        Path dir = project(tmp.resolve("p"), "any", Path.of("/usr/bin/true"));
        RecordingLog log = new RecordingLog();
        assertThat(PackageBuilder.build(request(dir, "x86_64", log)).file().getFileName().toString())
                .isEqualTo("app-1-1-any.pkg.tar.zst");
        assertThat(log.lines("WARN")).anyMatch(l -> l.contains("usr/bin/app is an ELF 64-bit x86-64")
                && l.contains("arch=('any')"));
    }

    /** The archetype's PKGBUILD and Makefile, rendered as the archetype would for an app called demo. */
    static Path archetypeProject(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("app"));
        Files.copy(ARCHETYPE.resolve("app/server.c"), dir.resolve("app/server.c"));
        Map<String, String> values = Map.of("${artifactId}", "demo", "${pkgverFallback}", "1.0.0",
                "${versionFallback}", "1.0.0", "${pkgdescQuoted}", "demo", "${appPort}", "8080");
        for (String name : List.of("PKGBUILD", "Makefile")) {
            String text = Files.readString(ARCHETYPE.resolve(name)).lines()
                    .filter(l -> !l.startsWith("#set(") && !l.equals("#[[") && !l.equals("]]#"))
                    .reduce("", (a, b) -> a + b + "\n");
            for (Map.Entry<String, String> v : values.entrySet()) {
                text = text.replace(v.getKey(), v.getValue());
            }
            assertThat(text).as(name + " rendered").doesNotContain("${artifactId}", "#[[");
            Files.writeString(dir.resolve(name), text);
        }
        return dir;
    }

    @Test
    void theArchetypesPkgbuildBuildsAnI686ProgramOnThisX8664Machine(@TempDir Path tmp) throws IOException {
        assertThat(Tools.run(tmp, "uname", "-m").ok("uname").text().strip()).isEqualTo("x86_64");
        Path dir = archetypeProject(tmp.resolve("demo"));
        Path i686 = PackageBuilder.build(request(dir, "i686", Log.NONE)).file();
        assertThat(i686.getFileName().toString()).isEqualTo("demo-1.0.0-1-i686.pkg.tar.zst");
        Path root = Files.createDirectories(tmp.resolve("root-i686"));
        Tools.run(root, "bsdtar", "-xf", i686.toString(), "usr/bin/demo").ok("bsdtar");
        assertThat(readelf(tmp, root.resolve("usr/bin/demo"))).contains("Class: ELF32", "Machine: Intel 80386");

        // the next build for x86_64 in the same directory recompiles (the flags changed), not reusing i686 objects
        Path x86 = PackageBuilder.build(request(dir, "x86_64", Log.NONE)).file();
        Path root64 = Files.createDirectories(tmp.resolve("root-x86_64"));
        Tools.run(root64, "bsdtar", "-xf", x86.toString(), "usr/bin/demo").ok("bsdtar");
        assertThat(readelf(tmp, root64.resolve("usr/bin/demo"))).contains("Class: ELF64", "Machine: Advanced Micro Devices X86-64");
    }
}
