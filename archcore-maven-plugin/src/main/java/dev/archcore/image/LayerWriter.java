package dev.archcore.image;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * Writes one layer: a tar of the given entries in their (sorted) order, ustar with pax only where needed,
 * owners and times as given, then gzip with no name and mtime 0. It hashes both the tar (the diff_id) and the
 * gzip stream (the blob digest) while writing, so the layer is never read back.
 */
final class LayerWriter {
    record Written(String diffId, String digest, long size, long tarSize, Path blob) {
    }

    private LayerWriter() {
    }

    /**
     * @param packages the packages whose content the entries use, by sha256
     * @param dir      where the blob is written (as a temporary file named by nothing yet)
     */
    static Written write(List<LayerEntry> entries, Map<String, PackageIndex.Loaded> packages, int level, Path dir)
            throws IOException {
        Map<String, PackageContent> sources = sources(entries, packages, dir.resolve("spool"));
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "layer", ".tar.gz.part");
        try {
            Digests.HashingOutputStream compressed;
            Digests.HashingOutputStream tarBytes;
            try (OutputStream file = Files.newOutputStream(temp)) {
                compressed = new Digests.HashingOutputStream(new BufferedOutputStream(file, 1 << 16));
                GZIPOutputStream gzip = new GZIPOutputStream(compressed, 1 << 16) {
                    {
                        def.setLevel(level);
                    }
                };
                tarBytes = new Digests.HashingOutputStream(gzip);
                BufferedOutputStream buffered = new BufferedOutputStream(tarBytes, 1 << 16);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(buffered, "UTF-8");
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                tar.setAddPaxHeadersForNonAsciiNames(true);
                for (LayerEntry e : entries) {
                    tar.putArchiveEntry(header(e));
                    if (e.kind() == ArchiveEntry.Kind.FILE) {
                        if (e.content() instanceof LayerEntry.Generated g) {
                            tar.write(g.bytes());
                        } else {
                            LayerEntry.FromPackage c = (LayerEntry.FromPackage) e.content();
                            sources.get(c.sha256()).copy(c, e.size(), tar);
                        }
                    }
                    tar.closeArchiveEntry();
                }
                tar.finish();
                buffered.flush();
                gzip.finish();
                compressed.flush();
            }
            for (PackageContent s : sources.values()) {
                s.verify(); // before the layer is named, cached or used
            }
            String digest = compressed.hex();
            Path blob = dir.resolve(digest);
            dev.archcore.util.AtomicFiles.move(temp, blob);
            return new Written("sha256:" + tarBytes.hex(), "sha256:" + digest, compressed.count(), tarBytes.count(), blob);
        } finally {
            Files.deleteIfExists(temp);
            for (PackageContent s : sources.values()) {
                s.close();
            }
        }
    }

    /** Streams each package once in archive order when its entries come in that order; else spools it. */
    private static Map<String, PackageContent> sources(List<LayerEntry> entries, Map<String, PackageIndex.Loaded> packages,
                                                       Path spoolDir) throws IOException {
        Map<String, Integer> last = new HashMap<>();
        Map<String, Set<Integer>> needed = new HashMap<>();
        Set<String> unordered = new HashSet<>();
        for (LayerEntry e : entries) {
            if (e.content() instanceof LayerEntry.FromPackage c) {
                Integer previous = last.put(c.sha256(), c.ordinal());
                if (previous != null && previous >= c.ordinal()) {
                    unordered.add(c.sha256());
                }
                needed.computeIfAbsent(c.sha256(), k -> new HashSet<>()).add(c.ordinal());
            }
        }
        Map<String, PackageContent> sources = new HashMap<>();
        List<PackageContent> opened = new ArrayList<>();
        try {
            for (String sha : needed.keySet()) {
                PackageIndex.Loaded p = packages.get(sha);
                PackageContent source = unordered.contains(sha)
                        ? new PackageContent.Spooled(p.request(), sha, needed.get(sha), spoolDir)
                        : new PackageContent.Streaming(p.request(), sha);
                opened.add(source);
                sources.put(sha, source);
            }
        } catch (IOException | RuntimeException e) {
            for (PackageContent s : opened) {
                s.close();
            }
            throw e;
        }
        return sources;
    }

    private static TarArchiveEntry header(LayerEntry e) {
        TarArchiveEntry t = switch (e.kind()) {
            case DIRECTORY -> new TarArchiveEntry(e.path() + "/", TarConstants.LF_DIR);
            case FILE -> new TarArchiveEntry(e.path(), TarConstants.LF_NORMAL);
            case SYMLINK -> new TarArchiveEntry(e.path(), TarConstants.LF_SYMLINK);
            case HARDLINK -> new TarArchiveEntry(e.path(), TarConstants.LF_LINK);
        };
        if (e.link() != null) {
            t.setLinkName(e.link());
        }
        t.setMode(e.mode());
        t.setUserId(e.uid());
        t.setGroupId(e.gid());
        // always set: commons-compress would otherwise fill in the name of the user running the build
        t.setUserName(e.uname() == null ? "" : e.uname());
        t.setGroupName(e.gname() == null ? "" : e.gname());
        t.setModTime(FileTime.from(e.mtime(), TimeUnit.SECONDS));
        t.setSize(e.kind() == ArchiveEntry.Kind.FILE ? e.size() : 0);
        e.pax().forEach(t::addPaxHeader);
        return t;
    }
}
