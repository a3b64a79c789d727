package dev.archcore.pacman;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.archcore.testing.FuzzRules;
import org.junit.jupiter.api.Timeout;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for what pacman-side code reads from outside: package archives (tar in zstd, xz, gzip or
 * plain), {@code .PKGINFO}, versions and relations, the values of a PKGBUILD, and the {@code .MTREE} name
 * escaping. The seeds (PacmanFuzzTestInputs/) come from a package makepkg built; bench/fuzz.sh fuzzes each target.
 */
@Timeout(10)
class PacmanFuzzTest {

    /** A package file as pacman -U or a repository would hand it over; .PKGINFO, .BUILDINFO, .MTREE are members. */
    @FuzzTest
    void packageArchive(byte[] data) {
        if (data.length > FuzzRules.MAX_INPUT) {
            return;
        }
        Path file = FuzzRules.file("fuzz.pkg.tar", data);
        FuzzRules.onlyClearErrors(() -> {
            PackageFile read = PackageReader.read(file);
            assertThat(read.name()).isNotEmpty();
            assertThat(read.files()).doesNotContainNull();
        }, IllegalArgumentException.class, UncheckedIOException.class);
    }

    @FuzzTest
    void pkginfo(byte[] data) {
        FuzzRules.onlyClearErrors(() -> PackageReader.parsePkginfo(data));
    }

    /** pacman's vercmp is a total order: equal to itself, and antisymmetric. */
    @FuzzTest
    void vercmp(byte[] data) {
        String[] ab = new String(data, StandardCharsets.UTF_8).split("\n", 2);
        String a = ab[0];
        String b = ab.length > 1 ? ab[1] : "";
        FuzzRules.onlyClearErrors(() -> {
            assertThat(Vercmp.compare(a, a)).isZero();
            assertThat(Integer.signum(Vercmp.compare(a, b))).isEqualTo(-Integer.signum(Vercmp.compare(b, a)));
        });
    }

    /** A dependency as .PKGINFO, a sync database or a PKGBUILD gives it, then checked against a version. */
    @FuzzTest
    void relation(byte[] data) {
        String[] lines = new String(data, StandardCharsets.UTF_8).split("\n", 2);
        FuzzRules.onlyClearErrors(() -> {
            Relation r = Relation.parse(lines[0]);
            r.satisfiedBy(lines.length > 1 ? lines[1] : null);
            assertThat(r.toString()).isNotNull();
        }, IllegalArgumentException.class);
    }

    /** What bash's dump of a sourced PKGBUILD holds ({@code name NUL count NUL values...}), then makepkg's lint. */
    @FuzzTest
    void pkgbuild(byte[] data) {
        FuzzRules.onlyClearErrors(() -> {
            Pkgbuild p = new Pkgbuild(Path.of("/fuzz/PKGBUILD"), "0".repeat(64), Path.of("/fuzz"), "x86_64",
                    PkgbuildReader.parseDump(data), Set.of("package"));
            PkgbuildLint.check(p);
            PackageMetadata m = PackageMetadata.from(p, 0, "fuzz", 0,
                    new PackageMetadata.BuildInfo("", "", "", "", "", java.util.List.of(), java.util.List.of(),
                            java.util.List.of()));
            m.pkginfo("fuzz");
            m.fileName(Compression.ZSTD);
        }, PackageBuildException.class);
    }

    /** A file name of the app's tree as .MTREE writes it: only printable ASCII, and it decodes to the same bytes. */
    @FuzzTest
    void mtreeName(byte[] data) {
        String name = new String(data, StandardCharsets.UTF_8);
        String escaped = Mtree.escape(name);
        assertThat(escaped.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '#' && c != '=')).isTrue();
        assertThat(unescape(escaped)).isEqualTo(HexFormat.of().formatHex(name.getBytes(StandardCharsets.UTF_8)));
    }

    private static String unescape(String escaped) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < escaped.length(); i++) {
            int c = escaped.charAt(i);
            if (c == '\\') {
                c = Integer.parseInt(escaped.substring(i + 1, i + 4), 8);
                i += 3;
            }
            hex.append(String.format("%02x", c));
        }
        return hex.toString();
    }
}
