package dev.archcore.image;

import dev.archcore.repo.PackageCache;
import dev.archcore.testing.CraftedPackage;
import dev.archcore.testing.Tools;
import dev.archcore.util.CacheKey;
import dev.archcore.util.Log;
import dev.archcore.util.VerifiedFile;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Whoever can write the cache (a CI cache restored from an untrusted branch) but not the cache key must not get
 * bytes into an image: a consistently rewritten layer blob and key file, a blob changed under its key, a package
 * file swapped after its SHA-256 was verified, a forged package index (setuid modes), and a forged remembered plan
 * or dependency key list. Each is the attack as the review made it; the image is read back with umoci or
 * {@link LayoutReader}.
 */
class CachePoisoningTest {
    private static final String GOOD = "GOODGOOD\n";
    private static final String EVIL = "POISONED\n";
    private static final CacheKey KEY = CacheKey.of("the test's cache key, 32 bytes!!".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path tmp;
    Path cache;
    Path layout;
    Path archive;
    Path motd;
    String motdSha;
    Path app;

    @BeforeEach
    void packages() throws IOException {
        cache = tmp.resolve("cache");
        layout = tmp.resolve("out/oci");
        archive = tmp.resolve("out/image.tar");
        motd = motd(tmp.resolve("pkgs"), GOOD, 0755, 0);
        motdSha = sha256(Files.readAllBytes(motd));
        app = new CraftedPackage("app", "1.0-1").withoutMtree()
                .dir("usr/", 0755, 0, 0).dir("usr/bin/", 0755, 0, 0)
                .file("usr/bin/app", "#!/bin/sh\necho app\n", 0755, 0, 0).write(tmp.resolve("pkgs"));
    }

    /** The dependency: {@code etc/motd} and {@code usr/bin/tool}, with {@code usr/bin} of the given mode and owner. */
    static Path motd(Path dir, String content, int binMode, long binOwner) {
        return new CraftedPackage("motd", "1.0-1").withoutMtree()
                .dir("etc/", 0755, 0, 0).file("etc/motd", content, 0644, 0, 0)
                .dir("usr/", 0755, 0, 0).dir("usr/bin/", binMode, binOwner, binOwner)
                .file("usr/bin/tool", "#!/bin/sh\n", 0755, 0, 0).write(dir);
    }

    ImageRequest request(Path cacheDir, Path motdFile, Path out, Path tar) {
        List<ImagePackage> packages = List.of(new ImagePackage(motdFile, false, "core", List.of("sha256"), motdSha),
                ImagePackage.app(app));
        return ImageRequest.of(packages, ImageConfig.empty(), 1_800_000_000L, "archcore/poison", "1.0", out, tar,
                cacheDir, Log.NONE).withCacheKey(KEY);
    }

    ImageResult build() {
        return ImageBuilder.build(request(cache, motd, layout, archive));
    }

    @Test
    void aLayerBlobAndKeyFileRewrittenTogetherDoNotReachTheImage() throws IOException {
        ImageResult first = build();
        String dependencyDigest = first.layers().get(0).digest();
        Path keyFile = keyFileNaming(dependencyDigest);

        // the attacker's layer: etc/motd=POISONED and a new setuid file, gzip'd; blob and key file agree on it
        byte[] tar = tar(Map.of("etc/motd", EVIL, "usr/bin/evil", "#!/bin/sh\nid\n"));
        byte[] gzip = gzip(tar);
        String digest = "sha256:" + sha256(gzip);
        Files.write(cache.resolve("layers-v1/blobs").resolve(sha256(gzip)), gzip);
        Files.writeString(keyFile, "{\"diffId\":\"sha256:" + sha256(tar) + "\",\"digest\":\"" + digest
                + "\",\"size\":" + gzip.length + ",\"tarSize\":" + tar.length + "}");

        ImageResult second = build();
        assertThat(second.manifestDigest()).isEqualTo(first.manifestDigest());
        Path bundle = tmp.resolve("bundle");
        Tools.run(tmp, "umoci", "unpack", "--image", layout + ":1.0", bundle.toString()).ok("umoci unpack");
        assertThat(bundle.resolve("rootfs/etc/motd")).hasContent(GOOD.strip());
        assertThat(bundle.resolve("rootfs/usr/bin/evil")).doesNotExist();
        assertThat(LayoutReader.merged(layout)).doesNotContainKey("usr/bin/evil");
    }

    @Test
    void aLayerBlobChangedUnderItsKeyFailsTheBuildAndLeavesThePreviousOutputs() throws IOException {
        ImageResult first = build();
        byte[] goodArchive = Files.readAllBytes(archive);
        String goodIndex = Files.readString(layout.resolve("index.json"));
        Path blob = cache.resolve("layers-v1/blobs").resolve(BuiltImage.hex(first.layers().get(0).digest()));
        byte[] other = new byte[(int) Files.size(blob)]; // the recorded size, other bytes
        other[0] = 0x1f;
        // put in place as a restored cache (or anyone writing the cache directory) does: a new file
        Files.move(Files.write(blob.resolveSibling("other"), other), blob, StandardCopyOption.REPLACE_EXISTING);

        assertThatThrownBy(this::build).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining(blob.toString()).hasMessageContaining("was removed");
        assertThat(Files.readAllBytes(archive)).isEqualTo(goodArchive);
        assertThat(layout.resolve("index.json")).hasContent(goodIndex);
        assertThat(LayoutReader.merged(layout).get("etc/motd").content()).isEqualTo(GOOD);
        try (Stream<Path> files = Files.list(layout.getParent())) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("oci", "image.tar");
        }
        assertThat(blob).doesNotExist();

        ImageResult again = build(); // the layer is built anew
        assertThat(again.manifestDigest()).isEqualTo(first.manifestDigest());
        assertThat(again.layers().get(0).cached()).isFalse();
    }

