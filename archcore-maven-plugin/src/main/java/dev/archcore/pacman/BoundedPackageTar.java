package dev.archcore.pacman;

import dev.archcore.util.Bounded;
import dev.archcore.util.Compressed;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * The tar inside a package file, read within {@link InputLimits}: at most {@link InputLimits#PACKAGE_ENTRIES}
 * entries, metadata members read whole only up to their limit, exactly one {@code .PKGINFO}, and the whole
 * decompressed stream bounded by what {@code .PKGINFO} declares ({@code size}, see
 * {@link InputLimits#packageTar}), or by {@link InputLimits#PACKAGE_TAR} before it is known. A decompression
 * bomb therefore stops with a {@link Bounded.TooLarge} naming the package, never fills memory or a disk.
 */
public final class BoundedPackageTar implements Closeable {
    private final String what;
    private final TarArchiveInputStream tar;
    private long declaredSize = -1;
    private long entries;
    private boolean pkginfoSeen;
    /**
     * The rest of an entry is read through this before the next header: left to the tar reader, commons-compress
     * 1.28 skips it through commons-io with a new 8 KiB array per chunk (an index read skips every file's content:
     * 340 MB of arrays on the image benchmark's closure).
     */
    private final byte[] rest = new byte[1 << 16];

    /** {@code raw}: the package file's bytes (any compression); {@code what} names the package in errors. */
    public BoundedPackageTar(InputStream raw, String what) throws IOException {
        this.what = what;
        InputStream counted = Bounded.counting(Compressed.open(raw), this::limit, this::tooLarge);
        this.tar = new TarArchiveInputStream(counted, "UTF-8");
    }

    private long limit() {
        return declaredSize < 0 ? InputLimits.PACKAGE_TAR : InputLimits.packageTar(declaredSize, entries);
    }

    private String tooLarge(long limit) {
        return what + " decompresses to more than " + Bounded.size(limit) + " (" + limit + " bytes) "
                + (declaredSize < 0 ? "before its .PKGINFO, archcore's limit for any package"
                : "while its .PKGINFO declares an installed size of " + declaredSize + " bytes (the limit is that size"
                + " plus room for metadata and tar headers)") + ": a damaged package or a decompression bomb; refused";
    }

    /** The next entry, or null at the end. */
    public TarArchiveEntry next() throws IOException {
        if (tar.getCurrentEntry() != null) {
            while (tar.read(rest, 0, rest.length) >= 0) {
                // counted and bounded as any content read
            }
        }
        TarArchiveEntry entry = tar.getNextEntry();
        if (entry != null && ++entries > InputLimits.PACKAGE_ENTRIES) {
            throw new Bounded.TooLarge(what + " has more than " + InputLimits.PACKAGE_ENTRIES + " entries, archcore's"
                    + " limit for a package: a damaged or hostile package; refused");
        }
        return entry;
    }

    /** The current entry's content. */
    public InputStream content() {
        return tar;
    }

    /** The current entry's content whole, refused beyond {@code limit} with the member named. */
    public byte[] member(String name, long limit) throws IOException {
        return Bounded.readAll(tar, limit, what + ": member " + name);
    }

    /**
     * The current entry, which is {@code .PKGINFO}, whole; a second {@code .PKGINFO} is refused (pacman reads the
     * first, a tool that reads the last would see another package).
     */
    public byte[] pkginfo() throws IOException {
        if (pkginfoSeen) {
            throw new DuplicatePkginfo(what + " has two .PKGINFO members; a package has exactly one; refused");
        }
        pkginfoSeen = true;
        return member(".PKGINFO", InputLimits.PKGINFO);
    }

    /** From now on the decompressed stream is bounded by this declared installed size. */
    public void declaredSize(long size) {
        this.declaredSize = Math.max(0, size);
    }

    @Override
    public void close() throws IOException {
        tar.close();
    }

    /** Parses a {@code .PKGINFO} number field; 0 when absent or not a number (pacman reads it so). */
    public static long number(java.util.List<String> values) {
        if (values == null || values.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(values.get(values.size() - 1).strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Two {@code .PKGINFO} members. */
    public static final class DuplicatePkginfo extends IOException {
        private static final long serialVersionUID = 1L;

        DuplicatePkginfo(String message) {
            super(message);
        }
    }
}
