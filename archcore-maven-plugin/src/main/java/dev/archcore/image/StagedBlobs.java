package dev.archcore.image;

import dev.archcore.util.AtomicFiles;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The layer blobs of one build, in a private directory beside its outputs, from which both the OCI layout (hard
 * links) and the docker-archive take their bytes. A cached blob is hard-linked here first (copied across file
 * systems) and then hashed through that link: it must have the digest its key file records, and nothing that
 * renames or replaces files in the cache afterwards changes what the outputs get. A new layer is written here
 * (hashed as it is compressed) and linked into the cache. So each blob is hashed once per build.
 */
final class StagedBlobs implements Closeable {
    private final Path dir;
    private final Map<String, Path> staged = new ConcurrentHashMap<>();

    private StagedBlobs(Path dir) {
        this.dir = dir;
    }

    /** A fresh {@code .<name>.blobs} directory beside {@code output}. */
    static StagedBlobs beside(Path output) throws IOException {
        Path target = output.toAbsolutePath().normalize();
        Path dir = target.resolveSibling("." + target.getFileName() + ".blobs");
        OciLayoutWriter.deleteTree(dir);
        return new StagedBlobs(Files.createDirectories(dir));
    }

    /** Where {@link LayerWriter} writes a new layer's blob. */
    Path dir() {
        return dir;
    }

    /**
     * The cached layer's blob, staged here after its SHA-256 and size turned out to be the recorded ones.
     *
     * @throws ImageBuildException when they are not: the cache entry is removed, nothing is staged
     */
    Path verified(LayerCache cache, String key, LayerCache.Hit hit) throws IOException {
        Path done = staged.get(hit.digest());
        if (done != null) {
            return done;
        }
        Path source = cache.blob(hit.digest());
        Path temp = dir.resolve("layer-" + UUID.randomUUID() + ".part");
        try {
            try {
                linkOrCopy(source, temp);
            } catch (NoSuchFileException e) {
                throw new ImageBuildException("the layer cache entry " + source + " disappeared during the build: "
                        + "run the build again (it builds the layer anew)");
            }
            MessageDigest sha = Digests.sha256();
            long size = 0;
            try (FileChannel in = FileChannel.open(temp, StandardOpenOption.READ)) {
                ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
                while (in.read(buffer.clear()) >= 0) {
                    sha.update(buffer.array(), 0, buffer.position());
                    size += buffer.position();
                }
            }
            String actual = "sha256:" + Digests.hex(sha.digest());
            if (!actual.equals(hit.digest()) || size != hit.size()) {
                cache.remove(key, hit.digest());
                throw new ImageBuildException("the layer cache entry " + source + " (key file " + cache.keyFile(key)
                        + ") does not hold the layer it records: its " + size + " bytes have SHA-256 " + actual
                        + ", not the recorded " + hit.digest() + " of " + hit.size() + " bytes. Someone or something"
                        + " changed the cache; the entry was removed and no output was written (the previous image"
                        + " files are as they were). Run the build again: it builds the layer anew");
            }
            Path blob = dir.resolve(BuiltImage.hex(hit.digest()));
            AtomicFiles.move(temp, blob);
            staged.put(hit.digest(), blob);
            return blob;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A hard link where the file system allows one (no bytes written), else a copy. */
    static void linkOrCopy(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, to);
        }
    }

    @Override
    public void close() throws IOException {
        OciLayoutWriter.deleteTree(dir);
    }
}
