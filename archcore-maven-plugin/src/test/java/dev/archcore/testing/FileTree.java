package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** A directory tree as comparable lines per path: type, mode (with setuid bits), uid:gid, size, link target. */
public final class FileTree {
    private FileTree() {
    }

    /** Paths relative to {@code root}, without those in {@code skip} (and below them). */
    public static Map<String, String> describe(Path root, Set<String> skip) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                String rel = root.relativize(p).toString();
                if (rel.isEmpty() || skip.stream().anyMatch(s -> rel.equals(s) || rel.startsWith(s + "/"))) {
                    continue;
                }
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,nlink", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                String type = switch (mode & 0170000) {
                    case 0040000 -> "dir";
                    case 0120000 -> "link";
                    case 0100000 -> "file";
                    default -> "other";
                };
                StringBuilder s = new StringBuilder(type).append(' ').append(Integer.toOctalString(mode & 07777))
                        .append(' ').append(a.get("uid")).append(':').append(a.get("gid"));
                if (type.equals("file")) {
                    s.append(" size=").append(a.get("size")).append(" links=").append(a.get("nlink"));
                }
                if (type.equals("link")) {
                    s.append(" -> ").append(Files.readSymbolicLink(p));
                }
                out.put(rel, s.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
