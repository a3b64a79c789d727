package dev.archcore.provision.iso;

import java.time.Instant;

/**
 * ECMA-119 8.4 (primary), 8.5 (supplementary: Joliet) and 8.3 (terminator) volume descriptors, one sector each from
 * sector 16. The Joliet descriptor repeats the primary layout with UCS-2 text and the escape sequence "%/E" (UCS-2
 * level 3) in the escape-sequences field, as the Joliet specification defines.
 */
final class VolumeDescriptor {
    private static final String SYSTEM_ID = "LINUX";
    private static final String APPLICATION_ID = "ARCHCORE";

    private VolumeDescriptor() {
    }

    /** What the two descriptors share: the hierarchy's root record and path tables, and the volume's size. */
    record Volume(String volumeId, int volumeSectors, int pathTableSize, int typeLLba, int typeMLba,
                  byte[] rootRecord, Instant timestamp) {
    }

    static byte[] primary(Volume v) {
        return descriptor(1, v, false);
    }

    static byte[] joliet(Volume v) {
        return descriptor(2, v, true);
    }

    static byte[] terminator() {
        return new Ecma119.Builder().u8(255).bytes(ascii("CD001")).u8(1).zeros(Ecma119.SECTOR - 7).build();
    }

    private static byte[] descriptor(int type, Volume v, boolean joliet) {
        Ecma119.Builder b = new Ecma119.Builder()
                .u8(type).bytes(ascii("CD001")).u8(1).u8(0)
                .bytes(text(SYSTEM_ID, 32, joliet))
                // the volume id is stored as given ("config-2", lowercase, as mkisofs -V does): the udev rules
                // and blkid compare the label case-sensitively
                .bytes(text(v.volumeId(), 32, joliet))
                .zeros(8)
                .both32(v.volumeSectors());
        if (joliet) {
            b.bytes(ascii("%/E")).zeros(29);
        } else {
            b.zeros(32);
        }
        b.both16(1).both16(1).both16(Ecma119.SECTOR) // volume set size, sequence number, logical block size
                .both32(v.pathTableSize())
                .le32(v.typeLLba()).le32(0).be32(v.typeMLba()).be32(0)
                .bytes(v.rootRecord())
                .bytes(text("", 128, joliet))      // volume set
                .bytes(text("", 128, joliet))      // publisher
                .bytes(text("", 128, joliet))      // data preparer
                .bytes(text(APPLICATION_ID, 128, joliet))
                .bytes(text("", 37, joliet))       // copyright file
                .bytes(text("", 37, joliet))       // abstract file
                .bytes(text("", 37, joliet))       // bibliographic file
                // one timestamp for creation, modification and effective dates; "never expires" (8.4.26.1)
                .bytes(Ecma119.volumeDate(v.timestamp())).bytes(Ecma119.volumeDate(v.timestamp()))
                .bytes(Ecma119.unsetVolumeDate()).bytes(Ecma119.volumeDate(v.timestamp()))
                .u8(1).u8(0);                      // file structure version, reserved
        return b.zeros(Ecma119.SECTOR - b.size()).build();
    }

    private static byte[] text(String s, int length, boolean joliet) {
        return joliet ? Ecma119.ucs2Text(s, length) : Ecma119.text(s, length);
    }

    private static byte[] ascii(String s) {
        return Ecma119.text(s, s.length());
    }
}
