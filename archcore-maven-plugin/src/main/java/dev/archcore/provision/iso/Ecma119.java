package dev.archcore.provision.iso;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;

/** The number and date encodings of ECMA-119 (ISO 9660) section 7 and 8.4.26, and a small record builder. */
final class Ecma119 {
    static final int SECTOR = 2048;

    private Ecma119() {
    }

    static int sectors(long bytes) {
        return Math.toIntExact((bytes + SECTOR - 1) / SECTOR);
    }

    /** 9.1.5: years since 1900, month, day, hour, minute, second, GMT offset in 15-minute units (always UTC here). */
    static byte[] recordDate(Instant t) {
        ZonedDateTime d = t.atZone(ZoneOffset.UTC);
        return new byte[] {(byte) (d.getYear() - 1900), (byte) d.getMonthValue(), (byte) d.getDayOfMonth(),
                (byte) d.getHour(), (byte) d.getMinute(), (byte) d.getSecond(), 0};
    }

    /** 8.4.26.1: "YYYYMMDDHHMMSScc" in ASCII digits, then the GMT offset byte. */
    static byte[] volumeDate(Instant t) {
        ZonedDateTime d = t.atZone(ZoneOffset.UTC);
        String s = String.format("%04d%02d%02d%02d%02d%02d%02d", d.getYear(), d.getMonthValue(), d.getDayOfMonth(),
                d.getHour(), d.getMinute(), d.getSecond(), d.getNano() / 10_000_000);
        return Arrays.copyOf(s.getBytes(StandardCharsets.US_ASCII), 17);
    }

    /** 8.4.26.1: a date "not specified" is sixteen '0' digits and a zero offset (used for the expiration date). */
    static byte[] unsetVolumeDate() {
        byte[] b = new byte[17];
        Arrays.fill(b, 0, 16, (byte) '0');
        return b;
    }

    /** An a-/d-character field: ASCII, padded with spaces (7.4). */
    static byte[] text(String s, int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) ' ');
        byte[] v = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(v, 0, b, 0, Math.min(v.length, length));
        return b;
    }

    /** A Joliet text field: UCS-2 big-endian, padded with UCS-2 spaces (an odd last byte stays 0). */
    static byte[] ucs2Text(String s, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i + 1 < length; i += 2) {
            char c = i / 2 < s.length() ? s.charAt(i / 2) : ' ';
            b[i] = (byte) (c >> 8);
            b[i + 1] = (byte) c;
        }
        return b;
    }

    static byte[] ucs2(String s) {
        return s.getBytes(StandardCharsets.UTF_16BE);
    }

    /** Appends fields in order; the both-byte-order forms are 7.2.3 and 7.3.3 (little-endian copy first). */
    static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Builder u8(int v) {
            out.write(v);
            return this;
        }

        Builder bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Builder zeros(int n) {
            out.writeBytes(new byte[n]);
            return this;
        }

        Builder le16(int v) {
            return u8(v).u8(v >>> 8);
        }

        Builder be16(int v) {
            return u8(v >>> 8).u8(v);
        }

        Builder le32(int v) {
            return u8(v).u8(v >>> 8).u8(v >>> 16).u8(v >>> 24);
        }

        Builder be32(int v) {
            return u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v);
        }

        Builder both16(int v) {
            return le16(v).be16(v);
        }

        Builder both32(int v) {
            return le32(v).be32(v);
        }

        int size() {
            return out.size();
        }

        byte[] build() {
            return out.toByteArray();
        }
    }
}
