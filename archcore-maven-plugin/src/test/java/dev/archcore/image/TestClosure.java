package dev.archcore.image;

import dev.archcore.testing.CraftedPackage;
import dev.archcore.testing.Fixtures;
import dev.archcore.testing.TestPackages;
import dev.archcore.testing.Tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.archcore.testing.TestPackages.dirs;
import static dev.archcore.testing.TestPackages.file;
import static dev.archcore.testing.TestPackages.symlink;

/**
 * The small closure the image tests install: a filesystem-like base (dirs, /bin -> usr/bin style links,
 * sysusers.d, a hook, docs for NoExtract, a backup file), busybox (the host's static busybox), a crafted
 * package with non-root owners, setuid/setgid bits, a hard link and an .INSTALL,
 * and the app: the archetype's HTTP server compiled with gcc -static.
 */
final class TestClosure {
    static final List<String> NO_EXTRACT = List.of("usr/share/doc/*", "!usr/share/doc/keep/*");
    static final Path SERVER_C = Path.of("../archcore-archetype/src/main/resources/archetype-resources/app/server.c");

    final Path basefs;
    final Path busybox;
    final Path owners;
    final Path app;

    private TestClosure(Path basefs, Path busybox, Path owners, Path app) {
        this.basefs = basefs;
        this.busybox = busybox;
        this.owners = owners;
        this.app = app;
    }

    List<ImagePackage> packages() {
        return List.of(ImagePackage.dependency(basefs), ImagePackage.dependency(busybox),
                ImagePackage.dependency(owners), ImagePackage.app(app));
    }

    List<Path> files() {
        return List.of(basefs, busybox, owners, app);
    }

    static TestClosure make(Path dir) {
        Tools.require("gcc");
        Path out = dir.resolve("pkgs");
        long epoch = Fixtures.EPOCH;

        Path base = dir.resolve("src-basefs");
        dirs(base, "etc", "usr/bin", "usr/lib", "usr/share/doc/keep", "var/lib", "srv");
        symlink(base, "bin", "usr/bin");
        symlink(base, "lib", "usr/lib");
        symlink(base, "sbin", "usr/bin");
        file(base, "etc/nsswitch.conf", "passwd: files\ngroup: files\n", "rw-r--r--");
        file(base, "usr/lib/sysusers.d/basic.conf",
                "# the basics\nu root 0 \"Super User\" /root /usr/bin/sh\ng wheel -\n"
                        + "u nobody 65534:65534 \"Kernel Overflow User\" -\n", "rw-r--r--");
        file(base, "usr/share/libalpm/hooks/30-fake-update.hook",
                "[Trigger]\nType = Path\nOperation = Install\nTarget = usr/*\n[Action]\nWhen = PostTransaction\nExec = /bin/true\n",
                "rw-r--r--");
        file(base, "usr/share/doc/basefs/README", "docs are NoExtract'd\n", "rw-r--r--");
        file(base, "usr/share/doc/keep/KEEP", "but not these\n", "rw-r--r--");
        Path basefs = TestPackages.write(TestPackages.Spec.of("basefs", "2026.1-1").backup("etc/nsswitch.conf")
                .extra(".CHANGELOG", "2026.1-1: first\n"), base, out, epoch);

        Path bb = dir.resolve("src-busybox");
        try {
            Files.createDirectories(bb.resolve("usr/bin"));
            Files.copy(Path.of("/bin/busybox"), bb.resolve("usr/bin/busybox"));
        } catch (IOException e) {
            throw new UncheckedIOException("busybox-static must be installed (scripts/setup)", e);
        }
        for (String applet : List.of("sh", "cat", "ls", "id", "env", "wget", "stat")) {
            symlink(bb, "usr/bin/" + applet, "busybox");
        }
        Path busybox = TestPackages.write(TestPackages.Spec.of("busybox", "1.35.0-4").depends("basefs")
                .arch("x86_64"), bb, out, epoch);

        Path owners = new CraftedPackage("owners", "1.0-1")
                .install("post_install() {\n  echo never run\n}\n")
                .dir("srv/", 0755, 0, 0)
                .dir("srv/data/", 0750, 1000, 1000)
                .file("srv/data/file", "owned by 1000:100\n", 0640, 1000, 100)
                .dir("usr/", 0755, 0, 0)
                .dir("usr/bin/", 0755, 0, 0)
                .file("usr/bin/hl-a", "#!/bin/sh\necho hard linked\n", 0755, 0, 0)
                .hardlink("usr/bin/hl-b", "usr/bin/hl-a", 0755)
                .file("usr/bin/sgidtool", "#!/bin/sh\n", 02755, 0, 50)
                .file("usr/bin/suidtool", "#!/bin/sh\n", 04755, 0, 0)
                .write(out);

        Path app = app(dir, out, "1.0");
        return new TestClosure(basefs, busybox, owners, app);
    }

    /** The app package at a version: the archetype's server, compiled statically, plus a sysusers.d user. */
    static Path app(Path dir, Path out, String version) {
        Path src = dir.resolve("src-app-" + version);
        try {
            Files.createDirectories(src);
            Files.createDirectories(dir.resolve("pkg-app-" + version).resolve("usr/bin"));
            Files.writeString(src.resolve("config.h"), "#define APP_NAME \"demo-app\"\n#define APP_VERSION \"" + version
                    + "\"\n#define APP_DEFAULT_PORT 8080\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path root = dir.resolve("pkg-app-" + version);
        Tools.run(src, "gcc", "-static", "-O2", "-I" + src, "-o", root.resolve("usr/bin/app-server").toString(),
                SERVER_C.toAbsolutePath().toString()).ok("gcc -static server.c");
        dirs(root, "var/lib/app");
        file(root, "usr/lib/sysusers.d/app.conf", "u app - \"archcore demo app\" /var/lib/app\n", "rw-r--r--");
        return TestPackages.write(TestPackages.Spec.of("demo-app", version + "-1").depends("busybox"), root,
                out.resolveSibling("pkgs-" + version), Fixtures.EPOCH);
    }
}
