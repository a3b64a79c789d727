package dev.archcore.provision.iso;

/** ECMA-119 9.1: one directory record, followed by its System Use field (SUSP entries, or nothing for Joliet). */
final class DirectoryRecord {
    static final byte[] SELF = {0};
    static final byte[] PARENT = {1};
    private static final int DIRECTORY_FLAG = 0x02;

    private DirectoryRecord() {
    }

    static byte[] of(int lba, int length, boolean directory, byte[] identifier, byte[] systemUse, byte[] date) {
        // 9.1.12: a padding byte follows an even-length identifier so the System Use field starts on an even offset
        int pad = identifier.length % 2 == 0 ? 1 : 0;
        int size = 33 + identifier.length + pad + systemUse.length;
        size += size % 2; // kept even as mkisofs and libisofs do; SUSP readers stop at fewer than 4 bytes left
        if (size > 255) {
            throw new IllegalStateException("directory record of " + size + " bytes"); // names are capped before
        }
        Ecma119.Builder b = new Ecma119.Builder()
                .u8(size).u8(0)                  // length, extended attribute record length
                .both32(lba).both32(length)      // extent location and data length
                .bytes(date)                     // recording date (9.1.5)
                .u8(directory ? DIRECTORY_FLAG : 0).u8(0).u8(0) // flags, file unit size, interleave gap
                .both16(1)                       // volume sequence number
                .u8(identifier.length).bytes(identifier).zeros(pad)
                .bytes(systemUse);
        return b.zeros(size - b.size()).build();
    }
}
