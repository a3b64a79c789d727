package dev.archcore.image;

import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Json;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/**
 * Writes a {@code docker load} archive: {@code manifest.json} (config, RepoTags, layers) and
 * {@code repositories} as Docker reads them, plus {@code oci-layout} and {@code index.json} as current
 * {@code docker save} adds, so the same tar is also an OCI archive with the same manifest digest. Blobs live
 * under {@code blobs/sha256/}; layers stay gzip'd (Docker and skopeo decompress them and check the diff_ids).
 * Every entry has mtime 0 and owner 0:0, in a fixed order, so equal images give equal archives.
 */
public final class DockerArchiveWriter {
    private DockerArchiveWriter() {
    }

    public static void write(BuiltImage image, Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            BufferedOutputStream buffered = new BufferedOutputStream(out, 1 << 16);
            TarArchiveOutputStream tar = new TarArchiveOutputStream(buffered, "UTF-8");
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            directory(tar, "blobs/");
            directory(tar, "blobs/sha256/");
            bytes(tar, "blobs/sha256/" + BuiltImage.hex(image.configDigest()), image.config());
            for (BuiltImage.Layer l : image.layers()) {
                TarArchiveEntry e = entry("blobs/sha256/" + BuiltImage.hex(l.digest()), TarConstants.LF_NORMAL, 0644);
                e.setSize(Files.size(l.blob()));
                tar.putArchiveEntry(e);
                try (InputStream in = Files.newInputStream(l.blob())) {
                    in.transferTo(tar);
                }
                tar.closeArchiveEntry();
            }
            bytes(tar, "blobs/sha256/" + BuiltImage.hex(image.manifestDigest()), image.manifest());
            bytes(tar, "index.json", OciImage.index(image));
            bytes(tar, "manifest.json", manifestJson(image));
            bytes(tar, "oci-layout", OciImage.layoutMarker());
            bytes(tar, "repositories", repositories(image));
            tar.finish();
            buffered.flush();
        });
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

    private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
        tar.putArchiveEntry(entry(name, TarConstants.LF_DIR, 0755));
        tar.closeArchiveEntry();
    }

    private static void bytes(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, 0644);
        e.setSize(content.length);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static TarArchiveEntry entry(String name, byte type, int mode) {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        e.setMode(mode);
        e.setUserId(0);
        e.setGroupId(0);
        e.setUserName("");
        e.setGroupName("");
        e.setModTime(FileTime.fromMillis(0));
        return e;
    }
}
