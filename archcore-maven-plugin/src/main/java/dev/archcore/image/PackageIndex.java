package dev.archcore.image;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What one pass over a package archive learned: its metadata members, every data entry in archive order, the
 * md5 of its backup files (for the local database) and the content of the few small files the image
 * generator reads (sysusers.d, os-release, passwd and friends). Cached by the package file's sha256.
 */
public record PackageIndex(String sha256, long fileSize, byte[] pkginfo, byte[] mtree, byte[] install,
                           byte[] changelog, List<ArchiveEntry> entries, Map<String, String> backupMd5,
                           Map<String, byte[]> captured) {

    /** The index together with the file it describes and how the request marks it. */
    public record Loaded(PackageIndex index, PkgInfo info, Path file, ImagePackage request) {
        public String name() {
            return info.pkgname();
        }

        @Override
        public String toString() {
            return file.getFileName().toString();
        }
    }
}
