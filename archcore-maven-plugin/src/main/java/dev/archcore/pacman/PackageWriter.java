package dev.archcore.pacman;

import dev.archcore.util.AtomicFiles;

import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

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
        Digester digester = new Digester();
        List<PackageMember> metadataMembers = new ArrayList<>();
        metadataMembers.add(metadataMember(".BUILDINFO", metadata.buildinfo(), digester));
        metadataMembers.add(metadataMember(".PKGINFO", metadata.pkginfo(generator), digester));
        for (Extra extra : extras) {
            metadataMembers.add(metadataMember(extra.name(), extra.content(), digester));
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
                    digests.put(e.path(), digester.file(e.source(), null));
                }
            }
            try (OutputStream bodyFile = Files.newOutputStream(body);
                 OutputStream bodyBuffered = new BufferedOutputStream(bodyFile, 1 << 20);
                 OutputStream bodyCompressed = compression.wrap(bodyBuffered, level)) {
                OutputStream bodyTar = new BufferedOutputStream(bodyCompressed, 1 << 20);
                TarWriter tar = new TarWriter(bodyTar, mtime);
                for (PackageTree.Entry e : bodyData) {
                    digests.put(e.path(), writeDigested(tar, PackageMember.data(e, null, null), digester));
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
                members.add(metadataMember(".MTREE", Mtree.write(members, mtime), digester));
                members.sort((a, b) -> order.compare(a.path(), b.path()));
                List<PackageMember> head = members.subList(0, members.size() - bodyData.size());

                tar.finish(); // the two end-of-archive records
                bodyTar.flush();
                bodyCompressed.close(); // ends the last frame; closes the buffer and the file below
                try (AtomicFiles.Pending file = AtomicFiles.begin(target);
                     FileChannel data = FileChannel.open(body)) {
                    writeHead(head, mtime, Channels.newOutputStream(file.channel()), digester);
                    // the data stream after the head, copied by the kernel
                    for (long at = 0, size = data.size(), n; at < size; at += n) {
                        if ((n = data.transferTo(at, size - at, file.channel())) <= 0) {
                            throw new IOException("cannot append " + body + " to " + target + " at byte " + at);
                        }
                    }
                    file.commit();
                }
            }
        } finally {
            Files.deleteIfExists(body);
        }
    }

    /** The head as its own compressed stream, with no end-of-archive records. */
    private void writeHead(List<PackageMember> head, long mtime, OutputStream file, Digester digester)
            throws IOException {
        OutputStream buffered = new BufferedOutputStream(file, 1 << 16);
        OutputStream compressed = compression.wrap(new CloseShield(buffered), level); // the data stream follows
        TarWriter tar = new TarWriter(compressed, mtime); // whole records only, nothing held back
        for (PackageMember m : head) {
            writeDigested(tar, m, digester);
        }
        compressed.close(); // ends the frame; no end-of-archive records: the data stream follows
        buffered.flush();
    }

    /** Writes one member; for a file read from disk, returns its md5 and sha256 computed from the bytes written. */
    private static String[] writeDigested(TarWriter tar, PackageMember m, Digester digester) throws IOException {
        tar.putEntry(m);
        String[] digests = null;
        if (m.type() == PackageTree.Type.FILE) {
            if (m.bytes() != null) {
                tar.write(m.bytes(), 0, m.bytes().length);
            } else {
                digests = digester.file(m.source(), tar);
            }
        }
        tar.closeEntry();
        return digests;
    }

    /**
     * md5 and sha256 of files, with one pair of digests and one buffer for a whole package: a package is thousands
     * of small files, and looking up two providers and allocating a buffer per file was measurable in a fresh JVM.
     */
    private static final class Digester {
        private final MessageDigest md5 = digest("MD5");
        private final MessageDigest sha256 = digest("SHA-256");
        private final byte[] buffer = new byte[1 << 16];

        /** Reads {@code file} once, into {@code tar} as well when given; digest() leaves both digests reset. */
        String[] file(Path file, TarWriter tar) throws IOException {
            // FileInputStream rather than Files.newInputStream: its read is a plain native call, where the
            // channel's path through direct buffers and scopes is costly for the JIT in a fresh JVM
            try (InputStream in = new FileInputStream(file.toFile())) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    md5.update(buffer, 0, n);
                    sha256.update(buffer, 0, n);
                    if (tar != null) {
                        tar.write(buffer, 0, n);
                    }
                }
            }
            return new String[] {HEX.formatHex(md5.digest()), HEX.formatHex(sha256.digest())};
        }

        String[] bytes(byte[] content) {
            return new String[] {HEX.formatHex(md5.digest(content)), HEX.formatHex(sha256.digest(content))};
        }
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

    private static PackageMember metadataMember(String name, byte[] content, Digester digester) {
        String[] d = digester.bytes(content);
        return PackageMember.metadata(name, content, d[0], d[1]);
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
