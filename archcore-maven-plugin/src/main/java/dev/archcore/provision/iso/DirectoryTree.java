package dev.archcore.provision.iso;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.TreeMap;

/**
 * The files of an image by their real names, directories implied by the paths. Names are checked here against the
 * limits every tree of the image must meet, so the ISO, Rock Ridge and Joliet trees never need to reject anything.
 */
final class DirectoryTree {
    /** Joliet allows 64 UCS-2 characters per identifier, and files carry the ";1" version suffix. */
    static final int MAX_NAME_CHARS = 62;
    /** A Rock Ridge NM entry must fit in one directory record next to the ISO name, PX and TF (at most 255 bytes). */
    static final int MAX_NAME_BYTES = 120;
    /** ECMA-119 6.8.2.1: at most eight directory levels, the root being the first. */
    static final int MAX_DIRECTORY_DEPTH = 7;
    /** ECMA-119 6.8.2.1 limits a path to 255 bytes. */
    static final int MAX_PATH_BYTES = 255;
    /** Joliet forbids these in identifiers; ';' would also read as a version separator. */
    private static final String FORBIDDEN = "*/:;?\\";

    static final class Node {
        final String name;
        final Node parent;
        final byte[] data;
        private final TreeMap<String, Node> children = new TreeMap<>();

        private Node(String name, Node parent, byte[] data) {
            this.name = name;
            this.parent = parent;
            this.data = data;
        }

        boolean isDirectory() {
            return data == null;
        }

        boolean isRoot() {
            return parent == null;
        }

        Collection<Node> children() {
            return children.values();
        }

        long subdirectories() {
            return children.values().stream().filter(Node::isDirectory).count();
        }

        String path() {
            return isRoot() ? "/" : parent.isRoot() ? name : parent.path() + "/" + name;
        }
    }

    final Node root = new Node("", null, null);

    void addFile(String path, byte[] data) {
        if (path == null || path.isEmpty()) {
            throw new IsoException("ISO file path is empty: give a '/'-separated path relative to the image root, "
                    + "such as openstack/latest/user_data.");
        }
        if (data == null) {
            throw new IsoException("ISO file \"" + path + "\" has no content (null): pass an empty array for an "
                    + "empty file.");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new IsoException("ISO file path \"" + path + "\" is longer than " + MAX_PATH_BYTES
                    + " bytes, the ISO 9660 limit (ECMA-119 6.8.2.1): shorten it.");
        }
        String[] parts = path.split("/", -1);
        if (parts.length - 1 > MAX_DIRECTORY_DEPTH) {
            throw new IsoException("ISO file path \"" + path + "\" is nested " + (parts.length - 1)
                    + " directories deep; ISO 9660 allows " + MAX_DIRECTORY_DEPTH
                    + " below the root (ECMA-119 6.8.2.1): flatten it.");
        }
        for (String part : parts) {
            checkName(path, part);
        }
        Node dir = root;
        for (int i = 0; i < parts.length - 1; i++) {
            Node next = dir.children.get(parts[i]);
            if (next == null) {
                next = new Node(parts[i], dir, null);
                dir.children.put(parts[i], next);
            } else if (!next.isDirectory()) {
                throw new IsoException("ISO file path \"" + path + "\" needs \"" + next.path()
                        + "\" to be a directory, but it was added as a file: rename one of them.");
            }
            dir = next;
        }
        String name = parts[parts.length - 1];
        Node existing = dir.children.get(name);
        if (existing != null) {
            throw new IsoException("ISO file path \"" + path + "\" was added twice"
                    + (existing.isDirectory() ? " (first as a directory, implied by another file's path)" : "")
                    + ": each path may appear once.");
        }
        dir.children.put(name, new Node(name, dir, data.clone()));
    }

    private static void checkName(String path, String name) {
        String where = "ISO file path \"" + path + "\"";
        if (name.isEmpty()) {
            throw new IsoException(where + " has an empty component (a leading, trailing or doubled '/'): "
                    + "give it relative to the image root, such as openstack/latest/user_data.");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IsoException(where + " contains \"" + name + "\": give it relative to the image root "
                    + "without \".\" or \"..\" components.");
        }
        if (name.length() > MAX_NAME_CHARS) {
            throw new IsoException(where + ": the name \"" + name + "\" has " + name.length()
                    + " characters; Joliet allows at most " + MAX_NAME_CHARS + ": shorten it.");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) {
            throw new IsoException(where + ": the name \"" + name + "\" is " + bytes + " bytes in UTF-8; a Rock "
                    + "Ridge name here may have at most " + MAX_NAME_BYTES + ": shorten it.");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f || FORBIDDEN.indexOf(c) >= 0 || Character.isSurrogate(c)) {
                throw new IsoException(where + ": the name \"" + name + "\" contains "
                        + (Character.isSurrogate(c) ? "a character outside Unicode's basic plane"
                        : String.format("the character U+%04X", (int) c))
                        + ", which Joliet (UCS-2, no * / : ; ? \\ or control characters) cannot hold: rename it.");
            }
        }
    }
}
