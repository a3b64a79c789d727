package dev.archcore.util;

import com.github.luben.zstd.ZstdInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.tukaani.xz.XZInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Opens a gzip, zstd, xz, bzip2 or plain stream by its magic bytes, as libarchive does for pacman. */
public final class Compressed {
    private Compressed() {
    }

    public static InputStream open(InputStream raw) throws IOException {
        InputStream in = raw.markSupported() ? raw : new BufferedInputStream(raw, 1 << 16);
        in.mark(8);
        byte[] m = in.readNBytes(6);
        in.reset();
        if (starts(m, 0x1f, 0x8b)) {
            return new GZIPInputStream(in, 1 << 16);
        }
        if (starts(m, 0x28, 0xb5, 0x2f, 0xfd)) {
            return new ZstdInputStream(in);
        }
        if (starts(m, 0xfd, '7', 'z', 'X', 'Z', 0)) {
            return new XZInputStream(in);
        }
        if (starts(m, 'B', 'Z', 'h')) {
            return new BZip2CompressorInputStream(in);
        }
        return in;
    }

    private static boolean starts(byte[] data, int... magic) {
        if (data.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((data[i] & 0xff) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
