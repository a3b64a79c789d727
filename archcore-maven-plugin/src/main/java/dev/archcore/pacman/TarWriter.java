package dev.archcore.pacman;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A package's tar stream, byte for byte what commons-compress's {@link TarArchiveOutputStream} writes with the
 * settings of {@link #library}: ustar records, a pax header where a name or number does not fit, owner root:root,
 * every entry with the given mtime, no block padding beyond the 512-byte record.
 *
 * <p>The common entry (an ASCII name and link target, its size and mtime within ustar's octal fields) gets its
 * header record written here, after a pax record for a name or link of 100 bytes or more, and its data straight
 * to the stream; any other (a non-ASCII name, a size or mtime that needs pax) goes through commons-compress. Why: a
 * package is thousands of small entries, and in a fresh JVM (what one Maven build is) commons-compress's per-entry
 * path (entry construction, name encoding, pax checks, 512-byte block copies) was the largest single thing the JIT
 * compiled during the first pack, on a machine whose two cores the digests and zstd's workers already fill.
 * {@code TarWriterTest} checks these records against commons-compress's on either side of every condition.
 */
final class TarWriter {
    static final int RECORD = 512;
    /** The largest value of an 11-digit octal field (size, mtime); above it commons-compress writes a pax header. */
    private static final long MAX_OCTAL_11 = 077777777777L;
    /** The largest value of a 7-digit octal field (mode, uid, gid, device numbers). */
    private static final long MAX_OCTAL_7 = 07777777L;
    private static final byte[] ZEROS = new byte[2 * RECORD];

    private final OutputStream out;
    private final long mtime;
    /** The header fields every entry shares (owner root, mtime, magic; the checksum as spaces), and their sum. */
    private final byte[] template;
    private final long templateSum;
    /** The same for a pax record's header, which commons-compress writes with no owner names. */
    private final byte[] paxTemplate;
    private final long paxTemplateSum;
    private final byte[] header = new byte[RECORD];
    private TarArchiveOutputStream library;
    private int libraryEntries;
    /** The entry being written: through the library, or its size still to come and its padding. */
    private boolean viaLibrary;
    private long entrySize;
    private long remaining;
    private int padding;
    private String name;

    /** Every entry gets {@code mtime} (seconds). */
    TarWriter(OutputStream out, long mtime) {
        this.out = out;
        this.mtime = mtime;
        template = template(mtime, "root");
        templateSum = sum(template);
        paxTemplate = template(mtime, "");
        paxTemplateSum = sum(paxTemplate);
    }

    private static byte[] template(long mtime, String owner) {
        byte[] t = new byte[RECORD];
        t[107] = ' '; // after mode's 7 digits
        octal(0, t, 108, 7); // uid
        t[115] = ' ';
        octal(0, t, 116, 7); // gid
        t[123] = ' ';
        t[135] = ' '; // after size's 11 digits
        octal(mtime >= 0 && mtime <= MAX_OCTAL_11 ? mtime : 0, t, 136, 11);
        t[147] = ' ';
        Arrays.fill(t, 148, 156, (byte) ' '); // the checksum counts its own field as spaces
        ascii("ustar", t, 257); // magic "ustar\0", version "00"
        t[263] = '0';
        t[264] = '0';
        ascii(owner, t, 265); // uname
        ascii(owner, t, 297); // gname
        octal(0, t, 329, 7); // devmajor
        t[336] = ' ';
        octal(0, t, 337, 7); // devminor
        t[344] = ' ';
        return t;
    }

    private static long sum(byte[] record) {
        long sum = 0;
        for (byte b : record) {
            sum += b & 0xff;
        }
        return sum;
    }

    /** The settings PackageWriter has always used; a pax header (never a GNU one) for long or non-ASCII names. */
    static TarArchiveOutputStream library(OutputStream out) {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, RECORD, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        return tar;
    }

    /** Starts an entry; a FILE's {@code size} bytes follow through {@link #write}, then {@link #closeEntry}. */
    void putEntry(PackageMember m) throws IOException {
        String entryName = m.type() == PackageTree.Type.DIRECTORY ? m.path() + "/" : m.path();
        long size = m.type() == PackageTree.Type.FILE ? m.size() : 0;
        String link = m.link() == null ? "" : m.link();
        byte type = switch (m.type()) {
            case DIRECTORY -> TarConstants.LF_DIR;
            case FILE -> TarConstants.LF_NORMAL;
            case SYMLINK -> TarConstants.LF_SYMLINK;
            case HARDLINK -> TarConstants.LF_LINK;
        };
        name = entryName;
        viaLibrary = !(size <= MAX_OCTAL_11 && mtime >= 0 && mtime <= MAX_OCTAL_11 && m.mode() >= 0
                && m.mode() <= MAX_OCTAL_7 && !entryName.startsWith("/") && ascii(entryName) && ascii(link));
        if (!viaLibrary) {
            if (entryName.length() >= TarConstants.NAMELEN || link.length() >= TarConstants.NAMELEN) {
                writePax(entryName, link);
            }
            writeHeader(template, templateSum, entryName, type, m.mode(), size, link);
            entrySize = size;
            remaining = size;
            padding = padding(size);
            return;
        }
        if (library == null) {
            library = library(out);
        }
        libraryEntries++;
        TarArchiveEntry entry = new TarArchiveEntry(entryName, type);
        if (!link.isEmpty()) {
            entry.setLinkName(link);
        }
        entry.setMode(m.mode());
        entry.setSize(size);
        entry.setIds(0, 0);
        entry.setNames("root", "root");
        entry.setModTime(FileTime.from(mtime, TimeUnit.SECONDS));
        library.putArchiveEntry(entry);
    }

    void write(byte[] b, int off, int len) throws IOException {
        if (viaLibrary) {
            library.write(b, off, len);
            return;
        }
        if (len > remaining) {
            throw new IOException(name + " grew while it was being packed (past the " + entrySize
                    + " bytes it had when $pkgdir was listed); nothing may write into $pkgdir while the package is "
                    + "written.");
        }
        out.write(b, off, len);
        remaining -= len;
    }

    void closeEntry() throws IOException {
        if (viaLibrary) {
            library.closeArchiveEntry();
            return;
        }
        if (remaining != 0) {
            throw new IOException(name + " shrank while it was being packed (" + remaining + " bytes fewer than "
                    + "the " + entrySize + " it had when $pkgdir was listed); nothing may write into $pkgdir while "
                    + "the package is written.");
        }
        out.write(ZEROS, 0, padding);
    }

    private static int padding(long size) {
        return (int) ((RECORD - size % RECORD) % RECORD);
    }

    /** How many entries went through commons-compress (for tests: the common ones must not). */
    int libraryEntries() {
        return libraryEntries;
    }

    /** The two zero records that end an archive (commons-compress's finish(), which pads no further here). */
    void finish() throws IOException {
        out.write(ZEROS, 0, 2 * RECORD);
    }

    /**
     * The pax record commons-compress writes before an entry whose name or link is 100 bytes or more
     * (TarArchiveOutputStream.writePaxHeaders): "path" before "linkpath" (its HashMap's order), each
     * {@code "LEN key=value\n"} with LEN counting itself, under a name made of the entry's, 7-bit and slash-free.
     */
    private void writePax(String entryName, String link) throws IOException {
        StringBuilder records = new StringBuilder();
        if (entryName.length() >= TarConstants.NAMELEN) {
            paxRecord(records, "path", entryName);
        }
        if (link.length() >= TarConstants.NAMELEN) {
            paxRecord(records, "linkpath", link);
        }
        byte[] data = records.toString().getBytes(StandardCharsets.US_ASCII);
        String paxName = "./PaxHeaders.X/" + entryName.replace('\0', '_').replace('/', '_').replace('\\', '_');
        if (paxName.length() >= TarConstants.NAMELEN) {
            paxName = paxName.substring(0, TarConstants.NAMELEN - 1);
        }
        writeHeader(paxTemplate, paxTemplateSum, paxName, TarConstants.LF_PAX_EXTENDED_HEADER_LC,
                TarArchiveEntry.DEFAULT_FILE_MODE, data.length, "");
        out.write(data, 0, data.length);
        out.write(ZEROS, 0, padding(data.length));
    }

    private static void paxRecord(StringBuilder records, String key, String value) {
        int rest = key.length() + value.length() + 3; // " key=value\n", ASCII
        int length = rest + 2; // commons-compress's first guess, then its iteration to a length that counts itself
        int actual = Integer.toString(length).length() + rest;
        while (length != actual) {
            length = actual;
            actual = Integer.toString(length).length() + rest;
        }
        records.append(length).append(' ').append(key).append('=').append(value).append('\n');
    }

    /** TarArchiveEntry.writeEntryHeader's record: name and link are ASCII, cut at the field's 100 bytes. */
    private void writeHeader(byte[] template, long templateSum, String entryName, byte type, int mode, long size,
                             String link) throws IOException {
        byte[] h = header;
        System.arraycopy(template, 0, h, 0, RECORD);
        long sum = templateSum + field(entryName, h, 0) + field(link, h, 157) + type
                + octal(mode, h, 100, 7) + octal(size, h, 124, 11);
        h[156] = type;
        octal(sum, h, 148, 6); // then NUL and space
        h[154] = 0;
        h[155] = ' ';
        out.write(h, 0, RECORD);
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Copies an ASCII string into a 100-byte name field, cut there; returns the byte sum. */
    private static long field(String s, byte[] h, int offset) {
        int n = Math.min(s.length(), TarConstants.NAMELEN);
        long sum = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            h[offset + i] = (byte) c;
            sum += c;
        }
        return sum;
    }

    private static void ascii(String s, byte[] h, int offset) {
        for (int i = 0; i < s.length(); i++) {
            h[offset + i] = (byte) s.charAt(i);
        }
    }

    /** {@code digits} octal digits, zero-padded (TarUtils.formatUnsignedOctalString); returns their byte sum. */
    private static long octal(long value, byte[] h, int offset, int digits) {
        long v = value;
        long sum = 0;
        for (int i = offset + digits - 1; i >= offset; i--) {
            byte d = (byte) ('0' + (v & 7));
            h[i] = d;
            sum += d;
            v >>>= 3;
        }
        return sum;
    }
}
