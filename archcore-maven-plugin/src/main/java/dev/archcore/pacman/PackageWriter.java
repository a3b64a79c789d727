package dev.archcore.pacman;

import dev.archcore.util.AtomicFiles;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Writes a pacman package from a {@code $pkgdir} natively, the way makepkg's create_package does with bsdtar
 * under fakeroot: ustar with pax only where needed, owner root:root, every entry with the same mtime, members
 * sorted bytewise with the metadata among them, and a {@code .MTREE} that lists everything else.
 */
public final class PackageWriter {
    private static final HexFormat HEX = HexFormat.of();

    private final Compression compression;
    private final int level;

    public PackageWriter(Compression compression, int level) {
        this.compression = compression;
        this.level = level;
    }

    /** Metadata members beyond .PKGINFO/.BUILDINFO/.MTREE: {@code .INSTALL} and {@code .CHANGELOG}. */
    public record Extra(String name, byte[] content) {
    }

    /** Writes the package to {@code target} through a temporary file, so a failure leaves the old one intact. */
    public void write(PackageTree tree, PackageMetadata metadata, List<Extra> extras, String generator,
                      long mtime, Path target) throws IOException {
        List<PackageMember> members = new ArrayList<>();
        members.add(metadataMember(".BUILDINFO", metadata.buildinfo()));
        members.add(metadataMember(".PKGINFO", metadata.pkginfo(generator)));
        for (Extra extra : extras) {
            members.add(metadataMember(extra.name(), extra.content()));
        }
        members.addAll(dataMembers(tree));
        Comparator<String> order = PackageTree.byteOrder();
        members.sort((a, b) -> order.compare(a.path(), b.path()));
        members.add(metadataMember(".MTREE", Mtree.write(members, mtime)));
        members.sort((a, b) -> order.compare(a.path(), b.path()));

        AtomicFiles.write(target, out -> writeArchive(members, mtime, out));
    }

    private void writeArchive(List<PackageMember> members, long mtime, OutputStream file) throws IOException {
        OutputStream buffered = new BufferedOutputStream(file, 1 << 20);
        // tar writes 512-byte records; handing the compressor 1 MiB at a time saves ~200,000 native calls
        try (OutputStream compressed = compression.wrap(buffered, level);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(
                     new BufferedOutputStream(compressed, 1 << 20), "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            for (PackageMember m : members) {
                TarArchiveEntry entry = tarEntry(m, mtime);
                tar.putArchiveEntry(entry);
                if (m.type() == PackageTree.Type.FILE) {
                    if (m.bytes() != null) {
                        tar.write(m.bytes());
                    } else {
                        try (InputStream in = Files.newInputStream(m.source())) {
                            in.transferTo(tar);
                        }
                    }
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
        buffered.flush();
    }

    private static TarArchiveEntry tarEntry(PackageMember m, long mtime) {
        TarArchiveEntry entry = switch (m.type()) {
            case DIRECTORY -> new TarArchiveEntry(m.path() + "/", TarConstants.LF_DIR);
            case FILE -> new TarArchiveEntry(m.path(), TarConstants.LF_NORMAL);
            case SYMLINK -> new TarArchiveEntry(m.path(), TarConstants.LF_SYMLINK);
            case HARDLINK -> new TarArchiveEntry(m.path(), TarConstants.LF_LINK);
        };
        if (m.link() != null) {
            entry.setLinkName(m.link());
        }
        entry.setMode(m.mode());
        entry.setSize(m.type() == PackageTree.Type.FILE ? m.size() : 0);
        entry.setIds(0, 0);
        entry.setNames("root", "root");
        entry.setModTime(FileTime.from(mtime, TimeUnit.SECONDS));
        return entry;
    }

    private static PackageMember metadataMember(String name, byte[] content) {
        MessageDigest md5 = digest("MD5");
        MessageDigest sha256 = digest("SHA-256");
        return PackageMember.metadata(name, content, HEX.formatHex(md5.digest(content)), HEX.formatHex(sha256.digest(content)));
    }

    /** Digests of every regular file, computed in parallel since .MTREE must precede the data. */
    private static List<PackageMember> dataMembers(PackageTree tree) {
        Map<String, String[]> digests = tree.entries().parallelStream()
                .filter(e -> e.type() == PackageTree.Type.FILE)
                .collect(Collectors.toConcurrentMap(PackageTree.Entry::path, e -> fileDigests(e.source())));
        List<PackageMember> members = new ArrayList<>();
        for (PackageTree.Entry e : tree.entries()) {
            String[] d = switch (e.type()) {
                case FILE -> digests.get(e.path());
                case HARDLINK -> digests.get(e.link());
                default -> new String[2];
            };
            members.add(PackageMember.data(e, d[0], d[1]));
        }
        return members;
    }

    private static String[] fileDigests(Path file) {
        MessageDigest md5 = digest("MD5");
        MessageDigest sha256 = digest("SHA-256");
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                md5.update(buffer, 0, n);
                sha256.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return new String[] {HEX.formatHex(md5.digest()), HEX.formatHex(sha256.digest())};
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
