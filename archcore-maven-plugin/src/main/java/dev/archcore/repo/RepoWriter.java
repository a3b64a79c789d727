package dev.archcore.repo;

import dev.archcore.pacman.Compression;
import dev.archcore.pacman.InputLimits;
import dev.archcore.pacman.PackageFile;
import dev.archcore.pacman.PackageReader;
import dev.archcore.pacman.PackageSigner;
import dev.archcore.pacman.Vercmp;
import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Bounded;
import dev.archcore.util.Compressed;
import dev.archcore.util.Log;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What {@code repo-add} and {@code repo-remove} do, natively: adds packages to (or removes them from) the sync
 * databases of a repository folder, {@code NAME.db.tar.gz} and {@code NAME.files.tar.gz}, with the
 * {@code NAME.db} and {@code NAME.files} links pacman downloads.
 *
 * <p>Each package's {@code desc} is what repo-add 6.0 writes, byte for byte (every section in its order,
 * {@code .PKGINFO} values read and whitespace-collapsed as its bash does, {@code %MD5SUM%} included,
 * {@code %PGPSIG%} from the binary {@code .sig} beside the package); {@code files} is {@code %FILES%} and the
 * list from {@link PackageReader}. Like repo-add it reads the existing databases first, replaces the entry of
 * a package of the same name (whatever its version), keeps the previous databases as {@code .old}, honours
 * repo-add's lock file and can sign both databases ({@code .sig}, binary, as {@code gpg --detach-sign}).
 *
 * <p>Unlike repo-add the output is deterministic: entries sorted bytewise, every tar entry owned by
 * {@code root:root} (0/0) with the one given mtime, gzip without name or time, signatures dated with that
 * timestamp. So the same packages give byte-identical databases, however they were added. Everything is
 * written to temporary files first and moved into place only when all succeeded, so a failure leaves the
 * previous databases as they were. A package outside the folder is copied into it (with its {@code .sig}),
 * since {@code %FILENAME%} is relative to the folder pacman downloads from. Where repo-add would leave a stale
 * database signature behind (adding without {@code --sign} to a signed repository) the stale one is deleted.
 */
