package dev.archcore.image;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The package index cache's file format: length-prefixed fields in a fixed order. A warm image build loads
 * one index per package (160 files, 20,000 entries in the benchmark); JSON data binding spent a third of a
 * fresh JVM's warm build on that, this reads it in a few milliseconds. The cache is private to archcore, so
 * a version byte is all the compatibility it needs: an unknown version is a miss and the package is re-read.
 */
final class PackageIndexCodec {
    private static final int VERSION = 2;
    private static final ArchiveEntry.Kind[] KINDS = ArchiveEntry.Kind.values();

    private PackageIndexCodec() {
    }

    static void write(PackageIndex index, OutputStream stream) throws IOException {
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream, 1 << 16));
        out.writeByte(VERSION);
        out.writeUTF(index.sha256());
        out.writeLong(index.fileSize());
        bytes(out, index.pkginfo());
        bytes(out, index.mtree());
        bytes(out, index.install());
        bytes(out, index.changelog());
        // the file lists, backup md5s and captured files follow as one length-prefixed block, so that a reader
        // who needs only the metadata (a dependency whose layer and plan are cached) skips them
        ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
        writeContents(index, new DataOutputStream(block));
        out.writeInt(block.size());
        block.writeTo(out);
        out.flush();
    }

    private static void writeContents(PackageIndex index, DataOutputStream out) throws IOException {
        out.writeInt(index.entries().size());
        for (ArchiveEntry e : index.entries()) {
            out.writeInt(e.ordinal());
            string(out, e.name());
            out.writeByte(e.kind().ordinal());
            out.writeInt(e.mode());
            out.writeLong(e.uid());
            out.writeLong(e.gid());
            string(out, e.uname());
            string(out, e.gname());
            out.writeLong(e.mtime());
            out.writeLong(e.size());
            string(out, e.link());
            out.writeInt(e.pax().size());
            for (Map.Entry<String, String> p : e.pax().entrySet()) {
                string(out, p.getKey());
                string(out, p.getValue());
            }
        }
        out.writeInt(index.backupMd5().size());
        for (Map.Entry<String, String> m : index.backupMd5().entrySet()) {
            string(out, m.getKey());
            string(out, m.getValue());
        }
        out.writeInt(index.captured().size());
        for (Map.Entry<String, byte[]> c : index.captured().entrySet()) {
            string(out, c.getKey());
            bytes(out, c.getValue());
        }
        out.flush();
    }

    /**
     * The index, or null when the stream holds another format version. Without {@code contents}, only the
     * metadata members are read: entries, backup md5s and captured files are null.
     */
    static PackageIndex read(InputStream stream, boolean contents) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        if (in.readUnsignedByte() != VERSION) {
            return null;
        }
        String sha256 = in.readUTF();
        long fileSize = in.readLong();
        byte[] pkginfo = bytes(in);
        byte[] mtree = bytes(in);
        byte[] install = bytes(in);
        byte[] changelog = bytes(in);
        in.readInt(); // the length of the contents, which this reader either reads or stops before
        if (!contents) {
            return new PackageIndex(sha256, fileSize, pkginfo, mtree, install, changelog, null, null, null);
        }
        int count = in.readInt();
        if (count < 0) {
            throw new IOException("index has a negative entry count");
        }
        // sized by what is read, not by the count a damaged or forged file claims
        List<ArchiveEntry> entries = new ArrayList<>(Math.min(count, 4096));
        for (int i = 0; i < count; i++) {
            int ordinal = in.readInt();
            String name = string(in);
            ArchiveEntry.Kind kind = KINDS[in.readUnsignedByte()];
            int mode = in.readInt();
            long uid = in.readLong();
            long gid = in.readLong();
            String uname = string(in);
            String gname = string(in);
            long mtime = in.readLong();
            long size = in.readLong();
            String link = string(in);
            int paxCount = in.readInt();
            Map<String, String> pax = new TreeMap<>();
            for (int p = 0; p < paxCount; p++) {
                pax.put(string(in), string(in));
            }
            entries.add(new ArchiveEntry(ordinal, name, kind, mode, uid, gid, uname, gname, mtime, size, link, pax));
        }
        Map<String, String> md5s = new TreeMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            md5s.put(string(in), string(in));
        }
        Map<String, byte[]> captured = new TreeMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            captured.put(string(in), bytes(in));
        }
        return new PackageIndex(sha256, fileSize, pkginfo, mtree, install, changelog, List.copyOf(entries), md5s,
                captured);
    }

    // strings go through byte arrays rather than writeUTF: a path or pax value may exceed writeUTF's 64 KiB
    // (shared with RootfsPlan's snapshot)
    static void string(DataOutputStream out, String s) throws IOException {
        bytes(out, s == null ? null : s.getBytes(StandardCharsets.UTF_8));
    }

    static String string(DataInputStream in) throws IOException {
        byte[] b = bytes(in);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static void bytes(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    static byte[] bytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] b = in.readNBytes(length);
        if (b.length != length) {
            throw new EOFException("index cut short");
        }
        return b;
    }
}
