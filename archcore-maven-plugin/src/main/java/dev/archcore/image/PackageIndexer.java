package dev.archcore.image;

import dev.archcore.util.AtomicFiles;
import dev.archcore.util.CacheKey;
import dev.archcore.util.Compressed;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
        if (!Files.isRegularFile(file)) {
            throw new ImageBuildException("package file not found: " + file);
        }
        String sha256 = request.sha256() != null ? request.sha256() : Digests.sha256(file);
        PackageIndex index = cached(sha256, contents);
        if (index == null) {
            index = read(file, sha256);
            store(index);
        }
        PkgInfo info = PkgInfo.parse(index.pkginfo(), file.getFileName().toString());
        return new PackageIndex.Loaded(index, info, file, request);
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
        String what = file.getFileName().toString();
        byte[] pkginfo = null;
        byte[] mtree = null;
        byte[] install = null;
        byte[] changelog = null;
        Set<String> backup = null;
        List<ArchiveEntry> entries = new ArrayList<>();
        Map<String, String> md5s = new TreeMap<>();
        Map<String, byte[]> captured = new TreeMap<>();
        String actual;
        long size;
        try (Digests.HashingInputStream raw = new Digests.HashingInputStream(Files.newInputStream(file));
             InputStream in = Compressed.open(new BufferedInputStream(raw, 1 << 16));
             TarArchiveInputStream tar = new TarArchiveInputStream(in, "UTF-8")) {
            int ordinal = -1;
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                ordinal++;
                String name = e.getName();
                EntryPaths.path(name, what); // refuses absolute paths and '..' before anything else
                if (name.startsWith(".")) {
                    // pacman's add.c: .INSTALL, .CHANGELOG and .MTREE go to the database, every other
                    // dot-entry (.PKGINFO, .BUILDINFO, future ones) is never written to the root
                    switch (name) {
                        case ".PKGINFO" -> {
                            pkginfo = tar.readAllBytes();
                            backup = new HashSet<>(PkgInfo.parse(pkginfo, what).backup());
                        }
                        case ".MTREE" -> mtree = tar.readAllBytes();
                        case ".INSTALL" -> install = tar.readAllBytes();
                        case ".CHANGELOG" -> changelog = tar.readAllBytes();
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
                    if (hash || capture) {
                        byte[] content = tar.readAllBytes();
                        if (hash) {
                            md5s.put(name, Digests.hex(md5(content)));
                        }
                        if (capture) {
                            captured.put(name, content);
                        }
                    }
                }
            }
            actual = raw.finish(); // what the tar reader left (end-of-archive blocks, padding) is hashed too
            size = raw.count();
        } catch (IOException e) {
            throw new ImageBuildException("cannot read package " + file + ": " + e.getMessage(), e);
        }
        if (!actual.equals(sha256)) {
            throw Digests.changed(file, sha256, actual);
        }
        if (pkginfo == null) {
            throw new ImageBuildException(what + " has no .PKGINFO: not a pacman package");
        }
        md5s.keySet().retainAll(backup);
        return new PackageIndex(sha256, size, pkginfo, mtree, install, changelog, List.copyOf(entries), md5s, captured);
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
