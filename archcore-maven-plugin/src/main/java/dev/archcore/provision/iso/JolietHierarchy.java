package dev.archcore.provision.iso;

import dev.archcore.provision.iso.DirectoryTree.Node;

import java.util.Comparator;

/**
 * The Joliet tree: the real names in UCS-2 big-endian, files with the ";1" version as mkisofs writes them, no System
 * Use entries. Windows and other readers without Rock Ridge take their names from here.
 */
final class JolietHierarchy extends Hierarchy {
    JolietHierarchy(Node root) {
        super(root);
    }

    private static String name(Node node) {
        return node.isDirectory() ? node.name : node.name + ";1";
    }

    @Override
    byte[] identifier(Node node) {
        return Ecma119.ucs2(name(node));
    }

    /** UCS-2 code unit order, which is Java's String order for names within the basic plane. */
    @Override
    Comparator<Node> order() {
        return Comparator.comparing(JolietHierarchy::name);
    }

    @Override
    byte[] systemUse(Node dir, Slot slot, Node subject) {
        return new byte[0];
    }
}
