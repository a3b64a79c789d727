package dev.archcore.testing;

import dev.archcore.cluster.UnitOption;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * go-systemd's unit package as fleet v1.0.0 vendors it (go-systemd efa0506b, unit/serialize.go and
 * unit/deserialize.go), for {@link FleetSimulator}: written from that source, independent of archcore's
 * {@code UnitFile}, so that the simulator checks archcore rather than agreeing with it by construction.
 * {@link #deserialize} models the 4096-byte {@code bufio.Reader} because it decides when the 2048-byte line check
 * runs (it only looks when at least 2048 bytes are buffered).
 */
final class GoSystemdUnit {
    static final int LINE_MAX = 2048;
    private static final int BUF_SIZE = 4096;

    private GoSystemdUnit() {
    }

    static final class DeserializeException extends Exception {
        DeserializeException(String message) {
            super(message);
        }
    }

    /** {@code unit.Serialize}: sections in first-seen order, a blank line between them, every line ending in \n. */
    static String serialize(List<UnitOption> options) {
        Map<String, List<UnitOption>> idx = new LinkedHashMap<>();
        for (UnitOption o : options) {
            idx.computeIfAbsent(o.section(), s -> new ArrayList<>()).add(o);
        }
        StringBuilder buf = new StringBuilder();
        int i = 0;
        for (Map.Entry<String, List<UnitOption>> e : idx.entrySet()) {
            buf.append('[').append(e.getKey()).append(']').append('\n');
            for (UnitOption o : e.getValue()) {
                buf.append(o.name()).append('=').append(o.value()).append('\n');
            }
            if (i++ < idx.size() - 1) {
                buf.append('\n');
            }
        }
        return buf.toString();
    }

    /** fleet's {@code UnitFile.Hash}: hex SHA-1 of the serialized options. */
    static String hash(List<UnitOption> options) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(serialize(options).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code unicode.IsSpace}. */
    static boolean isSpace(int c) {
        return switch (c) {
            case ' ', '\t', '\n', 0x0b, '\f', '\r', 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000 -> true;
            default -> c >= 0x2000 && c <= 0x200a;
        };
    }

    /** {@code strings.TrimSpace}. */
    static String trimSpace(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && isSpace(s.charAt(a))) {
            a++;
        }
        while (b > a && isSpace(s.charAt(b - 1))) {
            b--;
        }
        return s.substring(a, b);
    }

    /** {@code bufio.Reader} over a {@code bytes.Buffer}: only the buffered window [r, w) matters here. */
    private static final class Reader {
        final byte[] data;
        int r;
        int w;
        boolean eof;
        int last = -1;

        Reader(byte[] data) {
            this.data = data;
        }

        int buffered() {
            return w - r;
        }

        void fill() {
            int n = Math.min(data.length, r + BUF_SIZE) - w;
            if (n <= 0) {
                eof = true;
            } else {
                w += n;
            }
        }

        /** The next rune as a code point, -1 at the end. */
        int readRune() {
            while (r == w && !eof) {
                fill();
            }
            if (r == w) {
                last = -1;
                return -1;
            }
            int b = data[r] & 0xff;
            int size = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
            while (w - r < size && !eof) {
                fill();
            }
            size = Math.min(size, w - r);
            int cp = new String(data, r, size, StandardCharsets.UTF_8).codePointAt(0);
            r += size;
            last = size;
            return cp;
        }

        void unreadRune() {
            r -= last;
            last = -1;
        }

        /** {@code ReadBytes(delim)}; {@code eofOut[0]} tells whether it ended at EOF without the delimiter. */
        byte[] readBytes(byte delim, boolean[] eofOut) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (true) {
                for (int i = r; i < w; i++) {
                    if (data[i] == delim) {
                        out.write(data, r, i + 1 - r);
                        r = i + 1;
                        eofOut[0] = false;
                        return out.toByteArray();
                    }
                }
                if (eof) {
                    out.write(data, r, w - r);
                    r = w;
                    eofOut[0] = true;
                    return out.toByteArray();
                }
                if (w - r >= BUF_SIZE) {
                    out.write(data, r, w - r);
                    r = w;
                    continue;
                }
                fill();
            }
        }
    }

    /** {@code unit.Deserialize}: the lexer's steps, in the same order, with the same errors. */
    static List<UnitOption> deserialize(String text) throws DeserializeException {
        Reader rd = new Reader(text.getBytes(StandardCharsets.UTF_8));
        List<UnitOption> opts = new ArrayList<>();
        boolean[] eof = new boolean[1];
        // the lexer's state: which step comes next, in which section, and for a value its name and partial text
        String step = "nextSection";
        String after = null;
        String section = null;
        String name = null;
        ByteArrayOutputStream partial = null;
        while (step != null) {
            if (rd.buffered() >= LINE_MAX) {
                boolean newline = false;
                for (int i = rd.r; i < rd.r + LINE_MAX; i++) {
                    if (rd.data[i] == '\r' || rd.data[i] == '\n') {
                        newline = true;
                        break;
                    }
                }
                if (!newline) {
                    throw new DeserializeException("line too long (max " + LINE_MAX + " bytes)");
                }
            }
            switch (step) {
                case "nextSection", "sectionOrOption" -> {
                    int c = rd.readRune();
                    if (c == -1) {
                        step = null;
                    } else if (step.equals("sectionOrOption") && isSpace(c)) {
                        step = "sectionOrOption";
                    } else if (c == '[') {
                        step = "sectionName";
                    } else if (c == '#' || c == ';') {
                        after = step;
                        step = "ignoreLine";
                    } else if (step.equals("sectionOrOption")) {
                        rd.unreadRune();
                        step = "optionName";
                    }
                }
                case "sectionName" -> {
                    byte[] sec = rd.readBytes((byte) ']', eof);
                    if (eof[0]) {
                        throw new DeserializeException("unable to find end of section");
                    }
                    section = new String(sec, 0, sec.length - 1, StandardCharsets.UTF_8);
                    step = "sectionSuffix";
                }
                case "sectionSuffix" -> {
                    String garbage = trimSpace(toEol(rd, eof));
                    if (!garbage.isEmpty()) {
                        StringBuilder bytes = new StringBuilder();
                        for (byte b : garbage.getBytes(StandardCharsets.UTF_8)) {
                            bytes.append(bytes.length() == 0 ? "" : " ").append(b & 0xff);
                        }
                        // l.section is never set in this go-systemd: the message names no section
                        throw new DeserializeException("found garbage after section name : [" + bytes + "]");
                    }
                    step = "sectionOrOption";
                }
                case "ignoreLine" -> {
                    while (true) {
                        String line = toEol(rd, eof);
                        if (line.endsWith(" ")) {
                            line = line.substring(0, line.length() - 1);
                        }
                        if (!line.endsWith("\\")) {
                            break;
                        }
                    }
                    step = after;
                }
                case "optionName" -> {
                    StringBuilder n = new StringBuilder();
                    while (true) {
                        int c = rd.readRune();
                        if (c == -1) {
                            throw new DeserializeException("EOF");
                        }
                        if (c == '\n' || c == '\r') {
                            throw new DeserializeException("unexpected newline encountered while parsing option name");
                        }
                        if (c == '=') {
                            break;
                        }
                        n.appendCodePoint(c);
                    }
                    name = trimSpace(n.toString());
                    partial = new ByteArrayOutputStream();
                    step = "optionValue";
                }
                case "optionValue" -> {
                    String line = toEol(rd, eof);
                    boolean more = false;
                    if (!trimSpace(line).isEmpty()) {
                        partial.writeBytes(line.getBytes(StandardCharsets.UTF_8));
                        if (line.endsWith("\\")) {
                            if (!eof[0]) {
                                partial.write('\n');
                            }
                            more = true;
                        }
                    }
                    if (!more) {
                        String val = partial.toString(StandardCharsets.UTF_8);
                        val = val.endsWith("\n") ? trimSpace(val) + "\n" : trimSpace(val);
                        opts.add(new UnitOption(section, name, val));
                        step = "sectionOrOption";
                    }
                }
                default -> throw new IllegalStateException(step);
            }
        }
        return opts;
    }

    /** {@code toEOL}: a line without its "\n" and then (only then) its "\r", as Go trims them. */
    private static String toEol(Reader rd, boolean[] eof) {
        byte[] line = rd.readBytes((byte) '\n', eof);
        int n = line.length;
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        if (n > 0 && line[n - 1] == '\n') {
            n--;
        }
        return new String(line, 0, n, StandardCharsets.UTF_8);
    }
}
