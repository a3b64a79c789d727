package dev.archcore.pacman;

import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scan lists what GNU find lists (issue 17 replaced Files.walk with its own recursion): every path once,
 * symlinks not followed, modes with their setuid/setgid/sticky bits, the first hard link in byte order carrying the
 * data and the others pointing at it.
 */
class PackageTreeTest {

    @Test
    void listsWhatFindLists(@TempDir Path tmp) throws IOException {
        Tools.require("find");
        Path pkgdir = tmp.resolve("pkg");
        Path outside = Files.createDirectories(tmp.resolve("outside/deep"));
        Files.writeString(outside.resolve("secret"), "not packed\n");
        Files.createDirectories(pkgdir.resolve("usr/lib/app/empty"));
        Files.createDirectories(pkgdir.resolve("usr/bin"));
        Files.writeString(pkgdir.resolve("usr/bin/app"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(pkgdir.resolve("usr/bin/app"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(pkgdir.resolve("usr/lib/app/z-data"), "shared\n");
        Files.createLink(pkgdir.resolve("usr/lib/app/a-link"), pkgdir.resolve("usr/lib/app/z-data"));
        Files.createLink(pkgdir.resolve("usr/bin/b-link"), pkgdir.resolve("usr/lib/app/z-data"));
        Files.createSymbolicLink(pkgdir.resolve("usr/lib/app/outside"), tmp.resolve("outside")); // not followed
        Files.createSymbolicLink(pkgdir.resolve("usr/lib/app/dangling"), Path.of("../nowhere"));
        Files.writeString(pkgdir.resolve("usr/lib/app/ü-non-ascii"), "x");
        Files.createDirectories(pkgdir.resolve("srv/shared"));
        Tools.run(tmp, "chmod", "4755", pkgdir.resolve("usr/bin/app").toString()).ok("chmod");
        Tools.run(tmp, "chmod", "3775", pkgdir.resolve("srv/shared").toString()).ok("chmod");

        PackageTree tree = PackageTree.scan(pkgdir);

        // find's view, independent of the scan: path, type, mode, size, symlink target, inode
        List<String> found = Tools.run(pkgdir, Map.of("LC_ALL", "C"), List.of("sh", "-c",
                        "find . -mindepth 1 -printf '%P\\t%y\\t%#m\\t%s\\t%l\\t%i\\n' | sort"))
                .ok("find").text().lines().toList();
        List<String> expected = new ArrayList<>();
        Map<String, String> firstOfInode = new HashMap<>();
        for (String line : found) {
            String[] f = line.split("\t", -1);
            String type = switch (f[1]) {
                case "d" -> "DIRECTORY";
                case "l" -> "SYMLINK";
                case "f" -> firstOfInode.putIfAbsent(f[5], f[0]) == null ? "FILE" : "HARDLINK";
                default -> throw new AssertionError(line);
            };
            String link = f[1].equals("l") ? f[4] : type.equals("HARDLINK") ? firstOfInode.get(f[5]) : null;
            long size = f[1].equals("f") ? Long.parseLong(f[3]) : 0;
            expected.add(f[0] + " " + type + " " + f[2] + " " + size + " " + link);
        }
        List<String> scanned = tree.entries().stream()
                .map(e -> e.path() + " " + e.type() + " 0" + Integer.toOctalString(e.mode()) + " " + e.size() + " "
                        + e.link())
                .toList();
        assertThat(scanned).isEqualTo(expected);
        assertThat(scanned).contains("usr/bin/app FILE 04755 10 null", "srv/shared DIRECTORY 03775 0 null",
                "usr/lib/app/outside SYMLINK 0777 0 " + tmp.resolve("outside"),
                "usr/lib/app/z-data HARDLINK 0644 7 usr/bin/b-link");
        assertThat(scanned).noneMatch(s -> s.contains("secret"));
    }
}
