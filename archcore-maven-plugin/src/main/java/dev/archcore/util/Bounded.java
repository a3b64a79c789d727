package dev.archcore.util;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.LongSupplier;

/**
 * Reads and writes that stop at a size limit with a {@link TooLarge} naming what was read, instead of
 * filling memory or the disk: every member or file from outside that is read whole goes through here.
 */
public final class Bounded {
    private Bounded() {
    }

    /** A read or download stopped at its limit; the message names what and the limit. */
    public static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        public TooLarge(String message) {
            super(message);
        }
    }

    /**
     * All bytes of {@code in}, refused once more than {@code limit} have come.
     *
     * @param what names the member or file, e.g. {@code "member .PKGINFO"}
     */
    public static byte[] readAll(InputStream in, long limit, String what) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        long total = 0;
        for (int n; (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total + 1))) > 0; ) {
            total += n;
            if (total > limit) {
                throw tooLarge(what, limit);
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /** A file read whole, refused when it is larger than {@code limit}; {@code what} names the file. */
    public static byte[] readAll(java.nio.file.Path file, long limit, String what) throws IOException {
        try (InputStream in = java.nio.file.Files.newInputStream(file)) {
            return readAll(in, limit, what);
        }
    }

    public static TooLarge tooLarge(String what, long limit) {
        return new TooLarge(what + " is larger than " + size(limit) + " (" + limit + " bytes), archcore's limit for"
                + " it (see docs/repo.md, \"Limits\"); a real one is far smaller, so the input is damaged or hostile");
    }

    /**
     * {@code in} counting what it gives; once the count passes {@code limit.getAsLong()} (asked again on every
     * read, so a limit learned while reading applies at once) it throws {@link TooLarge} with {@code message}.
     */
    public static InputStream counting(InputStream in, LongSupplier limit, java.util.function.LongFunction<String> message) {
        return new FilterInputStream(in) {
            private long count;

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    add(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    add(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                // skipping decompresses too: read, so that skipped bytes are counted
                byte[] buffer = new byte[(int) Math.min(8192, Math.max(n, 1))];
                long skipped = 0;
                while (skipped < n) {
                    int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                    if (r < 0) {
                        break;
                    }
                    skipped += r;
                }
                return skipped;
            }

            private void add(long n) throws TooLarge {
                count += n;
                long max = limit.getAsLong();
                if (count > max) {
                    throw new TooLarge(message.apply(max));
                }
            }
        };
    }

    /** {@code out} refusing more than {@code limit} bytes: the write that would pass it throws, writing nothing. */
    public static OutputStream limited(OutputStream out, long limit, String message) {
        return new FilterOutputStream(out) {
            private long count;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (count + len > limit) {
                    throw new TooLarge(message);
                }
                count += len;
                out.write(b, off, len);
            }
        };
    }

    /** Binary sizes for limits: {@code 4 MiB}. */
    public static String size(long bytes) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        double value = bytes;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return value == Math.rint(value) ? (long) value + " " + units[unit]
                : String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
