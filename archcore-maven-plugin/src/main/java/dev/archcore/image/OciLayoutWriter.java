package dev.archcore.image;

import dev.archcore.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes an OCI image layout directory ({@code oci-layout}, {@code index.json} naming the tag,
 * {@code blobs/sha256/...}). It is built next to the target and swapped in by renames at the end, so a failed
 * build leaves the previous layout as it was. Layer blobs are hard-linked from the cache when possible.
 */
public final class OciLayoutWriter {
    private OciLayoutWriter() {
    }

    public static void write(BuiltImage image, Path layout) throws IOException {
        Path target = layout.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        if (Files.isDirectory(target) && !Files.exists(target.resolve("oci-layout")) && !isEmpty(target)) {
            throw new ImageBuildException(target + " exists and is not an OCI image layout; refusing to replace it");
        }
        Path temp = parent.resolve("." + target.getFileName() + ".part");
        Path old = parent.resolve("." + target.getFileName() + ".old");
        deleteTree(temp);
        deleteTree(old);
        try {
            Path blobs = Files.createDirectories(temp.resolve("blobs/sha256"));
            for (BuiltImage.Layer l : image.layers()) {
                linkOrCopy(l.blob(), blobs.resolve(BuiltImage.hex(l.digest())));
            }
            Files.write(blobs.resolve(BuiltImage.hex(image.configDigest())), image.config());
            Files.write(blobs.resolve(BuiltImage.hex(image.manifestDigest())), image.manifest());
            Files.write(temp.resolve("oci-layout"), OciImage.layoutMarker());
            Files.write(temp.resolve("index.json"), OciImage.index(image));
            if (Files.exists(target)) {
                Files.move(target, old);
            }
            AtomicFiles.move(temp, target);
            deleteTree(old);
        } finally {
            deleteTree(temp);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.findAny().isEmpty();
        }
    }

    static void linkOrCopy(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, to);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
