package dev.archcore.image;

import dev.archcore.util.Log;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The root file system the packages make when installed in order, computed from their file lists alone, with
 * pacman's rules: a path owned by two packages (unless both are directories) is a file conflict; a directory
 * that exists already keeps its mode and owner (pacman only warns "directory permissions differ"), also when
 * it was created implicitly as a parent; a directory where another package has a symlink is a conflict too (the
 * image is one transaction: pacman compares the packages' file lists). Entries whose path is absolute, has
 * {@code ..} components, or goes through a symlink are refused: through a symlink that points outside the root
 * (absolute, or {@code ..} above it) an extractor below a root directory would write outside it, and pacman
 * itself replaces any symlink in an entry's path by a directory.
 */
final class RootfsPlan {
    static final String LOCAL_DB = "var/lib/pacman/local";
    private static final int SNAPSHOT_VERSION = 1;
    private static final ArchiveEntry.Kind[] KINDS = ArchiveEntry.Kind.values();

    private record Node(ArchiveEntry.Kind kind, String owner, LayerEntry entry) {
    }

    private final Map<String, Node> nodes = new HashMap<>();
    private final Set<String> planned = new HashSet<>(); // package names
    private final Map<String, List<LayerEntry>> entriesByPackage = new LinkedHashMap<>();
    private final Map<String, byte[]> captured = new TreeMap<>(); // final path -> content
    private final NoExtract noExtract;
    private final Log log;

    private RootfsPlan(NoExtract noExtract, Log log) {
        this.noExtract = noExtract;
        this.log = log;
        // pacman creates its database directory before it installs anything (mode 0755, root)
        List<String> cur = new ArrayList<>();
        for (String c : LOCAL_DB.split("/")) {
            cur.add(c);
            implicitDirectory(String.join("/", cur));
        }
    }

    /** A root with only pacman's database directory, for packages {@link #add added} one at a time. */
    static RootfsPlan empty(NoExtract noExtract, Log log) {
        return new RootfsPlan(noExtract, log);
    }

    /** The entries of one package as they land in the root (not its local database entries). */
    List<LayerEntry> entries(PackageIndex.Loaded p) {
        return entriesByPackage.get(p.name());
    }

    /** The attributes a directory has in the root: those of its first owner, or 0755 root if made implicitly. */
    LayerEntry directory(String path) {
        Node n = nodes.get(path);
        if (n == null || n.kind != ArchiveEntry.Kind.DIRECTORY) {
            return LayerEntry.directory(path, 0755, 0);
        }
        return n.entry;
    }

    boolean exists(String path) {
        return nodes.containsKey(path);
    }

    /** Content of the small files the indexer captured (sysusers.d, os-release, passwd...), by final path. */
    Map<String, byte[]> captured() {
        return captured;
    }

    /** Claims a generated path (the local database) so a package shipping the same path is a conflict. */
    void claim(LayerEntry entry, String owner) {
        Node old = nodes.get(entry.path());
        if (old != null && !(old.kind == ArchiveEntry.Kind.DIRECTORY && entry.kind() == ArchiveEntry.Kind.DIRECTORY)) {
            throw new ImageBuildException("file conflict: /" + entry.path() + " exists in both '" + old.owner
                    + "' and " + owner);
        }
        if (old == null) {
            nodes.put(entry.path(), new Node(entry.kind(), owner, entry));
        }
    }

    /** Plans one more package, installed after those before it. */
    void add(PackageIndex.Loaded p) {
        String pkg = p.name();
        if (!planned.add(pkg)) {
            throw new ImageBuildException("package '" + pkg + "' is given twice (" + p + ")");
        }
        Map<String, LayerEntry> out = new LinkedHashMap<>();
        Map<String, ArchiveEntry> byName = new HashMap<>();
        Map<String, String> finalPath = new HashMap<>();
        List<ArchiveEntry> hardlinks = new ArrayList<>();
        for (ArchiveEntry e : p.index().entries()) {
            String key = EntryPaths.path(e.name(), p);
            if (key.isEmpty()) {
                continue; // the root itself ("./" or "/")
            }
            if (byName.putIfAbsent(key, e) != null) {
                throw refuse(p, e, "appears twice in the package");
            }
            if (noExtract.excludes(e.name())) {
                log.debug("NoExtract: " + pkg + " /" + key);
                continue;
            }
            // the entry lands at its own path (nothing is walked through a symlink); a parent that is a directory
            // already had its ancestors checked when it was made, and they cannot have changed kind since
            String path = key;
            int slash = key.lastIndexOf('/');
            Node parentNode = slash < 0 ? null : nodes.get(key.substring(0, slash));
            if (slash >= 0 && (parentNode == null || parentNode.kind != ArchiveEntry.Kind.DIRECTORY)) {
                resolveParent(key.substring(0, slash), p, e);
            }
            finalPath.put(key, path);
            Node existing = nodes.get(path);
            if (e.kind() == ArchiveEntry.Kind.DIRECTORY) {
                if (existing == null) {
                    LayerEntry d = entry(e, path, p);
                    nodes.put(path, new Node(ArchiveEntry.Kind.DIRECTORY, pkg, d));
                    out.put(path, d);
                } else if (existing.kind == ArchiveEntry.Kind.DIRECTORY) {
                    LayerEntry mine = entry(e, path, p);
                    if (!mine.sameAttributes(existing.entry)) {
                        log.warn(String.format("directory permissions differ on /%s (kept from %s: %o %d:%d; %s has %o %d:%d),"
                                        + " as pacman keeps the directory that exists", path,
                                existing.owner == null ? "its creation as a parent" : "'" + existing.owner + "'",
                                existing.entry.mode(), existing.entry.uid(), existing.entry.gid(), pkg, mine.mode(),
                                mine.uid(), mine.gid()));
                    }
                    out.put(path, existing.entry);
                } else {
                    throw conflict(p, e, path, existing);
                }
                continue;
            }
            if (existing != null) {
                throw conflict(p, e, path, existing);
            }
            LayerEntry entry = entry(e, path, p);
            nodes.put(path, new Node(e.kind(), pkg, entry));
            out.put(path, entry);
            if (e.kind() == ArchiveEntry.Kind.HARDLINK) {
                hardlinks.add(e);
            }
            byte[] content = p.index().captured().get(e.name());
            if (content != null) {
                captured.put(path, content);
            }
        }
        relinkHardLinks(p, hardlinks, byName, finalPath, out);
        entriesByPackage.put(pkg, List.copyOf(out.values()));
    }

    /**
     * Hard links stay within their package and layer. In the sorted layer the first member of a link group must
     * carry the data (a tar hard link points back at an earlier entry), whichever member the package stored it in,
     * also when NoExtract left out the member that carried it.
     */
    private void relinkHardLinks(PackageIndex.Loaded p, List<ArchiveEntry> links, Map<String, ArchiveEntry> byName,
                                 Map<String, String> finalPath, Map<String, LayerEntry> out) {
        Map<ArchiveEntry, List<ArchiveEntry>> groups = new LinkedHashMap<>();
        for (ArchiveEntry link : links) {
            ArchiveEntry target = byName.get(EntryPaths.path(link.link(), p));
            if (target == null || target.kind() != ArchiveEntry.Kind.FILE || target.ordinal() > link.ordinal()) {
                throw refuse(p, link, "is a hard link to '" + link.link() + "', which is not a regular file stored "
                        + "earlier in the same package");
            }
            groups.computeIfAbsent(target, t -> new ArrayList<>()).add(link);
        }
        groups.forEach((carrier, members) -> {
            List<ArchiveEntry> all = new ArrayList<>();
            if (finalPath.containsKey(key(carrier, p))) {
                all.add(carrier);
            }
            members.stream().filter(m -> finalPath.containsKey(key(m, p))).forEach(all::add);
            if (all.isEmpty()) {
                return;
            }
            all.sort((a, b) -> EntryPaths.ORDER.compare(finalPath.get(key(a, p)), finalPath.get(key(b, p))));
            String first = finalPath.get(key(all.get(0), p));
            for (ArchiveEntry m : all) {
                String path = finalPath.get(key(m, p));
                LayerEntry base = entry(m, path, p);
                LayerEntry rewritten = path.equals(first)
                        ? new LayerEntry(path, ArchiveEntry.Kind.FILE, base.mode(), base.uid(), base.gid(), base.uname(),
                        base.gname(), base.mtime(), carrier.size(), null, base.pax(),
                        new LayerEntry.FromPackage(p.index().sha256(), carrier.ordinal(), carrier.name()))
                        : new LayerEntry(path, ArchiveEntry.Kind.HARDLINK, base.mode(), base.uid(), base.gid(),
                        base.uname(), base.gname(), base.mtime(), 0, first, base.pax(), null);
                out.put(path, rewritten);
                nodes.put(path, new Node(rewritten.kind(), p.name(), rewritten));
            }
        });
    }

    private static String key(ArchiveEntry e, PackageIndex.Loaded p) {
        return EntryPaths.path(e.name(), p);
    }

    private static LayerEntry entry(ArchiveEntry e, String path, PackageIndex.Loaded p) {
        LayerEntry.Content content = e.kind() == ArchiveEntry.Kind.FILE
                ? new LayerEntry.FromPackage(p.index().sha256(), e.ordinal(), e.name()) : null;
        String link = e.kind() == ArchiveEntry.Kind.SYMLINK ? e.link() : null;
        return new LayerEntry(path, e.kind(), e.mode(), e.uid(), e.gid(), e.uname(), e.gname(), e.mtime(), e.size(),
                link, e.pax(), content);
    }

    /** Walks the parent directories, creating missing ones as an extractor does; symlinks are not walked through. */
    private void resolveParent(String parent, PackageIndex.Loaded p, ArchiveEntry e) {
        for (int i = parent.indexOf('/'); ; i = parent.indexOf('/', i + 1)) {
            String key = i < 0 ? parent : parent.substring(0, i);
            Node n = nodes.get(key);
            if (n == null) {
                implicitDirectory(key);
            } else if (n.kind == ArchiveEntry.Kind.SYMLINK) {
                throw throughSymlink(key, n, p, e);
            } else if (n.kind != ArchiveEntry.Kind.DIRECTORY) {
                throw refuse(p, e, "needs /" + key + " to be a directory, but it is a file of '" + n.owner + "'");
            }
            if (i < 0) {
                return;
            }
        }
    }

    /**
     * An entry below a symlink: pacman extracts with libarchive's secure-symlink and unlink flags, so it would
     * delete the symlink (another package's file) and make a directory in its place; a plain extractor would
     * follow it, out of the root when it is absolute or climbs above it. Either way the package is refused.
     */
    private ImageBuildException throughSymlink(String at, Node link, PackageIndex.Loaded p, ArchiveEntry e) {
        String target = link.entry.link();
        String shown = "the symlink /" + at + " -> " + target
                + (link.owner == null ? "" : " (from '" + link.owner + "')");
        if (target.startsWith("/")) {
            return refuse(p, e, "goes through " + shown + ", whose absolute target leads outside the image root for an "
                    + "extractor working below a root directory; refused");
        }
        int depth = (int) at.chars().filter(c -> c == '/').count(); // the symlink's directory, below the root
        for (String t : target.split("/")) {
            if (t.equals("..")) {
                depth--;
            } else if (!t.isEmpty() && !t.equals(".")) {
                depth++;
            }
            if (depth < 0) {
                return refuse(p, e, "goes through " + shown + ", which climbs above the image root; refused");
            }
        }
        return refuse(p, e, "goes through " + shown + ": pacman would replace that symlink by a directory (it never "
                + "extracts through symlinks); ship the file at its real path instead");
    }

    /** Every planned path's owner that {@code matches}, with those paths in byte order: owner -> paths. */
    Map<String, List<String>> owners(Predicate<String> matches) {
        Map<String, List<String>> out = new TreeMap<>();
        nodes.forEach((path, n) -> {
            if (n.owner != null && matches.test(path)) {
                out.computeIfAbsent(n.owner, k -> new ArrayList<>()).add(path);
            }
        });
        out.values().forEach(paths -> paths.sort(EntryPaths.ORDER));
        return out;
    }

    /**
     * Writes what later packages are planned against: the packages so far, every path with its kind and owner
     * (directories with their attributes, symlinks with their target: the rest is only ever compared by kind)
     * and the captured files. {@link #readSnapshot} gives a plan that plans the next packages exactly as this one.
     */
    void writeSnapshot(OutputStream stream) throws IOException {
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream, 1 << 16));
        out.writeByte(SNAPSHOT_VERSION);
        out.writeInt(planned.size());
        for (String name : planned) {
            out.writeUTF(name);
        }
        Map<String, Integer> owners = new HashMap<>();
        List<String> ownerList = new ArrayList<>();
        nodes.values().forEach(n -> {
            if (n.owner != null && owners.putIfAbsent(n.owner, owners.size()) == null) {
                ownerList.add(n.owner);
            }
        });
        out.writeInt(ownerList.size());
        for (String owner : ownerList) {
            out.writeUTF(owner);
        }
        out.writeInt(nodes.size());
        for (Map.Entry<String, Node> e : nodes.entrySet()) {
            Node n = e.getValue();
            PackageIndexCodec.string(out, e.getKey());
            out.writeByte(n.kind.ordinal());
            out.writeInt(n.owner == null ? -1 : owners.get(n.owner));
            if (n.kind == ArchiveEntry.Kind.DIRECTORY || n.kind == ArchiveEntry.Kind.SYMLINK) {
                LayerEntry a = n.entry;
                out.writeInt(a.mode());
                out.writeLong(a.uid());
                out.writeLong(a.gid());
                PackageIndexCodec.string(out, a.uname());
                PackageIndexCodec.string(out, a.gname());
                out.writeLong(a.mtime());
                PackageIndexCodec.string(out, a.link());
                out.writeInt(a.pax().size());
                for (Map.Entry<String, String> x : a.pax().entrySet()) {
                    PackageIndexCodec.string(out, x.getKey());
                    PackageIndexCodec.string(out, x.getValue());
                }
            }
        }
        out.writeInt(captured.size());
        for (Map.Entry<String, byte[]> c : captured.entrySet()) {
            PackageIndexCodec.string(out, c.getKey());
            PackageIndexCodec.bytes(out, c.getValue());
        }
        out.flush();
    }

    /** The plan {@link #writeSnapshot} wrote, or null when it is of another format version. */
    static RootfsPlan readSnapshot(InputStream stream, NoExtract noExtract, Log log) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(stream, 1 << 16));
        if (in.readUnsignedByte() != SNAPSHOT_VERSION) {
            return null;
        }
        RootfsPlan plan = new RootfsPlan(noExtract, log);
        for (int i = in.readInt(); i > 0; i--) {
            plan.planned.add(in.readUTF());
        }
        String[] owners = new String[in.readInt()];
        for (int i = 0; i < owners.length; i++) {
            owners[i] = in.readUTF();
        }
        for (int i = in.readInt(); i > 0; i--) {
            String path = PackageIndexCodec.string(in);
            ArchiveEntry.Kind kind = KINDS[in.readUnsignedByte()];
            int owner = in.readInt();
            LayerEntry entry;
            if (kind == ArchiveEntry.Kind.DIRECTORY || kind == ArchiveEntry.Kind.SYMLINK) {
                int mode = in.readInt();
                long uid = in.readLong();
                long gid = in.readLong();
                String uname = PackageIndexCodec.string(in);
                String gname = PackageIndexCodec.string(in);
                long mtime = in.readLong();
                String link = PackageIndexCodec.string(in);
                Map<String, String> pax = new TreeMap<>();
                for (int x = in.readInt(); x > 0; x--) {
                    pax.put(PackageIndexCodec.string(in), PackageIndexCodec.string(in));
                }
                entry = new LayerEntry(path, kind, mode, uid, gid, uname, gname, mtime, 0, link, pax, null);
            } else {
                entry = new LayerEntry(path, kind, 0, 0, 0, null, null, 0, 0, null, Map.of(), null);
            }
            plan.nodes.put(path, new Node(kind, owner < 0 ? null : owners[owner], entry));
        }
        for (int i = in.readInt(); i > 0; i--) {
            String path = PackageIndexCodec.string(in);
            plan.captured.put(path, PackageIndexCodec.bytes(in));
        }
        return plan;
    }

    private void implicitDirectory(String path) {
        nodes.put(path, new Node(ArchiveEntry.Kind.DIRECTORY, null, LayerEntry.directory(path, 0755, 0)));
    }

    private static ImageBuildException conflict(PackageIndex.Loaded p, ArchiveEntry e, String path, Node existing) {
        if (existing.owner == null) {
            return refuse(p, e, "lands on /" + path + ", a directory created for other entries");
        }
        if (existing.owner.equals(p.name())) {
            return refuse(p, e, "lands on /" + path + ", which the same package already holds");
        }
        return new ImageBuildException("file conflict: /" + path + " exists in both '" + existing.owner + "' and '"
                + p.name() + "' (" + p + " entry '" + e.name() + "'), as pacman would report it");
    }

    static ImageBuildException refuse(PackageIndex.Loaded p, ArchiveEntry e, String why) {
        return new ImageBuildException("package '" + p.name() + "' (" + p + "): entry '" + e.name() + "' " + why);
    }
}
