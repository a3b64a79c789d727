package dev.archcore.provision.iso;

import dev.archcore.provision.iso.DirectoryTree.Node;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The primary tree: ISO 9660 names at interchange level 2 (d-characters, up to 30 of them for a file plus ";1",
 * 31 for a directory; ECMA-119 7.5, 7.6), with Rock Ridge entries carrying the real names and modes. Level 2 keeps
 * "USER_DATA.;1" whole, which Linux's default {@code map=normal} reads back as "user_data" even without Rock Ridge.
 */
final class PrimaryHierarchy extends Hierarchy {
    private static final int MAX_FILE_CHARS = 30;
    private static final int MAX_EXTENSION_CHARS = 10;
    private static final int MAX_DIRECTORY_CHARS = 31;

    private final Map<Node, String[]> isoNames = new HashMap<>(); // base name and extension
    private final byte[] date;
    private int continuationLba;

    PrimaryHierarchy(Node root, byte[] date) {
        super(root);
        this.date = date;
        name(root);
    }

    /**
     * Where the ER entry lies. libarchive reads forward only and rejects a CE pointing behind what it has read, so
     * the writer puts this sector after the directories (as mkisofs does); the CE entry's size never changes.
     */
    void continuationAt(int lba) {
        continuationLba = lba;
    }

    /** Gives each child a unique ISO name, in real-name order so the result never depends on insertion order. */
    private void name(Node dir) {
        Set<String> taken = new HashSet<>();
        for (Node child : dir.children()) {
            String[] name = isoName(child);
            for (int n = 1; !taken.add(joined(name, child)); n++) {
                name = isoName(child);
                String suffix = "_" + n;
                int max = (child.isDirectory() ? MAX_DIRECTORY_CHARS : MAX_FILE_CHARS - name[1].length())
                        - suffix.length();
                name[0] = name[0].substring(0, Math.min(name[0].length(), max)) + suffix;
            }
            isoNames.put(child, name);
            if (child.isDirectory()) {
                name(child);
            }
        }
    }

    private static String[] isoName(Node node) {
        if (node.isDirectory()) {
            return new String[] {cut(dChars(node.name), MAX_DIRECTORY_CHARS), ""};
        }
        int dot = node.name.lastIndexOf('.');
        String base = dChars(dot > 0 ? node.name.substring(0, dot) : node.name);
        String extension = cut(dot > 0 ? dChars(node.name.substring(dot + 1)) : "", MAX_EXTENSION_CHARS);
        return new String[] {cut(base, MAX_FILE_CHARS - extension.length()), extension};
    }

    /** ECMA-119 7.4.1: d-characters are A-Z, 0-9 and '_'. */
    private static String dChars(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            char u = c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c;
            b.append(u >= 'A' && u <= 'Z' || u >= '0' && u <= '9' ? u : '_');
        }
        return b.toString();
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private static String joined(String[] name, Node node) {
        return node.isDirectory() ? name[0] : name[0] + "." + name[1] + ";1";
    }

    @Override
    byte[] identifier(Node node) {
        return joined(isoNames.get(node), node).getBytes(StandardCharsets.US_ASCII);
    }

    /** ECMA-119 9.3: by name, then extension, each compared as if padded with spaces. */
    @Override
    Comparator<Node> order() {
        return Comparator.<Node, String>comparing(n -> isoNames.get(n)[0], PrimaryHierarchy::spacePadded)
                .thenComparing(n -> isoNames.get(n)[1], PrimaryHierarchy::spacePadded);
    }

    private static int spacePadded(String a, String b) {
        int n = Math.max(a.length(), b.length());
        return (a + " ".repeat(n - a.length())).compareTo(b + " ".repeat(n - b.length()));
    }

    @Override
    byte[] systemUse(Node dir, Slot slot, Node subject) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (slot == Slot.SELF && dir.isRoot()) {
            out.writeBytes(RockRidge.sp()); // SUSP 5.3: SP comes first, in the root's "." record only
        }
        if (slot == Slot.CHILD) {
            out.writeBytes(RockRidge.nm(subject.name));
        }
        out.writeBytes(subject.isDirectory()
                // a directory's links: its "." entry, its name in the parent, and each subdirectory's ".."
                ? RockRidge.px(RockRidge.DIRECTORY_MODE, 2 + (int) subject.subdirectories())
                : RockRidge.px(RockRidge.FILE_MODE, 1));
        out.writeBytes(RockRidge.tf(date));
        if (slot == Slot.SELF && dir.isRoot()) {
            out.writeBytes(RockRidge.ce(continuationLba, 0, RockRidge.er().length));
        }
        return out.toByteArray();
    }

    List<Node> files() {
        return directories().stream().flatMap(d -> children(d).stream()).filter(n -> !n.isDirectory()).toList();
    }
}
