package dev.archcore.pacman;

import java.nio.file.Path;

/**
 * One member of a package archive, metadata or data: content comes from {@code bytes} (generated metadata)
 * or {@code source} (a file of {@code $pkgdir}). Digests are filled for regular files.
 */
record PackageMember(String path, PackageTree.Type type, int mode, long size, String link,
                     Path source, byte[] bytes, String md5, String sha256) {

    static PackageMember metadata(String path, byte[] content, String md5, String sha256) {
        return new PackageMember(path, PackageTree.Type.FILE, 0644, content.length, null, null, content, md5, sha256);
    }

    static PackageMember data(PackageTree.Entry e, String md5, String sha256) {
        return new PackageMember(e.path(), e.type(), e.mode(), e.size(), e.link(), e.source(), null, md5, sha256);
    }
}
