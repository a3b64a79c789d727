package dev.archcore.pacman;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * The {@code .MTREE} pacman uses for {@code -Qkk}: what {@code bsdtar --format=mtree} writes with makepkg's
 * options (type, uid, gid, mode, time, size, md5, sha256, link), gzip'd without name or time.
 */
final class Mtree {
    private static final String DEFAULTS = "/set type=file uid=0 gid=0 mode=644\n";

    private Mtree() {
    }

    static byte[] write(List<PackageMember> members, long mtime) {
        StringBuilder text = new StringBuilder("#mtree\n").append(DEFAULTS);
        for (PackageMember m : members) {
            text.append("./").append(escape(m.path())).append(" time=").append(mtime).append(".0");
            if (m.mode() != 0644) {
                text.append(" mode=").append(Integer.toOctalString(m.mode()));
            }
            switch (m.type()) {
                case DIRECTORY -> text.append(" type=dir");
                case SYMLINK -> text.append(" type=link link=").append(escape(m.link()));
                case FILE, HARDLINK -> text.append(" size=").append(m.size())
                        .append(" md5digest=").append(m.md5()).append(" sha256digest=").append(m.sha256());
            }
            text.append('\n');
        }
        return gzip(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** libarchive's mtree_quote: bytes outside printable ASCII, and space, '#', '=' and '\', as octal escapes. */
    static String escape(String name) {
        StringBuilder out = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c > 0x20 && c < 0x7f && c != '#' && c != '=' && c != '\\') {
                out.append((char) c);
            } else {
                out.append('\\').append(c / 64).append(c / 8 % 8).append(c % 8);
            }
        }
        return out.toString();
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
