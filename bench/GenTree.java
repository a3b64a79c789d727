import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Generates the benchmark's {@code pkg/} tree: a deterministic (fixed seed) stand-in for a real application
 * package of about 105 MiB and 5,250 regular files. Run as a single-file program: {@code java bench/GenTree.java DIR}.
 *
 * <p>Mix (approximate sizes): source-like text (~23 MiB, 3,200 files), docs/man pages (~7 MiB), locale catalogues,
 * configs, JSON data (~12 MiB), small random icons, large incompressible assets (~18 MiB), copies of the host's
 * ELF executables and shared libraries (~43 MiB; padded with seeded pseudo-ELF data when the host has too few),
 * nested directories, symlinks, hard links, two empty directories and a few awkward names (a space, a dotfile, a
 * path over 100 bytes; no non-ASCII name, which makepkg's {@code LANG=C bsdtar} warns about). Everything but
 * the host ELF copies is a pure function of the seed; the ELF copies depend on the host's /usr/bin and /usr/lib
 * (chosen by sorted name and size), so compare numbers from one machine.
 */
public final class GenTree {
    private static final long SEED = 0xA5C0_BE4C_2024L;
    private static final int MB = 1 << 20;

    private final Path root;
    private final Random rnd = new Random(SEED);
    private final String[] words;
    private long bytes;
    private int files;

    private GenTree(Path root) {
        this.root = root;
        this.words = vocabulary(new Random(SEED ^ 1), 3000);
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java GenTree.java PKGDIR   (PKGDIR must not exist)");
            System.exit(2);
        }
        Path root = Path.of(args[0]).toAbsolutePath();
        if (Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            System.err.println(root + " exists; remove it first");
            System.exit(2);
        }
        GenTree g = new GenTree(root);
        long t0 = System.nanoTime();
        g.generate();
        System.out.printf("generated %s: %d regular files, %.1f MB in %.1f s%n", root, g.files, g.bytes / (double) MB,
                (System.nanoTime() - t0) / 1e9);
    }

    private void generate() throws IOException {
        dir("");
        sources();
        docs();
        manPages();
        locales();
        configs();
        jsonData();
        icons();
        assets();
        List<String> libs = hostElf("usr/lib/bench", 30L * MB, 96 * 1024, 8L * MB, true);
        List<String> bins = hostElf("usr/bin", 13L * MB, 40 * 1024, 4L * MB, false);
        links(libs, bins);
        odd();
        dir("var/lib/bench");
        dir("var/log/bench");
    }

    // ---------------------------------------------------------------- content kinds

    private static final String[] LANGS = {"java", "c", "h", "py", "js", "ts", "rs", "go"};

    private void sources() throws IOException {
        String[] modules = pick(12);
        for (int i = 0; i < 3200; i++) {
            String module = modules[i % modules.length];
            StringBuilder dir = new StringBuilder("usr/share/bench/src/").append(module);
            int depth = 1 + rnd.nextInt(5);
            for (int d = 0; d < depth; d++) {
                dir.append('/').append(words[(i * 7 + d * 13) % 40 + d * 40]);
            }
            String ext = LANGS[rnd.nextInt(LANGS.length)];
            String path = dir + "/" + word() + "_" + i + "." + ext;
            int size = (int) clamp(logNormal(8.3, 1.0), 200, 60_000);
            file(path, code(size), rnd.nextInt(20) == 0 ? "rwxr-xr-x" : "rw-r--r--");
        }
    }

    private void docs() throws IOException {
        String[] sections = pick(10);
        for (int i = 0; i < 700; i++) {
            String section = sections[i % sections.length];
            String ext = i % 3 == 0 ? "html" : i % 3 == 1 ? "md" : "txt";
            String path = "usr/share/doc/bench/" + section + (i % 4 == 0 ? "/" + word() : "") + "/" + word() + "-" + i + "." + ext;
            int size = (int) clamp(logNormal(8.6, 0.9), 300, 80_000);
            file(path, prose(size, ext.equals("html")), "rw-r--r--");
        }
    }

    private void manPages() throws IOException {
        for (int i = 0; i < 120; i++) {
            int section = new int[] {1, 5, 8}[i % 3];
            String path = "usr/share/man/man" + section + "/bench-" + word() + "-" + i + "." + section;
            file(path, prose((int) clamp(logNormal(8.5, 0.6), 800, 40_000), false), "rw-r--r--");
        }
    }

    private void locales() throws IOException {
        String[] langs = {"de", "fr", "es", "it", "pt_BR", "ru", "ja", "zh_CN", "pl", "nl", "sv", "cs", "ko", "tr", "uk"};
        for (int i = 0; i < 60; i++) {
            String path = "usr/share/locale/" + langs[i % langs.length] + "/LC_MESSAGES/bench" + (i < 15 ? "" : "-" + (i / 15)) + ".mo";
            int size = 20_000 + rnd.nextInt(40_000);
            byte[] text = prose(size, false);
            for (int p = 0; p < size; p += 64 + rnd.nextInt(200)) { // binary offset tables between strings
                for (int k = 0; k < 8 && p + k < size; k++) {
                    text[p + k] = (byte) rnd.nextInt(256);
                }
            }
            file(path, text, "rw-r--r--");
        }
    }

    private void configs() throws IOException {
        String[] kinds = {"conf", "yaml", "ini", "properties", "toml"};
        for (int i = 0; i < 250; i++) {
            String kind = kinds[i % kinds.length];
            String path = "etc/bench/" + (i % 5 == 0 ? "conf.d/" : i % 7 == 0 ? "profiles/" + word() + "/" : "") + word() + "-" + i + "." + kind;
            StringBuilder s = new StringBuilder("# ").append(sentence()).append('\n');
            int size = (int) clamp(logNormal(7.8, 0.8), 200, 30_000);
            while (s.length() < size) {
                if (rnd.nextInt(12) == 0) {
                    s.append("\n[").append(word()).append('.').append(word()).append("]\n");
                }
                s.append(word()).append('_').append(word()).append(kind.equals("yaml") ? ": " : " = ")
                        .append(value()).append('\n');
            }
            file(path, s.toString().getBytes(StandardCharsets.UTF_8), i == 17 ? "rw-------" : i % 11 == 0 ? "rw-r-----" : "rw-r--r--");
        }
    }

    private void jsonData() throws IOException {
        for (int i = 0; i < 300; i++) {
            String path = "usr/share/bench/data/" + (i % 3 == 0 ? "schemas/" : i % 3 == 1 ? "fixtures/" + word() + "/" : "i18n/") + word() + "-" + i + ".json";
            int size = (int) clamp(logNormal(10.2, 1.0), 2_000, 600_000);
            StringBuilder s = new StringBuilder("[\n");
            while (s.length() < size) {
                s.append("  {\"id\": \"").append(hex(16)).append("\", \"name\": \"").append(word()).append(' ').append(word())
                        .append("\", \"enabled\": ").append(rnd.nextBoolean()).append(", \"weight\": ").append(rnd.nextInt(100000) / 100.0)
                        .append(", \"tags\": [\"").append(word()).append("\", \"").append(word()).append("\"], \"description\": \"")
                        .append(sentence()).append("\"},\n");
            }
            s.append("  {}\n]\n");
            file(path, s.toString().getBytes(StandardCharsets.UTF_8), "rw-r--r--");
        }
    }

    private void icons() throws IOException {
        String[] sizes = {"16x16", "22x22", "24x24", "32x32", "48x48", "64x64", "128x128", "256x256", "scalable"};
        for (int i = 0; i < 500; i++) {
            String s = sizes[i % sizes.length];
            String path = "usr/share/icons/hicolor/" + s + "/" + (i % 2 == 0 ? "apps" : "actions") + "/" + word() + "-" + i + (s.equals("scalable") ? ".svgz" : ".png");
            file(path, random((int) clamp(logNormal(7.5, 0.7), 200, 12_000)), "rw-r--r--");
        }
    }

    private void assets() throws IOException {
        String[] exts = {"jar", "zip", "woff2", "png", "pak", "gz"};
        long total = 0;
        for (int i = 0; total < 18L * MB; i++) {
            int size = (int) clamp(logNormal(12.6, 1.0), 50_000, 3 * MB);
            String path = "usr/share/bench/assets/" + (i % 4 == 0 ? "fonts/" : i % 4 == 1 ? "images/" : "") + word() + "-" + i + "." + exts[i % exts.length];
            file(path, random(size), "rw-r--r--");
            total += size;
        }
    }

    /** Copies host ELF files (regular, sorted by name, size in range) up to {@code budget}, then pads with pseudo-ELF. */
    private List<String> hostElf(String dir, long budget, long min, long max, boolean libs) throws IOException {
        List<Path> candidates = new ArrayList<>();
        for (String from : libs ? new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"} : new String[] {"/usr/bin", "/usr/sbin"}) {
            Path d = Path.of(from);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> list = Files.list(d)) {
                list.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.isReadable(p))
                        .filter(p -> !libs || p.getFileName().toString().contains(".so"))
                        .filter(p -> size(p) >= min && size(p) <= max && isElf(p))
                        .sorted()
                        .forEach(candidates::add);
            }
        }
        // spread the picks over the alphabet rather than taking the first names only
        List<String> names = new ArrayList<>();
        long total = 0;
        int stride = Math.max(1, candidates.size() / 60);
        for (int i = 0; i < candidates.size() && total < budget; i += stride) {
            Path p = candidates.get(i);
            String name = p.getFileName().toString();
            if (names.contains(name)) {
                continue;
            }
            byte[] data = Files.readAllBytes(p);
            file(dir + "/" + name, data, libs ? "rwxr-xr-x" : "rwxr-xr-x");
            names.add(name);
            total += data.length;
        }
        for (int i = 0; total < budget; i++) {
            int size = (int) Math.min(budget - total, 200_000 + rnd.nextInt(2 * MB));
            String name = libs ? "libbenchfill" + i + ".so." + (i % 3) : "bench-fill" + i;
            file(dir + "/" + name, pseudoElf(size), "rwxr-xr-x");
            names.add(name);
            total += size;
        }
        return names;
    }

    private void links(List<String> libs, List<String> bins) throws IOException {
        int n = 0;
        for (String lib : libs) { // libfoo.so.1.2.3 -> libfoo.so.1 -> libfoo.so
            int so = lib.indexOf(".so");
            if (so < 0) {
                continue;
            }
            String base = lib.substring(0, so + 3);
            if (!base.equals(lib)) {
                symlink("usr/lib/bench/" + base, lib);
                n++;
            }
        }
        for (int i = 0; i < bins.size() && i < 12; i++) {
            symlink("usr/bin/bench-" + word() + "-" + i, bins.get(i));
        }
        symlink("usr/share/doc/bench/LICENSE", "../../licenses/bench/LICENSE");
        file("usr/share/licenses/bench/LICENSE", prose(11_000, false), "rw-r--r--");
        symlink("usr/share/bench/current", "src");
        symlink("etc/bench/default.conf", "conf.d/" + firstFile("etc/bench/conf.d"));
        symlink("usr/lib/bench/plugins", "../../share/bench/assets");
        symlink("usr/share/bench/dangling", "/opt/bench/not-installed"); // absolute, pointing outside the package
        for (int i = 0; i < 40; i++) {
            String section = dirName("usr/share/doc/bench", i);
            symlink("usr/share/bench/aliases/alias-" + i + ".md", "../../doc/bench/" + section + "/" + firstFile("usr/share/doc/bench/" + section));
        }
        // hard links: binaries installed under two names, a shared config, and a library
        for (int i = 0; i < Math.min(4, bins.size()); i++) {
            hardlink("usr/bin/" + bins.get(bins.size() - 1 - i), "usr/bin/" + bins.get(bins.size() - 1 - i) + "-compat");
        }
        hardlink("usr/bin/" + bins.get(0), "usr/lib/bench/libexec/" + bins.get(0));
        hardlink("usr/lib/bench/" + libs.get(0), "usr/lib/bench/compat/" + libs.get(0));
        hardlink("usr/share/licenses/bench/LICENSE", "usr/share/doc/bench/COPYING");
        hardlink("usr/share/licenses/bench/LICENSE", "usr/share/bench/LICENSE.txt");
    }

    private void odd() throws IOException {
        file("usr/share/doc/bench/release notes 1.0.txt", prose(4000, false), "rw-r--r--");
        String longDir = "usr/share/bench/src/" + "very-long-directory-name-for-a-deeply-nested-generated-resource/".repeat(3);
        file(longDir + "ThisIsAnUnusuallyLongGeneratedFileNameThatPushesThePathBeyondUstar.java", code(5000), "rw-r--r--");
        file("usr/share/bench/.hidden-defaults", prose(500, false), "rw-r--r--");
    }

    // ---------------------------------------------------------------- text generators

    private byte[] code(int size) {
        StringBuilder s = new StringBuilder(size + 200);
        s.append("/*\n * ").append(sentence()).append("\n * Copyright (c) 2024 The Bench Authors. All rights reserved.\n */\n\n");
        int indent = 0;
        while (s.length() < size) {
            int kind = rnd.nextInt(10);
            s.append("    ".repeat(indent));
            switch (kind) {
                case 0 -> {
                    s.append(rnd.nextBoolean() ? "public " : "static ").append(type()).append(' ').append(ident())
                            .append('(').append(type()).append(' ').append(word()).append(", ").append(type()).append(' ')
                            .append(word()).append(") {\n");
                    indent = Math.min(indent + 1, 6);
                }
                case 1 -> {
                    s.append("if (").append(ident()).append(" != null && ").append(word()).append(".size() > ")
                            .append(rnd.nextInt(100)).append(") {\n");
                    indent = Math.min(indent + 1, 6);
                }
                case 2, 3 -> {
                    s.append('}').append('\n');
                    indent = Math.max(indent - 1, 0);
                }
                case 4 -> s.append("// ").append(sentence()).append('\n');
                case 5 -> s.append("return ").append(ident()).append('.').append(ident()).append("(").append(word()).append(");\n");
                default -> s.append(type()).append(' ').append(word()).append(" = ").append(ident()).append('(')
                        .append(rnd.nextInt(4096)).append(", \"").append(word()).append("\");\n");
            }
        }
        return s.substring(0, size).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] prose(int size, boolean html) {
        StringBuilder s = new StringBuilder(size + 200);
        if (html) {
            s.append("<!DOCTYPE html>\n<html><head><title>").append(word()).append("</title></head>\n<body>\n");
        }
        while (s.length() < size) {
            if (rnd.nextInt(8) == 0) {
                s.append(html ? "<h2>" : "\n## ").append(word()).append(' ').append(word()).append(html ? "</h2>\n" : "\n\n");
            }
            s.append(html ? "<p>" : "");
            int sentences = 2 + rnd.nextInt(6);
            for (int i = 0; i < sentences; i++) {
                s.append(sentence()).append(' ');
            }
            s.append(html ? "</p>\n" : "\n\n");
        }
        byte[] b = s.toString().getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.copyOf(b, size);
    }

    private String sentence() {
        StringBuilder s = new StringBuilder();
        int n = 4 + rnd.nextInt(12);
        for (int i = 0; i < n; i++) {
            String w = word();
            s.append(i == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w).append(i + 1 < n ? " " : ".");
        }
        return s.toString();
    }

    private static final String[] TYPES = {"int", "long", "String", "List<String>", "Map<String, Object>", "byte[]", "boolean", "Result", "Optional<Path>"};

    private String type() {
        return TYPES[rnd.nextInt(TYPES.length)];
    }

    private String ident() {
        String a = word();
        String b = word();
        return a + Character.toUpperCase(b.charAt(0)) + b.substring(1);
    }

    /** A word with a Zipf-like skew, so text compresses like real text rather than like noise or repetition. */
    private String word() {
        double r = rnd.nextDouble();
        return words[(int) (words.length * r * r * r)];
    }

    private String value() {
        return switch (rnd.nextInt(5)) {
            case 0 -> Integer.toString(rnd.nextInt(65536));
            case 1 -> rnd.nextBoolean() ? "true" : "false";
            case 2 -> "/var/lib/bench/" + word();
            case 3 -> "\"" + sentence() + "\"";
            default -> hex(8);
        };
    }

    private String hex(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(Character.forDigit(rnd.nextInt(16), 16));
        }
        return s.toString();
    }

    private String[] pick(int n) {
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = words[i * 37 % 300] + (i < 10 ? "" : "-" + i);
        }
        return out;
    }

    private static String[] vocabulary(Random r, int n) {
        String[] onsets = {"b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st", "tr", "pl", "gr", "ch", "sh"};
        String[] vowels = {"a", "e", "i", "o", "u", "ai", "ea", "io", "ou"};
        String[] codas = {"", "", "n", "r", "s", "t", "l", "nd", "rk", "x", "m"};
        java.util.LinkedHashSet<String> set = new java.util.LinkedHashSet<>();
        while (set.size() < n) {
            StringBuilder w = new StringBuilder();
            int syllables = 1 + r.nextInt(3);
            for (int i = 0; i < syllables; i++) {
                w.append(onsets[r.nextInt(onsets.length)]).append(vowels[r.nextInt(vowels.length)]).append(codas[r.nextInt(codas.length)]);
            }
            set.add(w.toString());
        }
        return set.toArray(new String[0]);
    }

    // ---------------------------------------------------------------- binary generators

    private byte[] random(int size) {
        byte[] b = new byte[size];
        rnd.nextBytes(b);
        return b;
    }

    /** Half code-like (repetitive opcodes and string tables), half noise: compresses about as well as real ELF. */
    private byte[] pseudoElf(int size) {
        byte[] b = new byte[size];
        byte[] header = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
        System.arraycopy(header, 0, b, 0, Math.min(header.length, size));
        int p = header.length;
        while (p < size) {
            int run = Math.min(size - p, 256 + rnd.nextInt(4096));
            if (rnd.nextBoolean()) {
                byte[] noise = random(run);
                System.arraycopy(noise, 0, b, p, run);
            } else {
                byte[] motif = random(4 + rnd.nextInt(28));
                for (int i = 0; i < run; i++) {
                    b[p + i] = motif[i % motif.length];
                }
            }
            p += run;
        }
        return b;
    }

    // ---------------------------------------------------------------- file system

    private void file(String rel, byte[] data, String perms) throws IOException {
        Path p = root.resolve(rel);
        mkdirs(p.getParent());
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return; // a name collision from the generator; keep the first, stay deterministic
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(p), 1 << 16)) {
            out.write(data);
        }
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        bytes += data.length;
        files++;
    }

    private void symlink(String rel, String target) throws IOException {
        Path p = root.resolve(rel);
        mkdirs(p.getParent());
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(p, Path.of(target));
        }
    }

    private void hardlink(String existing, String rel) throws IOException {
        Path p = root.resolve(rel);
        mkdirs(p.getParent());
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.createLink(p, root.resolve(existing));
        }
    }

    private void dir(String rel) throws IOException {
        mkdirs(root.resolve(rel));
    }

    private void mkdirs(Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        mkdirs(dir.getParent());
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private String firstFile(String rel) throws IOException {
        try (Stream<Path> s = Files.list(root.resolve(rel))) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().findFirst().orElseThrow();
        }
    }

    private String dirName(String rel, int i) throws IOException {
        try (Stream<Path> s = Files.list(root.resolve(rel))) {
            List<String> dirs = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
            return dirs.get(i % dirs.size());
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    private static boolean isElf(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    private double logNormal(double mu, double sigma) {
        return Math.exp(mu + sigma * rnd.nextGaussian());
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
