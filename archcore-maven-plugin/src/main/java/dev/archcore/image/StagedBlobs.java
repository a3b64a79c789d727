package dev.archcore.image;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The layer blobs of one build, in a private directory beside its outputs, from which both the OCI layout (hard
 * links) and the docker-archive take their bytes. A cached blob is hashed as it is copied in and must have the
 * digest its key file records, so bytes someone put into the cache never reach an output; a new layer is
 * written here (hashed as it is compressed) and copied into the cache. Each blob is hashed once, and the
 * outputs never share an inode with the cache, so a later write into the cache cannot change them.
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
     * The cached layer's blob, copied here after its SHA-256 and size turned out to be the recorded ones.
     *
     * @throws ImageBuildException when they are not: the cache entry is removed, nothing is written
     */
    Path copyVerified(LayerCache cache, String key, LayerCache.Hit hit) throws IOException {
        Path done = staged.get(hit.digest());
        if (done != null) {
            return done;
        }
        Path source = cache.blob(hit.digest());
        Path temp = Files.createTempFile(dir, "layer", ".part");
        try {
            MessageDigest sha = Digests.sha256();
            long size = 0;
            try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(temp)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    sha.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                    size += n;
                }
            } catch (NoSuchFileException e) {
                throw new ImageBuildException("the layer cache entry " + source + " disappeared during the build: "
                        + "run the build again (it builds the layer anew)");
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
            dev.archcore.util.AtomicFiles.move(temp, blob);
            staged.put(hit.digest(), blob);
            return blob;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public void close() throws IOException {
        OciLayoutWriter.deleteTree(dir);
    }
}
