package dev.archcore.pacman;

import dev.archcore.util.Command;
import dev.archcore.util.Log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * makepkg without makepkg: reads the PKGBUILD, runs prepare/build/check/package with makepkg's variables,
 * applies makepkg's tidy options, then writes (and optionally signs) the package natively.
 */
public final class PackageBuilder {
    /** Recorded as builddir/startdir, as Arch's own clean-chroot builds do, so the path of a checkout never leaks in. */
    private static final String RECORDED_BUILDDIR = "/build";
    private static final String RECORDED_STARTDIR = "/startdir";

    private PackageBuilder() {
    }

    public static BuiltPackage build(PackageRequest request) {
        Log log = request.log();
        Path srcdir = request.buildDirectory().resolve("src").toAbsolutePath();
        mkdirs(srcdir);
        Pkgbuild pkgbuild = PkgbuildReader.read(request.pkgbuild(), srcdir, request.carch());
        String pkgname = pkgbuild.pkgname();
        log.info("Making package: " + pkgname + " " + pkgbuild.fullVersion() + " (" + pkgbuild.packageArch() + ")");
        VcsVersionCheck.warn(pkgbuild, List.of(request.outputDirectory(), request.buildDirectory()), log);

        Path pkgdir = request.buildDirectory().resolve("pkg").resolve(pkgname).toAbsolutePath();
        deleteRecursively(pkgdir);
        mkdirs(pkgdir);
        linkLocalSources(pkgbuild, srcdir);
        Map<String, String> env = environment(request, pkgbuild, srcdir, pkgdir);

        for (String function : List.of("prepare", "build", "check", "package")) {
            if (pkgbuild.defines(function)) {
                log.info("Starting " + function + "()...");
                run(pkgbuild, function + "()", BashScript.command("pkgbuild-run.sh", pkgbuild.file().toString(),
                        function, pkgbuild.scalar("pkgver")), srcdir, env, log);
            }
        }
        if (!pkgbuild.defines("package")) {
            // the contract's fallback for a PKGBUILD that only declares metadata: the Makefile builds and installs
            Path dir = pkgbuild.startdir();
            if (!pkgbuild.defines("build")) {
                run(pkgbuild, "make", List.of("make", "-C", dir.toString()), dir, env, log);
            }
            run(pkgbuild, "make install", List.of("make", "-C", dir.toString(), "DESTDIR=" + pkgdir, "install"),
                    dir, env, log);
        }
        if (isEmpty(pkgdir)) {
            throw new PackageBuildException(pkgbuild.file() + ": package() left $pkgdir (" + pkgdir + ") empty; "
                    + "install the app's files under \"$pkgdir\", e.g. make DESTDIR=\"$pkgdir\" install.");
        }
        List<String> options = BuildOptions.effective(pkgbuild.list("options"));
        tidy(pkgbuild, pkgdir, options, env, log);

        PackageTree tree;
        try {
            tree = PackageTree.scan(pkgdir);
        } catch (PackageBuildException e) {
            throw new PackageBuildException(pkgbuild.file() + ": package() wrote " + e.getMessage(), e);
        }
        ElfArchLint.check(tree, pkgbuild.packageArch(), pkgbuild.file().toString(), log);
        PackageMetadata metadata = PackageMetadata.from(pkgbuild, request.sourceDateEpoch(), request.packager(),
                tree.installedSize(), buildInfo(request, pkgbuild, options));
        Path target = request.outputDirectory().resolve(metadata.fileName(request.compression())).toAbsolutePath();
        log.info("Creating package \"" + target.getFileName() + "\"...");
        try {
            new PackageWriter(request.compression(), request.compressionLevel())
                    .write(tree, metadata, extras(pkgbuild), request.tool(), request.sourceDateEpoch(), target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
        Path signature = null;
        if (request.signing() != null) {
            PackageRequest.Signing s = request.signing();
            PackageSigner signer = PackageSigner.fromSecretKeyring(s.keyring(), s.keyId(), s.passphrase());
            signature = target.resolveSibling(target.getFileName() + ".sig");
            signer.signDetached(target, signature, Instant.ofEpochSecond(request.sourceDateEpoch()));
            log.info("Signed with key " + signer.fingerprint() + ": " + signature.getFileName());
        }
        return new BuiltPackage(target, signature, metadata);
    }

    private static Map<String, String> environment(PackageRequest request, Pkgbuild pkgbuild, Path srcdir, Path pkgdir) {
        Map<String, String> env = new HashMap<>(request.environment());
        env.put("startdir", pkgbuild.startdir().toString());
        env.put("srcdir", srcdir.toString());
        env.put("pkgdir", pkgdir.toString());
        env.put("CARCH", request.carch());
        env.put("SOURCE_DATE_EPOCH", Long.toString(request.sourceDateEpoch()));
        return env;
    }

    private static void run(Pkgbuild pkgbuild, String what, List<String> command, Path dir, Map<String, String> env, Log log) {
        Command.Result result = Command.run(command, dir, env, log::info);
        if (!result.ok()) {
            String hint = result.tail().stream().anyMatch(l -> l.contains("No rule to make target") && l.contains("install"))
                    ? " The Makefile has no install target: add one that copies the app under $(DESTDIR), e.g. "
                      + "install -Dm755 app $(DESTDIR)/usr/bin/app."
                    : " Fix the command and build again; the previous package in the output directory is untouched.";
            throw new PackageBuildException(pkgbuild.file() + ": " + what + " failed (exit " + result.exitCode() + ")."
                    + hint + " Last lines of its output:\n" + result.tailText());
        }
    }

    private static void tidy(Pkgbuild pkgbuild, Path pkgdir, List<String> options, Map<String, String> env, Log log) {
        Map<String, String> tidyEnv = new HashMap<>(env);
        tidyEnv.put("ARCHCORE_OPTIONS", String.join(" ", options));
        Command.Result result = Command.run(BashScript.command("tidy.sh"), pkgdir, tidyEnv, log::info);
        if (!result.ok()) {
            throw new PackageBuildException(pkgbuild.file() + ": tidying $pkgdir for options=(" + String.join(" ", options)
                    + ") failed:\n" + result.tailText());
        }
    }

    /** Local {@code source=()} entries are linked into {@code $srcdir}, as makepkg does; remote ones are not fetched. */
    private static void linkLocalSources(Pkgbuild pkgbuild, Path srcdir) {
        List<String> sources = pkgbuild.list("source");
        List<String> sums = pkgbuild.list("sha256sums");
        for (int i = 0; i < sources.size(); i++) {
            String source = sources.get(i);
            String name = source.contains("::") ? source.substring(0, source.indexOf("::")) : null;
            String location = source.contains("::") ? source.substring(source.indexOf("::") + 2) : source;
            if (location.contains("://")) {
                throw new PackageBuildException(pkgbuild.file() + ": source entry '" + source + "' is remote; "
                        + "archcore:pkg builds from the project's own files, so keep sources in the project and list "
                        + "them by relative path (or fetch them in prepare()).");
            }
            Path file = pkgbuild.startdir().resolve(location);
            if (!Files.exists(file)) {
                throw new PackageBuildException(pkgbuild.file() + ": source entry '" + source + "' does not exist in "
                        + pkgbuild.startdir() + "; add the file or remove the entry.");
            }
            if (i < sums.size() && !sums.get(i).equals("SKIP") && !sums.get(i).equalsIgnoreCase(PkgbuildReader.sha256(file))) {
                throw new PackageBuildException(pkgbuild.file() + ": source entry '" + source + "' does not match "
                        + "sha256sums[" + i + "] (" + sums.get(i) + "); update the sum (sha256sum " + location
                        + ") or use 'SKIP'.");
            }
            Path link = srcdir.resolve(name != null ? name : file.getFileName().toString());
            try {
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot link " + file + " into " + srcdir, e);
            }
        }
    }

    private static List<PackageWriter.Extra> extras(Pkgbuild pkgbuild) {
        List<PackageWriter.Extra> extras = new ArrayList<>();
        for (String[] field : new String[][] {{"changelog", ".CHANGELOG"}, {"install", ".INSTALL"}}) {
            String name = pkgbuild.scalar(field[0]);
            if (!name.isEmpty()) {
                Path file = pkgbuild.startdir().resolve(name);
                try {
                    extras.add(new PackageWriter.Extra(field[1], Files.readAllBytes(file)));
                } catch (IOException e) {
                    throw new PackageBuildException(pkgbuild.file() + ": " + field[0] + "=" + name + " but " + file
                            + " cannot be read; add the file next to the PKGBUILD or remove the field.", e);
                }
            }
        }
        return extras;
    }

    private static PackageMetadata.BuildInfo buildInfo(PackageRequest request, Pkgbuild pkgbuild, List<String> options) {
        String[] tool = request.tool().split(" ", 2);
        List<String> buildenv = List.of("!distcc", "!color", "!ccache", "check", request.signing() != null ? "sign" : "!sign");
        return new PackageMetadata.BuildInfo(pkgbuild.sha256(), RECORDED_BUILDDIR, RECORDED_STARTDIR, tool[0],
                tool.length > 1 ? tool[1] : "", buildenv, options, List.of());
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
