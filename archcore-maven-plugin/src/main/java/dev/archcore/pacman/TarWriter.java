package dev.archcore.pacman;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A package's tar stream, byte for byte what commons-compress's {@link TarArchiveOutputStream} writes with the
 * settings of {@link #library}: ustar records, a pax header where a name or number does not fit, owner root:root,
 * every entry with the given mtime, no block padding beyond the 512-byte record.
 *
 * <p>The common entry (an ASCII name and link target under 100 bytes, its size and mtime within ustar's octal
 * fields: one that needs no pax header) gets its one header record written here, and its data straight to the
 * stream; every other entry goes through commons-compress. Why: a package is thousands of small entries, and in a
 * fresh JVM (what one Maven build is) commons-compress's per-entry path (entry construction, name encoding, pax
 * checks, 512-byte block copies) was the largest single thing the JIT compiled during the first pack, on a machine
 * whose two cores the digests and zstd's workers already fill. {@code TarWriterTest} checks these records against
 * commons-compress's for the cases either side of every condition.
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
    /** The header fields every plain entry shares (owner, mtime, magic; the checksum as spaces), and their sum. */
    private final byte[] template = new byte[RECORD];
    private final long templateSum;
    private final byte[] header = new byte[RECORD];
    private TarArchiveOutputStream library;
    private int libraryEntries;
    /** The entry being written: through the library, or its size still to come and its padding. */
    private boolean viaLibrary;
    private long remaining;
    private int padding;
    private String name;

    /** Every entry gets {@code mtime} (seconds). */
    TarWriter(OutputStream out, long mtime) {
        this.out = out;
        this.mtime = mtime;
        byte[] t = template;
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
        ascii("root", t, 265); // uname
        ascii("root", t, 297); // gname
        octal(0, t, 329, 7); // devmajor
        t[336] = ' ';
        octal(0, t, 337, 7); // devminor
        t[344] = ' ';
        long sum = 0;
        for (byte b : t) {
            sum += b & 0xff;
        }
        templateSum = sum;
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
                && m.mode() <= MAX_OCTAL_7 && !entryName.startsWith("/") && writeHeader(entryName, type, m.mode(), size, link));
        if (!viaLibrary) {
            remaining = size;
            padding = (int) ((RECORD - size % RECORD) % RECORD);
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
            throw new IOException(name + " grew while it was being packed (more bytes than the " + (remaining + len)
                    + " left when it was listed); nothing may write into $pkgdir while the package is written.");
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
                    + "when it was listed); nothing may write into $pkgdir while the package is written.");
        }
        out.write(ZEROS, 0, padding);
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
     * Writes TarArchiveEntry.writeEntryHeader's record for a name and link that are ASCII and under 100 bytes
     * (the name field holds them whole, no pax header); returns false, writing nothing, for any other.
     */
    private boolean writeHeader(String entryName, byte type, int mode, long size, String link) throws IOException {
        byte[] h = header;
        System.arraycopy(template, 0, h, 0, RECORD);
        long sum = templateSum;
        long nameSum = field(entryName, h, 0);
        long linkSum = field(link, h, 157);
        if (nameSum < 0 || linkSum < 0) {
            return false;
        }
        sum += nameSum + linkSum + type + octal(mode, h, 100, 7) + octal(size, h, 124, 11);
        h[156] = type;
        octal(sum, h, 148, 6); // then NUL and space
        h[154] = 0;
        h[155] = ' ';
        out.write(h, 0, RECORD);
        return true;
    }

    /** Copies an ASCII string under 100 chars into a name field; returns its byte sum, or -1 for any other string. */
    private static long field(String s, byte[] h, int offset) {
        int n = s.length();
        if (n >= TarConstants.NAMELEN) {
            return -1;
        }
        long sum = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return -1;
            }
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
