package dev.archcore.pacman;

import com.github.luben.zstd.ZstdOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/** The package compressions makepkg offers through PKGEXT; every one gives the same bytes for the same input. */
public enum Compression {
    ZSTD(".pkg.tar.zst", 3),
    XZ(".pkg.tar.xz", 6),
    GZIP(".pkg.tar.gz", 6),
    NONE(".pkg.tar", 0);

    private final String extension;
    private final int defaultLevel;

    Compression(String extension, int defaultLevel) {
        this.extension = extension;
        this.defaultLevel = defaultLevel;
    }

    public String extension() {
        return extension;
    }

    public int defaultLevel() {
        return defaultLevel;
    }

    /** Accepts {@code zst}, {@code zstd}, {@code xz}, {@code gz}, {@code gzip}, {@code none}, or an extension. */
    public static Compression parse(String name) {
        String n = name.toLowerCase(Locale.ROOT).replaceFirst("^\\.?(pkg\\.)?(tar\\.?)?", "");
        return switch (n) {
            case "zst", "zstd" -> ZSTD;
            case "xz" -> XZ;
            case "gz", "gzip" -> GZIP;
            case "", "none" -> NONE;
            default -> throw new IllegalArgumentException("unknown compression '" + name
                    + "': use zst (default), xz, gz or none");
        };
    }

    public OutputStream wrap(OutputStream out, int level) throws IOException {
        return switch (this) {
            // a fixed worker count keeps the frames, and so the bytes, the same on every machine
            case ZSTD -> new ZstdOutputStream(out, level).setChecksum(true).setWorkers(2);
            case XZ -> new XZOutputStream(out, new LZMA2Options(level));
            // java.util.zip writes no name and a zero mtime, like gzip -n
            case GZIP -> new GZIPOutputStream(out, 1 << 16) {
                {
                    def.setLevel(level == 0 ? Deflater.DEFAULT_COMPRESSION : level);
                }
            };
            case NONE -> out;
        };
    }
}