public final class RepoWriter {
    /** repo-add refuses package signatures larger than this. */
    public static final int MAX_SIGNATURE_SIZE = 16384;
    private static final int GZIP_LEVEL = 6;
    private static final Comparator<String> BYTE_ORDER =
            (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    private static final List<String> MULTI_VALUED = List.of("group", "license", "replaces", "depend", "conflict",
            "provides", "optdepend", "makedepend", "checkdepend");

    private final Path directory;
    private final String name;
    private final long timestamp;
    private PackageSigner signer;
    private Log log = Log.NONE;
    private Duration lockTimeout = Duration.ofSeconds(60);

    /** What one call changed. */
    public record Result(Path database, Path filesDatabase, List<String> added, List<String> removed,
                         boolean signed, int packageCount) {
    }

    /**
     * @param directory the repository folder (created if missing)
     * @param name      the repository name, as in pacman.conf's {@code [NAME]}
     * @param timestamp the mtime of every database entry and the date of its signatures, in epoch seconds
     */
    public RepoWriter(Path directory, String name, long timestamp) {
        if (name == null || name.isBlank() || name.contains("/") || name.startsWith(".")) {
            throw new RepoException("repository name '" + name + "' is not usable: give a plain name such as "
                    + "'myrepo' (it becomes [myrepo] in pacman.conf and myrepo.db in the folder)");
        }
        if (name.equals("local")) {
            throw new RepoException("repository name 'local' is reserved by pacman for the installed-package "
                    + "database: choose another name");
        }
        this.directory = directory.toAbsolutePath().normalize();
        this.name = name;
        this.timestamp = timestamp;
    }

    /** Signs both databases with this key ({@code repo-add --sign}); null for no signatures. */
    public RepoWriter signer(PackageSigner signer) {
        this.signer = signer;
        return this;
    }

    public RepoWriter log(Log log) {
        this.log = log;
        return this;
    }

    /** How long to wait for another repo-add (or archcore) holding {@code NAME.db.tar.gz.lck}. */
    public RepoWriter lockTimeout(Duration timeout) {
        this.lockTimeout = timeout;
        return this;
    }

    public Path directory() {
        return directory;
    }

    public Path database() {
        return directory.resolve(name + ".db.tar.gz");
    }

    public Path filesDatabase() {
        return directory.resolve(name + ".files.tar.gz");
    }

    /** {@code repo-add NAME.db.tar.gz PKG...}: adds (or replaces) the packages in the given order. */
    public Result add(Collection<Path> packages) {
        List<PackageFile> read = new ArrayList<>();
        for (Path pkg : packages) {
            read.add(readPackage(pkg));
        }
        createDirectory();
        try (Lock ignored = lock()) {
            Databases dbs = readExisting(false);
            List<String> added = new ArrayList<>();
            List<String> removed = new ArrayList<>();
            for (PackageFile pkg : read) {
                copyIntoRepository(pkg);
                String entry = pkg.name() + "-" + pkg.version();
                log.info("Adding package '" + pkg.fileName() + "'");
                for (String old : dbs.entriesOf(pkg.name())) {
                    String oldVersion = old.substring(pkg.name().length() + 1);
                    if (old.equals(entry)) {
                        log.warn("An entry for '" + entry + "' already existed: replaced");
                    } else if (Vercmp.compare(oldVersion, pkg.version()) > 0) {
                        log.warn("A newer version for '" + pkg.name() + "' is already present in the database ("
                                + oldVersion + "): replaced by " + pkg.version() + " as repo-add does");
                    } else {
                        log.info("Replacing " + old);
                    }
                    dbs.remove(old);
                    removed.add(old);
                }
                byte[] desc = desc(pkg);
                dbs.db.put(entry, members("desc", desc));
                Map<String, byte[]> files = members("desc", desc);
                files.put("files", files(pkg));
                dbs.files.put(entry, files);
                added.add(entry);
            }
            removed.removeAll(added);
            return write(dbs, added, removed);
        }
    }

    /** {@code repo-remove NAME.db.tar.gz NAME...}: removes every entry of these package names. */
    public Result remove(Collection<String> pkgnames) {
        if (!Files.isRegularFile(database())) {
            throw new RepoException("repository database " + database() + " was not found: nothing to remove from");
        }
        try (Lock ignored = lock()) {
            Databases dbs = readExisting(true);
            List<String> removed = new ArrayList<>();
            for (String pkgname : pkgnames) {
                List<String> entries = dbs.entriesOf(pkgname);
                if (entries.isEmpty()) {
                    log.warn("Package matching '" + pkgname + "' not found in " + name);
                }
                for (String entry : entries) {
                    log.info("Removing existing entry '" + entry + "'");
                    dbs.remove(entry);
                    removed.add(entry);
                }
            }
            if (removed.isEmpty()) {
                log.info("No packages modified, nothing to do.");
                return new Result(database(), filesDatabase(), List.of(), List.of(), false, dbs.db.size());
            }
            return write(dbs, List.of(), removed);
        }
    }

    // ---------------------------------------------------------------- reading

    private PackageFile readPackage(Path pkg) {
        PackageFile file;
        try {
            file = PackageReader.read(pkg);
        } catch (IllegalArgumentException e) {
            throw new RepoException("Invalid package file " + pkg + ": " + e.getMessage(), e);
        }
        String fileName = file.fileName();
        if (fileName.startsWith(".")) {
            throw new RepoException("package file name " + fileName + " starts with a dot, which pacman refuses as "
                    + "%FILENAME%: rename the file");
        }
        if (file.name().contains("/") || file.version().contains("/")) {
            throw new RepoException("package " + pkg + " has a '/' in its name or version: fix its PKGBUILD");
        }
        if (file.signature() != null) {
            signatureOf(file);
        }
        return file;
    }

    /** The base64 {@code %PGPSIG%} value, after repo-add's checks. */
    private static String signatureOf(PackageFile pkg) {
        if (pkg.signature() == null) {
            return "";
        }
        byte[] sig;
        try (InputStream in = Files.newInputStream(pkg.signature())) {
            // one byte more than allowed is enough to refuse it below, whatever its size
            sig = in.readNBytes(MAX_SIGNATURE_SIZE + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pkg.signature(), e);
        }
        if (new String(sig, StandardCharsets.ISO_8859_1).contains("BEGIN PGP SIGNATURE")) {
            throw new RepoException("Cannot use armored signatures for packages: " + pkg.signature()
                    + " (make a binary one with gpg --detach-sign --no-armor, or archcore:pkg with archcore.sign)");
        }
        if (sig.length > MAX_SIGNATURE_SIZE) {
            throw new RepoException("Invalid package signature file " + pkg.signature() + ": more than repo-add's "
                    + MAX_SIGNATURE_SIZE + " bytes");
        }
        return Base64.getEncoder().encodeToString(sig);
    }

    /** The entries of both databases: directory name to its members' bytes. */
    private final class Databases {
        final TreeMap<String, Map<String, byte[]>> db = new TreeMap<>(BYTE_ORDER);
        final TreeMap<String, Map<String, byte[]>> files = new TreeMap<>(BYTE_ORDER);

        /** Entries whose directory name, less its last two {@code -} parts, is {@code pkgname} (repo-add's find_pkgentry). */
        List<String> entriesOf(String pkgname) {
            List<String> found = new ArrayList<>();
            for (String entry : db.keySet()) {
                if (pkgname.equals(stripVersion(entry))) {
                    found.add(entry);
                }
            }
            return found;
        }

        void remove(String entry) {
            db.remove(entry);
            files.remove(entry);
        }
    }

    static String stripVersion(String entry) {
        int rel = entry.lastIndexOf('-');
        int ver = rel <= 0 ? -1 : entry.lastIndexOf('-', rel - 1);
        return ver < 0 ? entry : entry.substring(0, ver);
    }

    private Databases readExisting(boolean forRemoval) {
        Databases dbs = new Databases();
        readInto(database(), dbs.db);
        readInto(filesDatabase(), dbs.files);
        if (Files.exists(filesDatabase())) {
            long missing = dbs.db.keySet().stream().filter(e -> !dbs.files.containsKey(e)).count();
            if (missing > 0 && !forRemoval) {
                log.warn(filesDatabase().getFileName() + " lacks " + missing + " of the packages in "
                        + database().getFileName() + "; add those packages again so that pacman -F knows their files");
            }
        }
        return dbs;
    }

    private static void readInto(Path file, Map<String, Map<String, byte[]>> entries) {
        if (!Files.exists(file)) {
            return;
        }
        boolean anyEntry = false;
        byte[] content;
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             InputStream in = Compressed.open(raw)) {
            content = Bounded.readAll(in, InputLimits.DATABASE, "the decompressed database " + file);
        } catch (IOException e) {
            throw new RepoException("cannot read the repository database " + file + " (" + e.getMessage()
                    + "): restore it from " + file.getFileName() + ".old or delete it to start afresh", e);
        }
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new java.io.ByteArrayInputStream(content), "UTF-8")) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                anyEntry = true;
                String path = entry.getName();
                if (path.startsWith("./")) {
                    path = path.substring(2);
                }
                int slash = path.indexOf('/');
                if (slash <= 0) {
                    throw new RepoException(file + " is not a pacman database (it has the entry '" + entry.getName()
                            + "' outside a package directory): move it away or choose another repository name");
                }
                String dir = path.substring(0, slash);
                Map<String, byte[]> members = entries.computeIfAbsent(dir, k -> new TreeMap<>(BYTE_ORDER));
                if (entry.isFile()) {
                    String member = path.substring(slash + 1);
                    long limit = member.equals("files") ? InputLimits.FILES_ENTRY : InputLimits.DESC_ENTRY;
                    members.put(member, Bounded.readAll(tar, limit, file + ": entry " + path));
                }
            }
        } catch (IOException e) {
            throw new RepoException("cannot read the repository database " + file + " (" + e.getMessage()
                    + "): restore it from " + file.getFileName() + ".old or delete it to start afresh", e);
        }
        entries.values().removeIf(Map::isEmpty);
        boolean blank = true;
        for (byte b : content) {
            blank &= b == 0;
        }
        if (!anyEntry && !blank) {
            throw new RepoException(file + " is not a pacman database (not a tar archive): move it away or choose "
                    + "another repository name");
        }
        if (anyEntry && entries.values().stream().noneMatch(m -> m.containsKey("desc"))) {
            throw new RepoException(file + " is not a pacman database (no */desc entries): move it away or choose "
                    + "another repository name");
        }
    }

    // ---------------------------------------------------------------- desc and files

    /** The {@code desc} repo-add 6.0's {@code db_write_entry} writes for this package. */
    static byte[] desc(PackageFile pkg) {
        Map<String, String> scalar = new LinkedHashMap<>();
        Map<String, List<String>> multi = new LinkedHashMap<>();
        MULTI_VALUED.forEach(k -> multi.put(k, new ArrayList<>()));
        for (String line : pkg.pkginfoString().split("\n")) {
            if (line.startsWith("#")) {
                continue;
            }
            String[] kv = bashRead(line);
            if (kv[0].isEmpty()) {
                continue;
            }
            String value = kv[1].replaceAll("[ \\t\\n\\x0B\\f\\r]+", " ");
            scalar.put(kv[0], value);
            if (multi.containsKey(kv[0])) {
                multi.get(kv[0]).add(value);
            }
        }
        StringBuilder out = new StringBuilder(1024);
        section(out, "FILENAME", pkg.fileName());
        section(out, "NAME", scalar.get("pkgname"));
        section(out, "BASE", scalar.get("pkgbase"));
        section(out, "VERSION", scalar.get("pkgver"));
        section(out, "DESC", scalar.get("pkgdesc"));
        section(out, "GROUPS", multi.get("group"));
        section(out, "CSIZE", Long.toString(pkg.size()));
        section(out, "ISIZE", scalar.get("size"));
        section(out, "MD5SUM", pkg.md5());
        section(out, "SHA256SUM", pkg.sha256());
        section(out, "PGPSIG", signatureOf(pkg));
        section(out, "URL", scalar.get("url"));
        section(out, "LICENSE", multi.get("license"));
        section(out, "ARCH", scalar.get("arch"));
        section(out, "BUILDDATE", scalar.get("builddate"));
        section(out, "PACKAGER", scalar.get("packager"));
        section(out, "REPLACES", multi.get("replaces"));
        section(out, "CONFLICTS", multi.get("conflict"));
        section(out, "PROVIDES", multi.get("provides"));
        section(out, "DEPENDS", multi.get("depend"));
        section(out, "OPTDEPENDS", multi.get("optdepend"));
        section(out, "MAKEDEPENDS", multi.get("makedepend"));
        section(out, "CHECKDEPENDS", multi.get("checkdepend"));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** repo-add's {@code format_entry}: nothing when the first value is empty. */
    private static void section(StringBuilder out, String name, String value) {
        section(out, name, value == null ? List.of() : List.of(value));
    }

    private static void section(StringBuilder out, String name, List<String> values) {
        if (values.isEmpty() || values.get(0).isEmpty()) {
            return;
        }
        out.append('%').append(name).append("%\n");
        values.forEach(v -> out.append(v).append('\n'));
        out.append('\n');
    }

    /**
     * bash's {@code IFS=' =' read -r var val}: the key up to the first space or {@code =}, one delimiter (spaces
     * around at most one {@code =}) skipped; the value is the rest less trailing spaces, or, when the rest is a
     * single word followed by one delimiter, that word.
     */
    static String[] bashRead(String line) {
        int i = skipSpaces(line, 0);
        int start = i;
        while (i < line.length() && line.charAt(i) != ' ' && line.charAt(i) != '=') {
            i++;
        }
        String var = line.substring(start, i);
        String rest = line.substring(skipDelimiter(line, i));
        // the last variable: if one more word and its delimiter use up the line, it is just that word
        int end = 0;
        while (end < rest.length() && rest.charAt(end) != ' ' && rest.charAt(end) != '=') {
            end++;
        }
        if (skipDelimiter(rest, end) >= rest.length()) {
            return new String[] {var, rest.substring(0, end)};
        }
        int last = rest.length();
        while (last > 0 && rest.charAt(last - 1) == ' ') {
            last--;
        }
        return new String[] {var, rest.substring(0, last)};
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && s.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    private static int skipDelimiter(String s, int i) {
        i = skipSpaces(s, i);
        if (i < s.length() && s.charAt(i) == '=') {
            i = skipSpaces(s, i + 1);
        }
        return i;
    }

    /** The {@code files} member: {@code %FILES%} and one path a line, without a blank line at the end. */
    static byte[] files(PackageFile pkg) {
        StringBuilder out = new StringBuilder("%FILES%\n");
        pkg.files().forEach(f -> out.append(f).append('\n'));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, byte[]> members(String member, byte[] content) {
        Map<String, byte[]> m = new TreeMap<>(BYTE_ORDER);
        m.put(member, content);
        return m;
    }

    // ---------------------------------------------------------------- writing

    private Result write(Databases dbs, List<String> added, List<String> removed) {
        if (dbs.db.isEmpty()) {
            log.warn("No packages remain, creating empty database.");
        }
        List<Path> temps = new ArrayList<>();
        try {
            Path dbTemp = tarball(dbs.db, database(), temps);
            Path filesTemp = tarball(dbs.files, filesDatabase(), temps);
            Path dbSig = signer == null ? null : sign(dbTemp, database(), temps);
            Path filesSig = signer == null ? null : sign(filesTemp, filesDatabase(), temps);
            rotate(database(), dbTemp, dbSig);
            rotate(filesDatabase(), filesTemp, filesSig);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the " + name + " database in " + directory + ": "
                    + e.getMessage(), e);
        } finally {
            for (Path temp : temps) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // a leftover dot-file; the next run makes its own
                }
            }
        }
        log.info("Wrote " + database().getFileName() + " and " + filesDatabase().getFileName() + " ("
                + dbs.db.size() + (dbs.db.size() == 1 ? " package" : " packages")
                + (signer != null ? ", signed with " + signer.fingerprint() : "") + ")");
        return new Result(database(), filesDatabase(), List.copyOf(added), List.copyOf(removed), signer != null,
                dbs.db.size());
    }

    private Path tarball(Map<String, Map<String, byte[]>> entries, Path target, List<Path> temps) throws IOException {
        Path temp = temp(target, temps);
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16);
             OutputStream gz = Compression.GZIP.wrap(file, GZIP_LEVEL);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(gz, "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            for (Map.Entry<String, Map<String, byte[]>> e : entries.entrySet()) {
                tar.putArchiveEntry(tarEntry(e.getKey() + "/", TarConstants.LF_DIR, 0755, 0));
                tar.closeArchiveEntry();
                for (Map.Entry<String, byte[]> member : e.getValue().entrySet()) {
                    byte[] content = member.getValue();
                    tar.putArchiveEntry(tarEntry(e.getKey() + "/" + member.getKey(), TarConstants.LF_NORMAL, 0644,
                            content.length));
                    tar.write(content);
                    tar.closeArchiveEntry();
                }
            }
            tar.finish();
        }
        return temp;
    }

    private TarArchiveEntry tarEntry(String path, byte type, int mode, long size) {
        TarArchiveEntry entry = new TarArchiveEntry(path, type);
        entry.setMode(mode);
        entry.setSize(size);
        entry.setIds(0, 0);
        entry.setNames("root", "root");
        entry.setModTime(FileTime.from(timestamp, TimeUnit.SECONDS));
        return entry;
    }

    private Path sign(Path temp, Path target, List<Path> temps) throws IOException {
        byte[] signature;
        try (InputStream in = Files.newInputStream(temp)) {
            signature = signer.sign(in, Instant.ofEpochSecond(timestamp));
        }
        Path sigTemp = temp(target.resolveSibling(target.getFileName() + ".sig"), temps);
        Files.write(sigTemp, signature);
        return sigTemp;
    }

    /** A world-readable temporary file beside {@code target} (a repository is served to others). */
    private static Path temp(Path target, List<Path> temps) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
        temps.add(temp);
        readable(temp);
        return temp;
    }

    private static void readable(Path file) throws IOException {
        PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (posix != null) {
            posix.setPermissions(PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /** repo-add's rotate_db: previous database (and signature) to {@code .old}, the new ones in, then the links. */
    private void rotate(Path target, Path temp, Path sigTemp) throws IOException {
        String file = target.getFileName().toString();
        Path sig = target.resolveSibling(file + ".sig");
        Path old = target.resolveSibling(file + ".old");
        Path oldSig = target.resolveSibling(file + ".old.sig");
        if (Files.isRegularFile(target)) {
            linkOrCopy(target, old);
            if (Files.isRegularFile(sig)) {
                linkOrCopy(sig, oldSig);
            } else {
                Files.deleteIfExists(oldSig);
            }
        }
        AtomicFiles.move(temp, target);
        if (sigTemp != null) {
            AtomicFiles.move(sigTemp, sig);
        } else if (Files.deleteIfExists(sig)) {
            log.warn("Removed " + sig.getFileName() + ": it signed the previous database (sign again to keep the "
                    + "repository signed)");
        }
        String link = file.substring(0, file.indexOf(".tar"));
        symlink(target.resolveSibling(link), file);
        if (sigTemp != null) {
            symlink(target.resolveSibling(link + ".sig"), file + ".sig");
        } else {
            Files.deleteIfExists(target.resolveSibling(link + ".sig"));
        }
    }

    /** {@code ln -f source target || mv}: a hard link to the current file, else a copy; never half a file. */
    private static void linkOrCopy(Path source, Path target) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".link");
        Files.deleteIfExists(temp);
        try {
            Files.createLink(temp, source);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(source, temp);
        }
        AtomicFiles.move(temp, target);
    }

    /** {@code ln -s target link || ln || cp}, replacing {@code link} in one rename. */
    private static void symlink(Path link, String target) throws IOException {
        if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).toString().equals(target)) {
            return;
        }
        Path temp = link.resolveSibling("." + link.getFileName() + "." + ProcessHandle.current().pid() + ".link");
        Files.deleteIfExists(temp);
        try {
            Files.createSymbolicLink(temp, Path.of(target));
        } catch (IOException | UnsupportedOperationException e) {
            try {
                Files.createLink(temp, link.resolveSibling(target));
            } catch (IOException | UnsupportedOperationException e2) {
                Files.copy(link.resolveSibling(target), temp);
            }
        }
        AtomicFiles.move(temp, link);
    }

    // ---------------------------------------------------------------- packages and lock

    /** Copies the package (and its signature) into the folder unless it is there already. */
    private void copyIntoRepository(PackageFile pkg) {
        Path target = directory.resolve(pkg.fileName());
        try {
            if (Files.exists(target) && Files.isSameFile(target, pkg.file())) {
                return;
            }
            copy(pkg.file(), target);
            Path sigTarget = target.resolveSibling(pkg.fileName() + ".sig");
            if (pkg.signature() != null) {
                copy(pkg.signature(), sigTarget);
            } else if (Files.deleteIfExists(sigTarget)) {
                log.warn("Removed " + sigTarget + ": it signed an earlier " + pkg.fileName());
            }
            log.info("Copied " + pkg.fileName() + (pkg.signature() != null ? " and its signature" : "") + " into "
                    + directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + pkg.file() + " into " + directory + ": " + e.getMessage(), e);
        }
    }

    private static void copy(Path source, Path target) throws IOException {
        if (Files.exists(target) && Files.size(target) == Files.size(source)
                && Files.mismatch(source, target) == -1) {
            return;
        }
        AtomicFiles.write(target, out -> Files.copy(source, out));
        readable(target);
    }

    private void createDirectory() {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the repository folder " + directory, e);
        }
    }

    private interface Lock extends AutoCloseable {
        @Override
        void close();
    }

    /** repo-add's lock: {@code NAME.db.tar.gz.lck} created exclusively, holding the owner's process id. */
    private Lock lock() {
        Path lockFile = directory.resolve(database().getFileName() + ".lck");
        long deadline = System.nanoTime() + lockTimeout.toNanos();
        while (true) {
            try {
                Files.writeString(lockFile, ProcessHandle.current().pid() + "\n", StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                return () -> {
                    try {
                        Files.deleteIfExists(lockFile);
                    } catch (IOException e) {
                        log.warn("cannot remove the lock " + lockFile + ": " + e.getMessage());
                    }
                };
            } catch (FileAlreadyExistsException e) {
                if (System.nanoTime() > deadline) {
                    String holder;
                    try {
                        holder = Files.readString(lockFile).strip();
                    } catch (IOException e2) {
                        holder = "?";
                    }
                    throw new RepoException("Failed to acquire lockfile " + lockFile + " (held by process " + holder
                            + " for more than " + lockTimeout.toSeconds() + " s): wait for the other repo-add to "
                            + "finish, or delete the file if none runs", e);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new RepoException("interrupted while waiting for " + lockFile, ie);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the lock " + lockFile + ": " + e.getMessage(), e);
            }
        }
    }
}
