package dev.archcore.image;

import dev.archcore.pacman.BoundedPackageTar;
import dev.archcore.pacman.InputLimits;
import dev.archcore.pacman.PackageNames;
import dev.archcore.util.AtomicFiles;
import dev.archcore.util.CacheKey;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads a package archive once, without extracting it, into a {@link PackageIndex}; with a cache directory the
 * index is kept under the package's sha256, so an unchanged package is never decompressed again to plan an
 * image (its layer may still be cached too). The index decides what a layer holds (modes, owners, links), so a
 * cached one is sealed with the {@link CacheKey} and one that does not verify is read from the package again; a
 * package is hashed as it is read and must have the SHA-256 it was verified with.
 */
final class PackageIndexer {
    /** Bump when {@link PackageIndex} or what it captures changes, so old cached indexes are not read. */
    private static final String FORMAT = "index-v2";
    private static final int CAPTURE_LIMIT = 1 << 20;
    private static final Pattern CAPTURED = Pattern.compile(
            "(usr/lib|etc)/sysusers\\.d/[^/]+\\.conf|(etc|usr/lib)/os-release|etc/(passwd|group|shadow|gshadow)");

    private final Path cacheDir;
    private final CacheKey cacheKey;

    /** {@code cacheDir} may be null: then every package is read. */
    PackageIndexer(Path cacheDir, CacheKey cacheKey) {
        this.cacheDir = cacheDir == null ? null : cacheDir.resolve(FORMAT);
        this.cacheKey = cacheKey;
    }

    /**
     * The package's index; without {@code contents}, a cached index is read only as far as the metadata members
     * (entries, backup md5s and captured files null), for a package whose layer and plan come from caches.
     */
    PackageIndex.Loaded load(ImagePackage request, boolean contents) {
        Path file = request.file();
        if (request.verified() == null && !Files.isRegularFile(file)) {
            throw new ImageBuildException("package file not found: " + file);
        }
        String sha256 = request.sha256() != null ? request.sha256() : Digests.sha256(file);
        PackageIndex index = cached(sha256, contents);
        if (index == null) {
            index = read(request, sha256);
            store(index);
        }
        PkgInfo info = PkgInfo.parse(index.pkginfo(), file.getFileName().toString());
        checkListed(request, info);
        return new PackageIndex.Loaded(index, info, file, request);
    }

    /**
     * pacman refuses a downloaded package whose name or version is not its database entry's; so does the image,
     * or a repository could list a harmless package and deliver another.
     */
    private static void checkListed(ImagePackage request, PkgInfo info) {
        ImagePackage.Listed listed = request.listed();
        if (listed == null) {
            return;
        }
        boolean archDiffers = !listed.arch().isEmpty() && !listed.arch().equals(info.arch());
        if (!listed.name().equals(info.pkgname()) || !listed.version().equals(info.pkgver()) || archDiffers) {
            throw new ImageBuildException(request.file().getFileName() + " from [" + request.origin() + "] is "
                    + info.pkgname() + " " + info.pkgver() + " (" + info.arch() + ") by its .PKGINFO, but the database"
                    + " entry it was fetched for is " + listed.name() + " " + listed.version()
                    + (listed.arch().isEmpty() ? "" : " (" + listed.arch() + ")") + "; refused: the repository is"
                    + " inconsistent or hostile. Refresh the database; if it stays, report it to the repository");
        }
    }

    private PackageIndex cached(String sha256, boolean contents) {
        if (cacheDir == null) {
            return null;
        }
        Path path = cacheDir.resolve(sha256 + ".idx");
        if (!Files.isRegularFile(path)) {
            return null;
        }
        try {
            // the whole file is authenticated, even when only its metadata is wanted: a few milliseconds per build
            byte[] content = cacheKey.open(context(sha256), Files.readAllBytes(path));
            if (content == null) {
                return null; // not sealed with this user's cache key: read the package again
            }
            PackageIndex index = PackageIndexCodec.read(new ByteArrayInputStream(content), contents);
            return index != null && sha256.equals(index.sha256()) ? index : null;
        } catch (IOException | RuntimeException e) {
            return null; // a damaged cache entry is rebuilt
        }
    }

    private static String context(String sha256) {
        return "archcore package index " + FORMAT + " " + sha256;
    }

    private void store(PackageIndex index) {
        if (cacheDir == null) {
            return;
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PackageIndexCodec.write(index, bytes);
            byte[] stored = cacheKey.seal(context(index.sha256()), bytes.toByteArray());
            AtomicFiles.write(cacheDir.resolve(index.sha256() + ".idx"), out -> out.write(stored));
        } catch (IOException e) {
            // the cache is an optimisation: a read-only or full cache directory must not fail the build
        }
    }

    /** Reads the package, hashing it as it goes: it must have {@code sha256}, the hash it was verified with. */
    static PackageIndex read(Path file, String sha256) {
        return read(ImagePackage.dependency(file), sha256);
    }

