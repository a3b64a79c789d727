package dev.archcore.image;

import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Json;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipEncoding;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Writes a {@code docker load} archive: {@code manifest.json} (config, RepoTags, layers) and
 * {@code repositories} as Docker reads them, plus {@code oci-layout} and {@code index.json} as current
 * {@code docker save} adds, so the same tar is also an OCI archive with the same manifest digest. Blobs live
 * under {@code blobs/sha256/}; layers stay gzip'd (Docker and skopeo decompress them and check the diff_ids).
 * Every entry has mtime 0 and owner 0:0, in a fixed order (the layers first, as they are built; then config,
 * manifest and the index files), so equal images give equal archives.
 */
public final class DockerArchiveWriter {
    private DockerArchiveWriter() {
    }

    /** Starts the archive before the image is complete: see {@link InProgress}. */
    public static InProgress begin(Path file) throws IOException {
        return new InProgress(AtomicFiles.begin(file));
    }

    /**
     * An archive written while the image is still being built: each layer blob is queued as soon as the layer
     * exists (cached layers at once) and copied, in layer order, by a thread of its own, beside the layers still
     * being compressed; {@link #finish} writes config, manifest and index files and moves the archive into place.
     * Closed without {@code finish}, it leaves no file behind and the previous archive as it was.
     */
    public static final class InProgress implements Closeable {
        private final AtomicFiles.Pending file;
        private final Tar tar;
        private final ExecutorService copier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "archcore-docker-archive");
            t.setDaemon(true);
            return t;
        });
        private final List<Future<?>> copies = new ArrayList<>();
        private final List<String> digests = java.util.Collections.synchronizedList(new ArrayList<>());

        private InProgress(AtomicFiles.Pending file) throws IOException {
            this.file = file;
            this.tar = new Tar(file.channel());
            tar.directory("blobs/");
            tar.directory("blobs/sha256/");
        }

        /**
         * Queues the next layer (layers must come in the image's order): {@code layer} gives it on the copier's
         * thread, so it may wait for the layer's blob to be ready (checked, for a cached one).
         */
        public void layer(Callable<BuiltImage.Layer> layer) {
            copies.add(copier.submit(() -> {
                BuiltImage.Layer l = layer.call();
                digests.add(l.digest());
                tar.file("blobs/sha256/" + BuiltImage.hex(l.digest()), l.blob());
                return null;
            }));
        }

        public void finish(BuiltImage image) throws IOException {
            for (Future<?> copy : copies) {
                await(copy);
            }
            if (!digests.equals(image.layers().stream().map(BuiltImage.Layer::digest).toList())) {
                throw new IllegalStateException("the archive got layers " + digests + ", the image has " + image.layers());
            }
            tar.bytes("blobs/sha256/" + BuiltImage.hex(image.configDigest()), image.config());
            tar.bytes("blobs/sha256/" + BuiltImage.hex(image.manifestDigest()), image.manifest());
            tar.bytes("index.json", OciImage.index(image));
            tar.bytes("manifest.json", manifestJson(image));
            tar.bytes("oci-layout", OciImage.layoutMarker());
            tar.bytes("repositories", repositories(image));
            tar.finish();
            file.commit();
        }

        @Override
        public void close() throws IOException {
            copier.shutdownNow();
            try {
                // the copier must be off the channel before the file is removed
                if (!copier.awaitTermination(1, TimeUnit.MINUTES)) {
                    throw new IOException("the docker-archive copier did not stop");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                file.close();
            }
        }

        private static void await(Future<?> copy) throws IOException {
            try {
                copy.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ImageBuildException("interrupted while writing the docker-archive", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new ImageBuildException("cannot write the docker-archive: " + e.getCause(), e.getCause());
            }
        }
    }

    static byte[] manifestJson(BuiltImage image) {
        return Json.bytes(g -> {
            g.writeStartArray();
            g.writeStartObject();
            g.writeStringField("Config", "blobs/sha256/" + BuiltImage.hex(image.configDigest()));
            g.writeArrayFieldStart("RepoTags");
            g.writeString(image.reference());
            g.writeEndArray();
            g.writeArrayFieldStart("Layers");
            for (BuiltImage.Layer l : image.layers()) {
                g.writeString("blobs/sha256/" + BuiltImage.hex(l.digest()));
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndArray();
        });
    }

    /** The legacy {@code repositories} file: the tag points at the top layer's chain id. */
    static byte[] repositories(BuiltImage image) {
        String chain = null;
        for (BuiltImage.Layer l : image.layers()) {
            chain = chain == null ? l.diffId() : "sha256:" + Digests.sha256((chain + " " + l.diffId()).getBytes());
        }
        String top = chain == null ? "" : BuiltImage.hex(chain);
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart(image.name());
            g.writeStringField(image.tag(), top);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /**
     * The archive's tar, written straight to the file's channel: the layer blobs (most of the bytes) are copied
     * by the kernel ({@code transferTo}) instead of through the heap. Headers come from commons-compress; the
     * framing is what its TarArchiveOutputStream writes (512-byte records, two zero records at the end, padded to
     * a 10240-byte block), and the names are short ASCII, so no pax header is ever needed.
     */
    private static final class Tar {
        private static final int RECORD = 512;
        private static final int BLOCK = 20 * RECORD;
        private static final ZipEncoding UTF8 = ZipEncodingHelper.getZipEncoding("UTF-8");

        private final FileChannel out;

        Tar(FileChannel out) {
            this.out = out;
        }

        void directory(String name) throws IOException {
            header(name, TarConstants.LF_DIR, 0755, 0);
        }

        void bytes(String name, byte[] content) throws IOException {
            header(name, TarConstants.LF_NORMAL, 0644, content.length);
            write(ByteBuffer.wrap(content));
            pad();
        }

        void file(String name, Path source) throws IOException {
            try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
                long size = in.size();
                header(name, TarConstants.LF_NORMAL, 0644, size);
                // transferTo, not transferFrom: on Linux it is sendfile(2), while transferFrom maps the source
                for (long done = 0; done < size; ) {
                    long n = in.transferTo(done, size - done, out);
                    if (n <= 0) {
                        throw new ImageBuildException(source + " ended early: did the layer cache change during the build?");
                    }
                    done += n;
                }
            }
            pad();
        }

        void finish() throws IOException {
            write(ByteBuffer.allocate(2 * RECORD));
            long tail = out.position() % BLOCK;
            if (tail != 0) {
                write(ByteBuffer.allocate((int) (BLOCK - tail)));
            }
        }

        private void header(String name, byte type, int mode, long size) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, type);
            e.setMode(mode);
            e.setUserId(0);
            e.setGroupId(0);
            e.setUserName("");
            e.setGroupName("");
            e.setModTime(FileTime.fromMillis(0));
            e.setSize(size);
            byte[] record = new byte[RECORD];
            e.writeEntryHeader(record, UTF8, false);
            write(ByteBuffer.wrap(record));
        }

        private void pad() throws IOException {
            long tail = out.position() % RECORD;
            if (tail != 0) {
                write(ByteBuffer.allocate((int) (RECORD - tail)));
            }
        }

        private void write(ByteBuffer buffer) throws IOException {
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        }
    }
}
