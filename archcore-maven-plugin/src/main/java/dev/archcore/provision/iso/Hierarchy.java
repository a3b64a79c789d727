package dev.archcore.provision.iso;

import dev.archcore.provision.iso.DirectoryTree.Node;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One directory hierarchy of the image over the shared file data: the primary one (ISO names with Rock Ridge) or the
 * Joliet one. Subclasses say how a node is named, ordered and described in its System Use field.
 */
abstract class Hierarchy {
    enum Slot { SELF, PARENT, CHILD }

    record Extent(int lba, int length) {
    }

    private final Node root;
    private final Map<Node, Extent> directoryExtents = new HashMap<>();
    private List<Node> directories;

    Hierarchy(Node root) {
        this.root = root;
    }

    /** The identifier of a file or directory record other than "." and "..". */
    abstract byte[] identifier(Node node);

    /** The order of records in a directory (ECMA-119 9.3), which also orders the path table. */
    abstract Comparator<Node> order();

    /** System Use bytes of the record for {@code subject} as it appears in {@code dir} in {@code slot}. */
    abstract byte[] systemUse(Node dir, Slot slot, Node subject);

    List<Node> children(Node dir) {
        return dir.children().stream().sorted(order()).toList();
    }

    /** Path table order (ECMA-119 9.4): breadth-first, so by level, then parent number, then identifier. */
    List<Node> directories() {
        if (directories == null) {
            List<Node> out = new ArrayList<>();
            Deque<Node> queue = new ArrayDeque<>(List.of(root));
            while (!queue.isEmpty()) {
                Node dir = queue.removeFirst();
                out.add(dir);
                children(dir).stream().filter(Node::isDirectory).forEach(queue::addLast);
            }
            directories = List.copyOf(out);
        }
        return directories;
    }

    /** Places every directory extent from {@code lba} on; returns the first sector after them. */
    int place(int lba) {
        for (Node dir : directories()) {
            int length = pack(dir, n -> new Extent(0, 0), new byte[7]).length;
            directoryExtents.put(dir, new Extent(lba, length));
            lba += Ecma119.sectors(length);
        }
        return lba;
    }

    Extent extent(Node dir) {
        return directoryExtents.get(dir);
    }

    byte[] rootRecord(byte[] date) {
        Extent e = extent(root);
        return DirectoryRecord.of(e.lba(), e.length(), true, DirectoryRecord.SELF, new byte[0], date);
    }

    /**
     * A directory's extent: ".", "..", then its children. ECMA-119 6.8.1.1: a record never crosses a sector
     * boundary; the rest of the sector stays zero, which readers take as "go to the next sector".
     */
    byte[] pack(Node dir, Function<Node, Extent> files, byte[] date) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] record : records(dir, files, date)) {
            int used = out.size() % Ecma119.SECTOR;
            if (used + record.length > Ecma119.SECTOR) {
                out.writeBytes(new byte[Ecma119.SECTOR - used]);
            }
            out.writeBytes(record);
        }
        out.writeBytes(new byte[Ecma119.sectors(out.size()) * Ecma119.SECTOR - out.size()]);
        return out.toByteArray();
    }

    private List<byte[]> records(Node dir, Function<Node, Extent> files, byte[] date) {
        Function<Node, Extent> where = n -> n.isDirectory()
                ? directoryExtents.getOrDefault(n, new Extent(0, 0)) : files.apply(n);
        Node parent = dir.isRoot() ? dir : dir.parent;
        List<byte[]> out = new ArrayList<>();
        out.add(record(where.apply(dir), true, DirectoryRecord.SELF, systemUse(dir, Slot.SELF, dir), date));
        out.add(record(where.apply(parent), true, DirectoryRecord.PARENT, systemUse(dir, Slot.PARENT, parent),
                date));
        for (Node child : children(dir)) {
            out.add(record(where.apply(child), child.isDirectory(), identifier(child),
                    systemUse(dir, Slot.CHILD, child), date));
        }
        return out;
    }

    private static byte[] record(Extent e, boolean directory, byte[] id, byte[] systemUse, byte[] date) {
        return DirectoryRecord.of(e.lba(), e.length(), directory, id, systemUse, date);
    }

    byte[] pathTable(boolean bigEndian) {
        List<Node> dirs = directories();
        Map<Node, Integer> numbers = new HashMap<>();
        List<PathTable.Entry> entries = new ArrayList<>();
        for (Node dir : dirs) {
            numbers.put(dir, numbers.size() + 1);
            Extent e = directoryExtents.getOrDefault(dir, new Extent(0, 0));
            entries.add(new PathTable.Entry(dir.isRoot() ? DirectoryRecord.SELF : identifier(dir), e.lba(),
                    dir.isRoot() ? 1 : numbers.get(dir.parent)));
        }
        return PathTable.of(entries, bigEndian);
    }
}