    @Test
    void aPackageFileSwappedAfterItsCheckIsRefusedWhileStreamed() throws IOException {
        ImageResult first = build(); // indexes the good file: the cached index is the good one
        byte[] goodArchive = Files.readAllBytes(archive);
        swapMotd();
        deleteTree(cache.resolve("layers-v1"));
        deleteTree(cache.resolve("dependency-keys-v1"));

        assertThatThrownBy(this::build).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining(motd.toString()).hasMessageContaining("changed after it was verified")
                .hasMessageContaining(motdSha);
        assertThat(Files.readAllBytes(archive)).isEqualTo(goodArchive);
        assertThat(LayoutReader.merged(layout).get("etc/motd").content()).isEqualTo(GOOD);
        assertThat(first.layers()).isNotEmpty();
    }

    @Test
    void aPackageFileSwappedAfterItsCheckIsRefusedWhenIndexed() throws IOException {
        swapMotd();
        Path out = tmp.resolve("uncached/oci");
        // no cache: the swapped file is indexed, then streamed
        assertThatThrownBy(() -> ImageBuilder.build(request(null, motd, out, null)))
                .isInstanceOf(ImageBuildException.class).hasMessageContaining("changed after it was verified");
        assertThat(out).doesNotExist();
    }

    @Test
    void aForgedPackageIndexWithASetuidModeIsReadAgainFromThePackage() throws IOException {
        build();
        Path idx = cache.resolve("index-v2").resolve(motdSha + ".idx");
        PackageIndex index = PackageIndexCodec.read(new ByteArrayInputStream(Files.readAllBytes(idx)), true);
        List<ArchiveEntry> forged = new ArrayList<>();
        for (ArchiveEntry e : index.entries()) {
            forged.add(!e.name().equals("etc/motd") ? e : new ArchiveEntry(e.ordinal(), e.name(), e.kind(), 04755,
                    e.uid(), e.gid(), e.uname(), e.gname(), e.mtime(), e.size(), e.link(), e.pax()));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PackageIndexCodec.write(new PackageIndex(index.sha256(), index.fileSize(), index.pkginfo(), index.mtree(),
                index.install(), index.changelog(), forged, index.backupMd5(), index.captured()), bytes);
        Files.write(idx, bytes.toByteArray());
        deleteTree(cache.resolve("layers-v1"));
        deleteTree(cache.resolve("dependency-keys-v1"));

        build();
        assertThat(LayoutReader.merged(layout).get("etc/motd").mode() & 07777).isEqualTo(0644);
    }

    @Test
    void aForgedRememberedPlanIsPlannedAgain() throws IOException {
        ImageResult first = build();
        // the attacker's plan: a root where usr/bin is world-writable and owned by 1000, taken from a build of
        // their own and stored under this build's name
        Path evil = motd(tmp.resolve("evil"), GOOD, 0777, 1000);
        Path otherCache = tmp.resolve("other-cache");
        ImageBuilder.build(new ImageRequest(List.of(ImagePackage.dependency(evil), ImagePackage.app(app)), List.of(),
                null, 1_800_000_000L, "archcore/poison", "1.0", null, null, null, null, otherCache, Layering.DEFAULT,
                6, Log.NONE, Recipe.APP, KEY));
        Path forged = only(otherCache.resolve("dependency-keys-v1"), ".plan");
        Path plan = only(cache.resolve("dependency-keys-v1"), ".plan");
        Files.copy(forged, plan, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        ImageResult second = build();
        assertThat(second.manifestDigest()).isEqualTo(first.manifestDigest());
        LayoutReader.Entry usrBin = LayoutReader.layers(layout).get(1).stream()
                .filter(e -> e.name().equals("usr/bin/")).findFirst().orElseThrow();
        assertThat(usrBin.mode() & 07777).isEqualTo(0755);
        assertThat(usrBin.uid()).isZero();
    }

    @Test
    void aForgedDependencyKeyListIsComputedAgain() throws IOException {
        ImageResult first = build();
        // point the dependency layer at another layer the cache really has (the app's)
        Path keys = only(cache.resolve("dependency-keys-v1"), "");
        String appKey = keyFileNaming(first.layers().get(1).digest()).getFileName().toString().replace(".json", "");
        String line = Files.readAllLines(keys, StandardCharsets.ISO_8859_1).get(0); // the tag may follow
        Files.writeString(keys, appKey + line.substring(line.indexOf(' ')) + "\n");

        ImageResult second = build();
        assertThat(second.manifestDigest()).isEqualTo(first.manifestDigest());
        assertThat(LayoutReader.merged(layout).get("etc/motd").content()).isEqualTo(GOOD);
    }

    /**
     * A dependency just downloaded into the package cache is read from its download's descriptor, the bytes that
     * were hashed, not hashed again (issue 17): a file put over its cache entry afterwards (a restored cache, anyone
     * writing the cache directory) must not reach the image.
     */
    @Test
    void aPackageReplacedInTheCacheAfterItsDownloadDoesNotReachTheImage() throws IOException {
        ImagePackage fetched = downloaded(new PackageCache(tmp.resolve("packages"), Log.NONE, KEY), motd);
        try (VerifiedFile open = fetched.verified()) {
            Path swapped = motd(tmp.resolve("swapped"), EVIL, 0755, 0);
            Files.move(swapped, fetched.file(), StandardCopyOption.REPLACE_EXISTING);
            assertThat(sha256(Files.readAllBytes(fetched.file()))).isNotEqualTo(motdSha);

            ImageBuilder.build(ImageRequest.of(List.of(fetched, ImagePackage.app(app)), ImageConfig.empty(),
                    1_800_000_000L, "archcore/poison", "1.0", layout, archive, cache, Log.NONE).withCacheKey(KEY));
            Path bundle = tmp.resolve("bundle");
            Tools.run(tmp, "umoci", "unpack", "--image", layout + ":1.0", bundle.toString()).ok("umoci unpack");
            assertThat(bundle.resolve("rootfs/etc/motd")).hasContent(GOOD.strip());
        }
    }

    /** The same, with the cache entry written in place (its inode, while the build holds it open): refused. */
    @Test
    void aPackageWrittenInPlaceAfterItsDownloadIsRefused() throws IOException {
        ImagePackage fetched = downloaded(new PackageCache(tmp.resolve("packages"), Log.NONE, KEY), motd);
        try (VerifiedFile open = fetched.verified()) {
            Object inode = Files.readAttributes(fetched.file(), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            byte[] evil = Files.readAllBytes(motd(tmp.resolve("swapped"), EVIL, 0755, 0));
            // one byte more, so the size shows the write even within the ctime's clock tick
            Files.write(fetched.file(), java.util.Arrays.copyOf(evil, evil.length + 1));
            assertThat(Files.readAttributes(fetched.file(), java.nio.file.attribute.BasicFileAttributes.class).fileKey())
                    .as("the same inode, written").isEqualTo(inode);

            assertThatThrownBy(() -> ImageBuilder.build(ImageRequest.of(List.of(fetched, ImagePackage.app(app)),
                    ImageConfig.empty(), 1_800_000_000L, "archcore/poison", "1.0", layout, archive, cache, Log.NONE)
                    .withCacheKey(KEY))).isInstanceOf(ImageBuildException.class)
                    .hasMessageContaining(fetched.file().toString()).hasMessageContaining("written in place")
                    .hasMessageContaining("none of its bytes went into the image");
            assertThat(layout).doesNotExist();
            assertThat(archive).doesNotExist();
        }
    }

    @Test
    void openBytesVerifiedAsAnotherHashAreRefused() throws IOException {
        ImagePackage fetched = downloaded(new PackageCache(tmp.resolve("packages"), Log.NONE, KEY), motd);
        try (VerifiedFile open = fetched.verified()) {
            assertThatThrownBy(() -> new ImagePackage(fetched.file(), false, "core", List.of("sha256"), "0".repeat(64))
                    .readFrom(open)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(motdSha);
        }
    }

    /** {@code file} downloaded into {@code packages} as the fetcher does, still open. */
    private ImagePackage downloaded(PackageCache packages, Path file) throws IOException {
        PackageCache.Download download = packages.newDownload();
        Files.copy(file, download.out());
        Path entry = packages.commit(download, motdSha);
        return new ImagePackage(entry, false, "core", List.of("sha256"), motdSha).readFrom(download.keepOpen(entry));
    }

    /** The motd package replaced, at the same path, by one with the same entries and sizes but other content. */
    private void swapMotd() throws IOException {
        Path swapped = motd(tmp.resolve("swapped"), EVIL, 0755, 0);
        Files.move(swapped, motd, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(sha256(Files.readAllBytes(motd))).isNotEqualTo(motdSha);
    }

    private Path keyFileNaming(String digest) throws IOException {
        try (Stream<Path> keys = Files.list(cache.resolve("layers-v1/keys"))) {
            List<Path> matching = new ArrayList<>();
            for (Path k : keys.toList()) {
                if (Files.readString(k).contains(digest)) {
                    matching.add(k);
                }
            }
            assertThat(matching).hasSize(1);
            return matching.get(0);
        }
    }

    private static Path only(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(f -> suffix.isEmpty() ? !f.getFileName().toString().contains(".")
                    : f.getFileName().toString().endsWith(suffix)).toList();
            assertThat(found).hasSize(1);
            return found.get(0);
        }
    }

    private static byte[] tar(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, "UTF-8")) {
            for (Map.Entry<String, String> f : new java.util.TreeMap<>(files).entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                e.setMode(f.getKey().equals("usr/bin/evil") ? 04755 : 0644);
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        }
        return bytes.toByteArray();
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        OciLayoutWriter.deleteTree(dir);
    }
}
