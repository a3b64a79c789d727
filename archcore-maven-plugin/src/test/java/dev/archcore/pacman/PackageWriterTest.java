package dev.archcore.pacman;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import dev.archcore.testing.Pacman;
import dev.archcore.testing.Tools;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package as two compressed streams (issue 17): the metadata first, the data (read and digested once) after,
 * judged by the real pacman, bsdtar and zstd.
 */
class PackageWriterTest {
    private static final long MTIME = 1_700_000_000L;

    @Test
    void theMetadataIsAFirstFrameOfItsOwnAndPacmanReadsBoth(@TempDir Path tmp) throws IOException {
        Tools.require("pacman", "testpkg", "bsdtar", "zstd");
        Path pkgdir = tmp.resolve("pkgdir");
        // "+early" and ".A" sort before .BUILDINFO/.MTREE/.PKGINFO, so they travel in the first frame; the rest after
        Files.createDirectories(pkgdir.resolve("usr/share/app"));
        Files.writeString(pkgdir.resolve("+early"), "before the metadata\n");
        Files.writeString(pkgdir.resolve(".A"), "a dotfile before .BUILDINFO\n");
        Files.write(pkgdir.resolve("usr/share/app/data.bin"), new byte[300_000]);
        Files.writeString(pkgdir.resolve("usr/share/app/z.txt"), "last\n");
        Files.createLink(pkgdir.resolve("+link"), pkgdir.resolve("usr/share/app/z.txt"));
        Path pkg = tmp.resolve("out/two-1.0-1-x86_64.pkg.tar.zst");
        Files.createDirectories(pkg.getParent());
        PackageTree tree = PackageTree.scan(pkgdir);
        new PackageWriter(Compression.ZSTD, 3).write(tree, metadata(tree.installedSize()), List.of(), "test", MTIME, pkg);

        String frames = Tools.run(tmp, "zstd", "-lv", pkg.toString()).ok("zstd -lv").text();
        assertThat(frames).containsPattern("Zstandard Frames: 2\\b");
        byte[] bytes = Files.readAllBytes(pkg);
        long first = Zstd.findFrameCompressedSize(bytes);
        assertThat(tarNames(Arrays.copyOf(bytes, (int) first)))
                .containsExactly("+early", "+link", ".A", ".BUILDINFO", ".MTREE", ".PKGINFO");

        List<String> listed = Tools.run(tmp, "bsdtar", "-tf", pkg.toString()).ok("bsdtar -tf").text().lines().toList();
        assertThat(listed).containsExactly("+early", "+link", ".A", ".BUILDINFO", ".MTREE", ".PKGINFO",
                "usr/", "usr/share/", "usr/share/app/", "usr/share/app/data.bin", "usr/share/app/z.txt");
        Pacman.assertValid(pkg);
        assertThat(Pacman.info(pkg).get("Name")).isEqualTo("two");
        // -Qkk checks every file against .MTREE's sizes and digests, those of the first frame too
        Pacman.installAndCheck(pkg, tmp.resolve("root"));
        assertThat(tmp.resolve("root/usr/share/app/data.bin")).hasSize(300_000);
    }

    private static List<String> tarNames(byte[] zstdFrame) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = new ZstdInputStream(new ByteArrayInputStream(zstdFrame));
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        return names;
    }

    private static PackageMetadata metadata(long size) {
        PackageMetadata.BuildInfo buildInfo = new PackageMetadata.BuildInfo(
                "0".repeat(64), "/build", "/startdir", "archcore", "test",
                List.of("!distcc", "!color", "!ccache", "check", "!sign"),
                List.of("!strip", "docs", "libtool", "staticlibs", "emptydirs", "!zipman", "!purge", "!debug", "!lto"),
                List.of());
        return new PackageMetadata("two", "two", "1.0-1", "two frames", "https://example.invalid/two",
                MTIME, "archcore test <test@example.invalid>", size, "x86_64",
                List.of("MIT"), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), buildInfo);
    }
}
