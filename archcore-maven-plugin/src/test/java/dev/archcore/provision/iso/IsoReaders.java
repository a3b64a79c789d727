package dev.archcore.provision.iso;

import dev.archcore.testing.Tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The real ISO readers (isoinfo, xorriso, bsdtar, blkid) as the tests call them. */
final class IsoReaders {
    private IsoReaders() {
    }

    static void require() {
        Tools.require("isoinfo", "xorriso", "bsdtar", "blkid", "genisoimage");
    }

    static String isoinfo(Path iso, String... options) {
        List<String> command = new java.util.ArrayList<>(List.of("isoinfo", "-i", iso.toString()));
        command.addAll(List.of(options));
        return Tools.run(iso.getParent(), Map.of(), command).ok("isoinfo " + String.join(" ", options)).text();
    }

    /** xorriso with its output checked: it reports anything it dislikes in an image as WARNING, SORRY or worse. */
    static String xorriso(Path iso, String... commands) {
        List<String> command = new java.util.ArrayList<>(List.of("xorriso", "-abort_on", "NEVER",
                "-return_with", "WARNING", "32"));
        command.addAll(List.of(commands));
        Tools.Output out = Tools.run(iso.getParent(), Map.of(), command);
        assertThat(out.text()).as("xorriso " + String.join(" ", commands))
                .doesNotContainPattern("WARNING|SORRY|FAILURE|MISHAP|FATAL|ABORT");
        return out.ok("xorriso " + String.join(" ", commands)).text();
    }

    static Path extractWithXorriso(Path iso, Path out, String... loadOptions) {
        List<String> command = new java.util.ArrayList<>(List.of(loadOptions));
        command.addAll(List.of("-osirrox", "on", "-indev", iso.toString(), "-extract", "/", out.toString()));
        xorriso(iso, command.toArray(String[]::new));
        return out;
    }

    static Path extractWithBsdtar(Path iso, Path out) throws IOException {
        Files.createDirectories(out);
        Tools.run(out, "bsdtar", "-xf", iso.toString()).ok("bsdtar -xf");
        return out;
    }

    static String blkid(Path iso) {
        // -c /dev/null: no cache file, so concurrent runs never share state
        return Tools.run(iso.getParent(), "blkid", "-c", "/dev/null", iso.toString()).ok("blkid").text();
    }

    /** Each path below {@code root}: "dir", or "size=N sha256=..." for a file. */
    static Map<String, String> tree(Path root) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(p -> !p.equals(root)).toList()) {
                out.put(root.relativize(p).toString(), Files.isDirectory(p) ? "dir" : describe(Files.readAllBytes(p)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The tree the given files make, with their implied directories. */
    static Map<String, String> expectedTree(Map<String, byte[]> files) {
        Map<String, String> out = new TreeMap<>();
        files.forEach((path, data) -> {
            out.put(path, describe(data));
            for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
                out.put(path.substring(0, i), "dir");
            }
        });
        return out;
    }

    static String describe(byte[] data) {
        try {
            return "size=" + data.length + " sha256="
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
