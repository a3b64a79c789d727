package dev.archcore.pacman;

/**
 * The most archcore reads of anything from outside that it holds whole in memory or writes to disk
 * unchecked: package metadata members, database entries, configuration. Each is far above the largest
 * real value (see docs/repo.md, "Limits"), so only a damaged or hostile
 * input reaches one, and it gets an error naming the package and member instead of an OutOfMemoryError
 * or a full disk.
 */
public final class InputLimits {
    private InputLimits() {
    }

    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;

    /** A package's {@code .PKGINFO} (largest real ones: a few KiB). */
    public static final long PKGINFO = 4 * MIB;
    /** A package's {@code .MTREE}, as stored (gzip'd; archcore copies it to the local database, never inflates it). */
    public static final long MTREE = 64 * MIB;
    /** A package's {@code .INSTALL} script. */
    public static final long INSTALL = 4 * MIB;
    /** A package's {@code .CHANGELOG}. */
    public static final long CHANGELOG = 16 * MIB;
    /** A file a recipe reads out of a package (os-release, sysusers.d, passwd, ...). */
    public static final long RECIPE_FILE = 16 * MIB;
    /** Entries (files, directories, links) of one package. */
    public static final int PACKAGE_ENTRIES = 1_000_000;
    /**
     * The whole decompressed tar of one package, whatever its {@code .PKGINFO} says; below it, a package may
     * not decompress to more than its declared {@code size} plus {@link #packageTar}.
     */
    public static final long PACKAGE_TAR = 64 * GIB;
    /** Metadata members and tar headers beyond the declared size: per package ... */
    public static final long TAR_SLACK = 256 * MIB;
    /** ... and per entry (a header, its padding, a pax header for a long name). */
    public static final long TAR_SLACK_PER_ENTRY = 10 * KIB;

    /** A {@code desc} or {@code depends} entry of a sync database. */
    public static final long DESC_ENTRY = 1 * MIB;
    /** A {@code files} entry of a files database. */
    public static final long FILES_ENTRY = 256 * MIB;
    /** A whole sync or files database, decompressed. */
    public static final long DATABASE = 2 * GIB - 64 * MIB;
    /** A sync database download ({@code <repo>.db}, compressed). */
    public static final long DATABASE_DOWNLOAD = 1 * GIB;
    /** A package download whose database entry (or lock) gives no size; with one, that size is the limit. */
    public static final long PACKAGE_DOWNLOAD = 64 * GIB;
    /** A pacman.conf and each file it includes. */
    public static final long PACMAN_CONF = 1 * MIB;
    /** archcore's lock file. */
    public static final long LOCK_FILE = 64 * MIB;

    /** The most a package of declared installed {@code size} may decompress to after {@code entries} entries. */
    public static long packageTar(long size, long entries) {
        long declared = Math.max(0, size);
        long bound = declared + TAR_SLACK + entries * TAR_SLACK_PER_ENTRY;
        return bound < 0 || bound > PACKAGE_TAR ? PACKAGE_TAR : bound;
    }
}
