package dev.archcore.pacman;

import dev.archcore.util.Bounded;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads a package file of any compression (told by its magic bytes, as libarchive does): its {@code .PKGINFO},
 * the list of its data entries and the file's size and checksums, in one pass over the file.
 *
 * <p>The file list is what repo-add puts in a {@code files} database,
 * {@code bsdtar --exclude='^.*' -tf pkg | LC_ALL=C sort -u}: every entry except those whose path starts with a
 * dot (the metadata members), directories ending in {@code /}, names escaped as bsdtar prints them in a UTF-8
 * locale ({@code \\} for a backslash, {@code \t}, {@code \n}, octal for other control bytes), sorted bytewise
 * without duplicates.
 */
public final class PackageReader {
    private static final HexFormat HEX = HexFormat.of();

    private PackageReader() {
    }

    /**
     * Reads {@code file}.
     *
     * @throws IllegalArgumentException if it is not a pacman package (no or two {@code .PKGINFO}, a name, version
     *                                  or relation against makepkg's rules, a member or the whole archive beyond
     *                                  {@link InputLimits})
     * @throws UncheckedIOException     if it cannot be read or is not a (compressed) tar
     */
    public static PackageFile read(Path file) {
        MessageDigest md5 = digest("MD5");
        MessageDigest sha256 = digest("SHA-256");
        byte[] pkginfo = null;
        TreeSet<byte[]> names = new TreeSet<>(java.util.Arrays::compareUnsigned);
        long size;
        String what = "package " + file;
        try (InputStream raw = Files.newInputStream(file);
             DigestInputStream digested = new DigestInputStream(new DigestInputStream(raw, md5), sha256)) {
            InputStream buffered = new BufferedInputStream(digested, 1 << 16);
            BoundedPackageTar tar = new BoundedPackageTar(buffered, what);
            for (TarArchiveEntry entry; (entry = tar.next()) != null; ) {
                String name = entry.getName();
                if (name.equals(".PKGINFO")) {
                    pkginfo = tar.pkginfo();
                    tar.declaredSize(BoundedPackageTar.number(parsePkginfo(pkginfo).get("size")));
                } else if (!name.startsWith(".") && !name.isEmpty()) {
                    if (entry.isDirectory() && !name.endsWith("/")) {
                        name += "/";
                    }
                    names.add(bsdtarListName(name).getBytes(StandardCharsets.UTF_8));
                }
            }
            // the checksums cover the whole file, including what the decompressor left unread
            buffered.transferTo(OutputStream.nullOutputStream());
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("package " + file + " does not exist", e);
        } catch (Bounded.TooLarge | BoundedPackageTar.DuplicatePkginfo e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read package " + file + " (" + e.getMessage()
                    + "): is it a .pkg.tar.* file?", e);
        }
        if (pkginfo == null) {
            throw new IllegalArgumentException(file + " is not a pacman package: it has no .PKGINFO member");
        }
        Map<String, List<String>> sections = parsePkginfo(pkginfo);
        String problem = PackageNames.checkPkginfo(sections);
        if (problem != null) {
            throw new IllegalArgumentException(file + " is not a valid pacman package: its .PKGINFO " + problem
                    + " (makepkg's rules); refused");
        }
        PackageFile result = new PackageFile(file, sections, pkginfo,
                names.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList(), size,
                HEX.formatHex(md5.digest()), HEX.formatHex(sha256.digest()), signatureOf(file));
        return result;
    }

    /**
     * {@code .PKGINFO} as pacman reads it ({@code parse_descfile}): {@code #} lines and blank lines skipped, the
     * key before the first {@code =}, the value after it, both trimmed; repeated keys keep every value in order.
     */
    public static Map<String, List<String>> parsePkginfo(byte[] text) {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        for (String line : new String(text, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                continue;
            }
            sections.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>())
                    .add(line.substring(eq + 1).strip());
        }
        sections.replaceAll((k, v) -> List.copyOf(v));
        return sections;
    }

    private static Path signatureOf(Path file) {
        Path sig = file.resolveSibling(file.getFileName() + ".sig");
        return Files.isRegularFile(sig) ? sig : null;
    }

    /**
     * A path as {@code bsdtar -t} prints it in a UTF-8 locale (its {@code safe_fprintf}): printable characters
     * as they are, a backslash doubled, control characters as C escapes or three octal digits per byte.
     */
    static String bsdtarListName(String name) {
        StringBuilder out = new StringBuilder(name.length());
        name.codePoints().forEach(cp -> {
            if (cp != '\\' && printable(cp)) {
                out.appendCodePoint(cp);
            } else {
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    expand(out, b);
                }
            }
        });
        return out.toString();
    }

    private static boolean printable(int cp) {
        int type = Character.getType(cp);
        return type != Character.CONTROL && type != Character.SURROGATE && type != Character.UNASSIGNED
                && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR;
    }

    private static void expand(StringBuilder out, byte b) {
        int c = b & 0xff;
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out.append((char) c);
            return;
        }
        out.append('\\');
        switch (c) {
            case 0x07 -> out.append('a');
            case '\b' -> out.append('b');
            case '\f' -> out.append('f');
            case '\n' -> out.append('n');
            case '\r' -> out.append('r');
            case '\t' -> out.append('t');
            case 0x0b -> out.append('v');
            case '\\' -> out.append('\\');
            default -> out.append(String.format("%03o", c));
        }
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
