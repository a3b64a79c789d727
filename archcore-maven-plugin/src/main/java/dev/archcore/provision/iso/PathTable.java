package dev.archcore.provision.iso;

import java.util.List;

/**
 * ECMA-119 9.4 records, ordered as 6.9.1 says: one per directory in hierarchy order (level, then parent number, then identifier), the
 * Type L table little-endian and the Type M table big-endian. Readers such as Windows look directories up here.
 */
final class PathTable {
    private PathTable() {
    }

    record Entry(byte[] identifier, int lba, int parentNumber) {
    }

    static byte[] of(List<Entry> entries, boolean bigEndian) {
        Ecma119.Builder b = new Ecma119.Builder();
        for (Entry e : entries) {
            b.u8(e.identifier().length).u8(0);
            if (bigEndian) {
                b.be32(e.lba()).be16(e.parentNumber());
            } else {
                b.le32(e.lba()).le16(e.parentNumber());
            }
            b.bytes(e.identifier()).zeros(e.identifier().length % 2); // 9.4.6: pad odd identifiers
        }
        return b.build();
    }
}