    /**
     * Reads the package from its {@link PackageBytes} (hashed as they are read, or the open bytes its download
     * hashed): they must have {@code sha256}, the hash it was verified with.
     */
    static PackageIndex read(ImagePackage pkg, String sha256) {
        Path file = pkg.file();
        String what = file.getFileName().toString();
        byte[] pkginfo = null;
        byte[] mtree = null;
        byte[] install = null;
        byte[] changelog = null;
        Set<String> backup = null;
        List<ArchiveEntry> entries = new ArrayList<>();
        Map<String, String> md5s = new TreeMap<>();
        Map<String, byte[]> captured = new TreeMap<>();
        long size;
        PackageBytes raw;
        try {
            raw = PackageBytes.open(pkg, sha256);
        } catch (IOException e) {
            throw new ImageBuildException("cannot read package " + file + ": " + e.getMessage(), e);
        }
        try (raw; BoundedPackageTar tar = new BoundedPackageTar(raw.in(), what)) {
            int ordinal = -1;
            for (TarArchiveEntry e; (e = tar.next()) != null; ) {
                ordinal++;
                String name = e.getName();
                EntryPaths.path(name, what); // refuses absolute paths and '..' before anything else
                refuseNewline(name, what);
                if (name.startsWith(".")) {
                    // pacman's add.c: .INSTALL, .CHANGELOG and .MTREE go to the database, every other
                    // dot-entry (.PKGINFO, .BUILDINFO, future ones) is never written to the root
                    switch (name) {
                        case ".PKGINFO" -> {
                            pkginfo = tar.pkginfo();
                            PkgInfo info = PkgInfo.parse(pkginfo, what);
                            backup = new HashSet<>(info.backup());
                            tar.declaredSize(info.size());
                        }
                        case ".MTREE" -> mtree = tar.member(name, InputLimits.MTREE);
                        case ".INSTALL" -> install = tar.member(name, InputLimits.INSTALL);
                        case ".CHANGELOG" -> changelog = tar.member(name, InputLimits.CHANGELOG);
                        default -> {
                        }
                    }
                    continue;
                }
                ArchiveEntry entry = entry(ordinal, e, what);
                entries.add(entry);
                if (entry.kind() == ArchiveEntry.Kind.FILE) {
                    // backup files need their md5 in the local database; before .PKGINFO is seen, hash them all
                    boolean hash = backup == null || backup.contains(name);
                    boolean capture = e.getSize() <= CAPTURE_LIMIT && CAPTURED.matcher(name).matches();
                    if (capture) {
                        byte[] content = tar.member(name, CAPTURE_LIMIT);
                        captured.put(name, content);
                        if (hash) {
                            md5s.put(name, Digests.hex(md5(content)));
                        }
                    } else if (hash) {
                        // streamed: a backup file may be as large as the package says, never held whole
                        MessageDigest md5 = Digests.md5();
                        tar.content().transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), md5));
                        md5s.put(name, Digests.hex(md5.digest()));
                    }
                }
            }
            raw.check();
            size = raw.size();
        } catch (IOException e) {
            raw.failed(e);
            throw new ImageBuildException("cannot read package " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            raw.failed(e);
            throw e;
        }
        if (pkginfo == null) {
            throw new ImageBuildException(what + " has no .PKGINFO: not a pacman package");
        }
        md5s.keySet().retainAll(backup);
        return new PackageIndex(sha256, size, pkginfo, mtree, install, changelog, List.copyOf(entries), md5s, captured);
    }

    /**
     * A name with a newline would split a line of the local database's {@code files} list, so pacman would
     * read other paths than the package holds (libalpm reads it line by line, strips only the {@code \n}):
     * refused. Other characters are safe there (a tab or a carriage return stays inside its line).
     */
    private static void refuseNewline(String name, String what) {
        if (name.indexOf('\n') >= 0) {
            throw new ImageBuildException(what + ": entry '" + PackageNames.shown(name) + "' has a newline in its path,"
                    + " which would corrupt the image's pacman database (var/lib/pacman/local/*/files lists one path"
                    + " per line); refused: rename the file in the package");
        }
    }

    private static byte[] md5(byte[] content) {
        MessageDigest md5 = Digests.md5();
        return md5.digest(content);
    }

    private static ArchiveEntry entry(int ordinal, TarArchiveEntry e, String what) {
        ArchiveEntry.Kind kind;
        if (e.isSymbolicLink()) {
            kind = ArchiveEntry.Kind.SYMLINK;
        } else if (e.isLink()) {
            kind = ArchiveEntry.Kind.HARDLINK;
        } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
            throw new ImageBuildException(what + ": entry '" + e.getName() + "' is a device node or FIFO; an image "
                    + "layer built from packages holds only files, directories and links");
        } else if (e.isDirectory()) {
            kind = ArchiveEntry.Kind.DIRECTORY;
        } else {
            kind = ArchiveEntry.Kind.FILE;
        }
        Map<String, String> pax = new LinkedHashMap<>();
        e.getExtraPaxHeaders().forEach((k, v) -> {
            if (k.startsWith("SCHILY.xattr.") || k.startsWith("LIBARCHIVE.xattr.")) {
                pax.put(k, v);
            }
        });
        long mtime = e.getLastModifiedTime() == null ? 0 : e.getLastModifiedTime().toInstant().getEpochSecond();
        String link = kind == ArchiveEntry.Kind.SYMLINK || kind == ArchiveEntry.Kind.HARDLINK ? e.getLinkName() : null;
        return new ArchiveEntry(ordinal, e.getName(), kind, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(),
                e.getUserName(), e.getGroupName(), mtime, kind == ArchiveEntry.Kind.FILE ? e.getSize() : 0, link,
                new TreeMap<>(pax));
    }
}
