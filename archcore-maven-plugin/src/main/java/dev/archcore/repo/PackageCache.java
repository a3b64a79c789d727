package dev.archcore.repo;

import dev.archcore.util.AtomicFiles;
import dev.archcore.util.CacheKey;
import dev.archcore.util.Log;
import dev.archcore.util.VerifiedFile;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A package cache shared by builds: files are stored by their SHA-256 ({@code ROOT/sha256/ab/abcdef...}), with
 * the detached signature that vouched for them beside ({@code ....sig}) and a readable link per file name
 * ({@code ROOT/by-name/glibc-2.40-1-x86_64.pkg.tar.zst}).
 *
 * <p>Safe for several builds (threads or JVMs) at once without locks: an entry appears only by an atomic
 * rename of a complete temporary file whose hash was checked, so a killed download leaves at most a
 * {@code ROOT/tmp/*.part} file (removed a day later), and two builds storing the same file both rename the
 * same bytes. Reading an entry checks its hash (in full the first time, then while its inode is unchanged by
 * a recorded stamp, authenticated with the user's {@link CacheKey}: whoever can write the cache cannot forge one);
 * a damaged one is removed so that it is fetched again.
 */
public final class PackageCache {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Duration STALE_TEMP = Duration.ofDays(1);

    private static final String STAMP_FORMAT = "archcore-verified-v2";
    private static final String STAMP_CONTEXT = "archcore package cache stamp";
    private static final Duration SETTLED = Duration.ofSeconds(2);
    private static final boolean UNIX_ATTRIBUTES = FileSystems.getDefault().supportedFileAttributeViews().contains("unix");
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private final Path root;
    private final Log log;
    private final AtomicInteger hashed = new AtomicInteger();
    private final Supplier<Instant> clock;
    private final CacheKey key;

    /** With the user's cache key ({@link CacheKey#user}). */
    public PackageCache(Path root, Log log) {
        this(root, log, CacheKey.user());
    }

    public PackageCache(Path root, Log log, CacheKey key) {
        this(root, log, Instant::now, key);
    }

    /** With another clock, for tests of stamps (a stamp is only recorded for a file that has settled). */
    PackageCache(Path root, Log log, Supplier<Instant> clock, CacheKey key) {
        this.root = root.toAbsolutePath();
        this.log = log;
        this.clock = clock;
        this.key = key;
        try {
            Files.createDirectories(this.root.resolve("tmp"));
            Files.createDirectories(this.root.resolve("sha256"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the package cache " + this.root + " (" + e.getMessage()
                    + "): choose a writable cache directory", e);
        }
        removeStaleTemporaryFiles();
    }

    public Path root() {
        return root;
    }

    /** Where the entry for this SHA-256 lives (whether or not it exists). */
    public Path entry(String sha256) {
        String hex = normalize(sha256);
        return root.resolve("sha256").resolve(hex.substring(0, 2)).resolve(hex);
    }

    /** Cheap check without reading the file: the entry exists and has {@code size} bytes (any size if negative). */
    public boolean contains(String sha256, long size) {
        Path entry = entry(sha256);
        try {
            return Files.isRegularFile(entry) && (size < 0 || Files.size(entry) == size);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The entry, after checking its whole content against {@code sha256}, unless it was checked before and its
     * inode is exactly as it was then (its {@code .verified} stamp, whose tag must verify with the cache key: a
     * forged or foreign stamp only costs a full check). A damaged entry (changed on disk, cut short) is
     * removed and reported as absent, so the caller fetches it again.
     */
    public Optional<Path> get(String sha256) {
        Path entry = entry(sha256);
        Object fileKey;
        try {
            fileKey = Files.readAttributes(entry, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return Optional.empty();
        }
        Stamp stamp = stamp(entry, normalize(sha256));
        if (stamp != null && stamp.line().equals(readStamp(entry))) {
            return Optional.of(entry);
        }
        String actual;
        try {
            actual = sha256Of(entry);
            hashed.incrementAndGet();
        } catch (IOException e) {
            return Optional.empty();
        }
        if (actual.equals(normalize(sha256))) {
            // taken before hashing, so a later change shows; but a change within the file system's timestamp
            // granularity of the stat would not, so (as git does with racily clean entries) only a file that had
            // been left alone for a while gets a stamp
            if (stamp != null && stamp.ctime().isBefore(clock.get().minus(SETTLED))) {
                writeStamp(entry, stamp);
            }
            return Optional.of(entry);
        }
        log.warn("Package cache entry " + entry + " is damaged (its SHA-256 is " + actual + "): removing it to fetch"
                + " it again");
        try {
            // only if it is still the file we hashed: another build may just have put a good copy in place
            if (Objects.equals(fileKey, Files.readAttributes(entry, BasicFileAttributes.class).fileKey())) {
                Files.deleteIfExists(entry);
            }
        } catch (IOException e) {
            // gone already
        }
        return Optional.empty();
    }

    /** A new temporary file in the cache that hashes what is written to it; {@link #commit} makes it an entry. */
    public Download newDownload() {
        try {
            return new Download(root.resolve("tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to the package cache " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes a finished download the entry for {@code sha256}, if that is the SHA-256 of what was written.
     *
     * @throws IllegalArgumentException if the content has another hash (the temporary file is removed)
     */
    public Path commit(Download download, String sha256) throws IOException {
        download.finish();
        String expected = normalize(sha256);
        if (!download.sha256().equals(expected)) {
            download.close();
            throw new IllegalArgumentException("SHA-256 " + download.sha256() + " is not the expected " + expected);
        }
        Path entry = entry(expected);
        Files.createDirectories(entry.getParent());
        readableByAll(download.file());
        AtomicFiles.move(download.file(), entry);
        download.committed = true;
        // hashed as it was written, and a new inode: only a writer within the same timestamp tick could go unseen,
        // and nothing writes into cache entries
        writeStamp(entry, stamp(entry, expected));
        return entry;
    }

    /**
     * What the entry's inode looks like (SHA-256, size, mtime and ctime in ns, inode number), or null where the
     * file system does not say. Recorded beside an entry whose content hashed right ({@code .verified}): while the
     * inode matches, the content is the one that was hashed, as Bazel's digest cache and git's index assume.
     * Writing to a file changes its ctime, which no user-space call can set back; cache entries are never
     * written in place, so a changed stamp means damage (or a new file) and the next use hashes in full.
     */
    private record Stamp(String line, Instant ctime) {
    }

    private static Stamp stamp(Path entry, String sha256) {
        if (!UNIX_ATTRIBUTES) {
            return null;
        }
        try {
            Map<String, Object> a = Files.readAttributes(entry, "unix:size,lastModifiedTime,ctime,ino");
            Instant ctime = ((FileTime) a.get("ctime")).toInstant();
            return new Stamp(STAMP_FORMAT + " " + sha256 + " " + a.get("size") + " "
                    + nanos(((FileTime) a.get("lastModifiedTime")).toInstant()) + " " + nanos(ctime) + " " + a.get("ino"),
                    ctime);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long nanos(Instant i) {
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** The stamp's line when its tag verifies; else null (absent, damaged, forged, or from another key). */
    private String readStamp(Path entry) {
        try {
            String text = Files.readString(stampPath(entry), StandardCharsets.US_ASCII).strip();
            int space = text.lastIndexOf(' ');
            String line = space < 0 ? text : text.substring(0, space);
            return space > 0 && key.verifyHex(STAMP_CONTEXT, line, text.substring(space + 1)) ? line : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void writeStamp(Path entry, Stamp stamp) {
        if (stamp == null) {
            return;
        }
        String text = stamp.line() + " " + key.tagHex(STAMP_CONTEXT, stamp.line()) + "\n";
        try {
            AtomicFiles.write(stampPath(entry), out -> out.write(text.getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            // only saves hashing next time
        }
    }

    private static Path stampPath(Path entry) {
        return entry.resolveSibling(entry.getFileName() + ".verified");
    }

    /** How many entries {@link #get} has hashed in full (for tests). */
    int hashed() {
        return hashed.get();
    }

    /** Copies a file into the cache after checking its hash. */
    public Path put(String sha256, Path source) throws IOException {
        try (Download download = newDownload(); InputStream in = Files.newInputStream(source)) {
            in.transferTo(download.out());
            return commit(download, sha256);
        }
    }

    /** The detached signature stored with an entry, if any. */
    public Optional<byte[]> signature(String sha256) {
        Path sig = signaturePath(sha256);
        try {
            return Files.isRegularFile(sig) ? Optional.of(Files.readAllBytes(sig)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public void putSignature(String sha256, byte[] signature) throws IOException {
        Path sig = signaturePath(sha256);
        AtomicFiles.write(sig, out -> out.write(signature));
        readableByAll(sig);
    }

    /** {@code ROOT/by-name/FILENAME}, a relative symbolic link to the entry, for people browsing the cache. */
    public void link(String filename, String sha256) {
        if (filename.isEmpty() || filename.contains("/") || filename.startsWith(".")) {
            return;
        }
        Path link = root.resolve("by-name").resolve(filename);
        Path target = link.getParent().relativize(entry(sha256));
        try {
            if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(target)) {
                return;
            }
            Files.createDirectories(link.getParent());
            Path temp = link.resolveSibling("." + filename + "." + ProcessHandle.current().pid() + "."
                    + Thread.currentThread().getId() + ".link");
            Files.deleteIfExists(temp);
            Files.createSymbolicLink(temp, target);
            AtomicFiles.move(temp, link);
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("no by-name link for " + filename + " in " + root + ": " + e.getMessage());
        }
    }

    public Path byName(String filename) {
        return root.resolve("by-name").resolve(filename);
    }

    private Path signaturePath(String sha256) {
        Path entry = entry(sha256);
        return entry.resolveSibling(entry.getFileName() + ".sig");
    }

    static String normalize(String sha256) {
        String hex = sha256 == null ? "" : sha256.strip().toLowerCase(Locale.ROOT);
        if (!SHA256.matcher(hex).matches()) {
            throw new IllegalArgumentException("'" + sha256 + "' is not a SHA-256 (64 hex digits)");
        }
        return hex;
    }

    static String sha256Of(Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) != -1; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static void readableByAll(Path file) throws IOException {
        // temporary files are 0600; the cache may be shared by several users' builds
        PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (posix != null) {
            posix.setPermissions(PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private void removeStaleTemporaryFiles() {
        FileTime limit = FileTime.from(Instant.now().minus(STALE_TEMP));
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(root.resolve("tmp"), "*.part")) {
            for (Path part : parts) {
                try {
                    if (Files.getLastModifiedTime(part).compareTo(limit) < 0) {
                        Files.deleteIfExists(part);
                    }
                } catch (IOException e) {
                    // another build removed or is still writing it
                }
            }
        } catch (IOException e) {
            log.debug("cannot clean " + root.resolve("tmp") + ": " + e.getMessage());
        }
    }

    /**
     * A temporary file being filled; closing it without {@link #commit} removes it. It is created exclusively
     * (a new inode of this process, mode 600) and written through one descriptor, which {@link #keepOpen} can hand
     * on after the commit: the bytes just hashed, for a reader that then need not hash them again.
     */
    public static final class Download implements Closeable {
        private final Path file;
        private final FileChannel channel;
        private final MessageDigest digest = newDigest();
        private final OutputStream out;
        private long size;
        private String sha256;
        private boolean committed;
        private boolean handedOn;

        private Download(Path dir) throws IOException {
            FileChannel created = null;
            Path name = null;
            for (int attempt = 0; created == null; attempt++) {
                name = dir.resolve("download-" + UUID.randomUUID() + ".part");
                try {
                    created = POSIX
                            ? FileChannel.open(name, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                                    StandardOpenOption.READ), PosixFilePermissions.asFileAttribute(
                                    PosixFilePermissions.fromString("rw-------")))
                            : FileChannel.open(name, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                                    StandardOpenOption.READ);
                } catch (FileAlreadyExistsException e) {
                    if (attempt > 10) {
                        throw e;
                    }
                }
            }
            this.file = name;
            this.channel = created;
            FileChannel ch = created;
            OutputStream raw = new OutputStream() { // closing it leaves the descriptor open for keepOpen
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                    while (buffer.hasRemaining()) {
                        ch.write(buffer);
                    }
                }
            };
            this.out = new DigestOutputStream(raw, digest) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    super.write(b, off, len);
                    size += len;
                }

                @Override
                public void write(int b) throws IOException {
                    super.write(b);
                    size++;
                }
            };
        }

        public OutputStream out() {
            return out;
        }

        public Path file() {
            return file;
        }

        /** Bytes written so far. */
        public long size() {
            return size;
        }

        /** Closes the stream (idempotent) and returns the SHA-256 of everything written. */
        public String finish() throws IOException {
            if (sha256 == null) {
                out.close();
                sha256 = HexFormat.of().formatHex(digest.digest());
            }
            return sha256;
        }

        public String sha256() throws IOException {
            return finish();
        }

        /**
         * After {@link #commit}: the committed bytes through the descriptor they were written with (now the caller's
         * to close), named {@code entry} in messages. Whatever is renamed over the entry later, reads of this see
         * the bytes that were hashed.
         */
        public VerifiedFile keepOpen(Path entry) {
            if (!committed) {
                throw new IllegalStateException("not committed: " + file);
            }
            handedOn = true;
            return new VerifiedFile(entry, sha256, size, channel);
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
                if (!handedOn) {
                    channel.close();
                }
            } finally {
                if (!committed) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }
}
