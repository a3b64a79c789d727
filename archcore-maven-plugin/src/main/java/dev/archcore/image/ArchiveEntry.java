package dev.archcore.image;

import java.util.Map;

/**
 * One data entry of a package archive as stored: {@code ordinal} counts every archive entry from 0 (metadata
 * included) so a later pass can find the same entry again; {@code name} is the raw path (directories may end
 * in {@code /}); {@code link} is the symlink target or, for a hard link, the raw name of the linked entry.
 * {@code pax} keeps extended attributes ({@code SCHILY.xattr.*}, {@code LIBARCHIVE.xattr.*}).
 */
public record ArchiveEntry(int ordinal, String name, Kind kind, int mode, long uid, long gid, String uname,
                           String gname, long mtime, long size, String link, Map<String, String> pax) {

    public enum Kind { DIRECTORY, FILE, SYMLINK, HARDLINK }
}
