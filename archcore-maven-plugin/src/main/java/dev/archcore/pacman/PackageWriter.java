package dev.archcore.pacman;

import dev.archcore.util.AtomicFiles;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
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
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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

    /**
     * Writes the package to {@code target} through a temporary file, so a failure leaves the old one intact.
     *
     * <p>One read of every file: {@code .MTREE} holds the digests of the data yet comes before it, so the data is
     * streamed first, digested on the way, into its own compressed stream (a temporary file); then the head (the
     * members up to the last metadata member, in tar order) is compressed as a first stream and the data stream
     * appended. Concatenated zstd frames, gzip members and xz streams are one valid stream to libarchive (pacman,
     * bsdtar) and to archcore's reader; the tar inside is byte for byte what one stream would hold.
     */
    public void write(PackageTree tree, PackageMetadata metadata, List<Extra> extras, String generator,
                      long mtime, Path target) throws IOException {
        List<PackageMember> metadataMembers = new ArrayList<>();
        metadataMembers.add(metadataMember(".BUILDINFO", metadata.buildinfo()));
        metadataMembers.add(metadataMember(".PKGINFO", metadata.pkginfo(generator)));
        for (Extra extra : extras) {
            metadataMembers.add(metadataMember(extra.name(), extra.content()));
        }
        Comparator<String> order = PackageTree.byteOrder();
        // the head ends with the last metadata member in tar order (.MTREE or .PKGINFO, or an extra such as
        // .INSTALL); only data that sorts before it (a top-level ".A", "+x") is read before .MTREE is known
        String headEnd = ".MTREE";
        for (PackageMember m : metadataMembers) {
            if (order.compare(m.path(), headEnd) > 0) {
                headEnd = m.path();
            }
        }
        List<PackageTree.Entry> headData = new ArrayList<>();
        List<PackageTree.Entry> bodyData = new ArrayList<>();
        for (PackageTree.Entry e : tree.entries()) {
            (order.compare(e.path(), headEnd) < 0 ? headData : bodyData).add(e);
        }
        bodyData.sort((a, b) -> order.compare(a.path(), b.path()));

        Path body = Files.createTempFile(target.toAbsolutePath().getParent(), "." + target.getFileName(), ".data");
        try {
            Map<String, String[]> digests = new HashMap<>();
            for (PackageTree.Entry e : headData) {
                if (e.type() == PackageTree.Type.FILE) {
                    digests.put(e.path(), fileDigests(e.source()));
                }
            }
            try (OutputStream bodyFile = Files.newOutputStream(body);
                 OutputStream bodyBuffered = new BufferedOutputStream(bodyFile, 1 << 20);
                 OutputStream bodyCompressed = compression.wrap(bodyBuffered, level)) {
                OutputStream bodyTar = new BufferedOutputStream(bodyCompressed, 1 << 20);
                TarArchiveOutputStream tar = tarStream(bodyTar);
                for (PackageTree.Entry e : bodyData) {
                    digests.put(e.path(), writeDigested(tar, PackageMember.data(e, null, null), mtime));
                }
                List<PackageMember> members = new ArrayList<>(metadataMembers);
                for (PackageTree.Entry e : tree.entries()) {
                    String[] d = switch (e.type()) {
                        case FILE -> digests.get(e.path());
                        case HARDLINK -> digests.get(e.link());
                        default -> new String[2];
                    };
                    members.add(PackageMember.data(e, d[0], d[1]));
                }
                members.sort((a, b) -> order.compare(a.path(), b.path()));
                members.add(metadataMember(".MTREE", Mtree.write(members, mtime)));
                members.sort((a, b) -> order.compare(a.path(), b.path()));
                List<PackageMember> head = members.subList(0, members.size() - bodyData.size());

                AtomicFiles.write(target, out -> {
                    writeHead(head, mtime, out);
                    tar.finish(); // the two end-of-archive records (commons-compress pads no further)
                    bodyTar.flush();
                    bodyCompressed.close(); // ends the last frame; closes the buffer and the file below
                    Files.copy(body, out);
                });
            }
        } finally {
            Files.deleteIfExists(body);
        }
    }

    /** Record-sized blocks (commons-compress's default): the stream can be cut after any entry. */
    private static TarArchiveOutputStream tarStream(OutputStream out) {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, 512, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        return tar;
    }

    /** The head as its own compressed stream, with no end-of-archive records. */
    private void writeHead(List<PackageMember> head, long mtime, OutputStream file) throws IOException {
        OutputStream buffered = new BufferedOutputStream(file, 1 << 16);
        OutputStream compressed = compression.wrap(new CloseShield(buffered), level); // the data stream follows
        TarArchiveOutputStream tar = tarStream(compressed);
        for (PackageMember m : head) {
            writeDigested(tar, m, mtime);
        }
        tar.flush(); // whole records only, nothing held back; no end-of-archive records (not finish())
        compressed.close(); // ends the frame
        buffered.flush();
    }

    /** Writes one member; for a file read from disk, returns its md5 and sha256 computed from the bytes written. */
    private static String[] writeDigested(TarArchiveOutputStream tar, PackageMember m, long mtime) throws IOException {
        tar.putArchiveEntry(tarEntry(m, mtime));
        String[] digests = null;
        if (m.type() == PackageTree.Type.FILE) {
            if (m.bytes() != null) {
                tar.write(m.bytes());
            } else {
                MessageDigest md5 = digest("MD5");
                MessageDigest sha256 = digest("SHA-256");
                byte[] buffer = new byte[1 << 16];
                try (InputStream in = Files.newInputStream(m.source())) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        md5.update(buffer, 0, n);
                        sha256.update(buffer, 0, n);
                        tar.write(buffer, 0, n);
                    }
                }
                digests = new String[] {HEX.formatHex(md5.digest()), HEX.formatHex(sha256.digest())};
            }
        }
        tar.closeArchiveEntry();
        return digests;
    }

    /** Passes everything but {@code close}: the compressor's close ends its frame, not the file below. */
    private static final class CloseShield extends FilterOutputStream {
        CloseShield(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() {
        }
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
