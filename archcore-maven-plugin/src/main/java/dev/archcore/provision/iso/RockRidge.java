package dev.archcore.provision.iso;

import java.nio.charset.StandardCharsets;

/**
 * System Use entries (SUSP 1.10 section 5) and Rock Ridge entries (RRIP 1.10, "RRIP_1991A", section 4.1) that carry
 * the real names, modes and times in the primary tree. Each entry: 2-byte signature, length, version 1, data.
 */
final class RockRidge {
    static final int FILE_MODE = 0100644;
    static final int DIRECTORY_MODE = 040755;

    // the identification texts RRIP 1.10 gives for "RRIP_1991A"; mkisofs and libisofs write the same ones
    private static final String ID = "RRIP_1991A";
    private static final String DESCRIPTOR =
            "THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
    private static final String SOURCE = "PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  "
            + "SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.";

    private RockRidge() {
    }

    private static Ecma119.Builder entry(String signature, int length) {
        return new Ecma119.Builder().bytes(signature.getBytes(StandardCharsets.US_ASCII)).u8(length).u8(1);
    }

    /** SUSP 5.3: first entry of the root's "." record; BE EF marks SUSP, 0 bytes to skip before later entries. */
    static byte[] sp() {
        return entry("SP", 7).u8(0xBE).u8(0xEF).u8(0).build();
    }

    /** SUSP 5.5: names the extension in use; readers (Linux, libisofs) switch Rock Ridge on when they see it. */
    static byte[] er() {
        byte[] id = ID.getBytes(StandardCharsets.US_ASCII);
        byte[] des = DESCRIPTOR.getBytes(StandardCharsets.US_ASCII);
        byte[] src = SOURCE.getBytes(StandardCharsets.US_ASCII);
        return entry("ER", 8 + id.length + des.length + src.length)
                .u8(id.length).u8(des.length).u8(src.length).u8(1)
                .bytes(id).bytes(des).bytes(src).build();
    }

    /** SUSP 5.1: the ER (237 bytes) does not fit in the root record, so it goes to a continuation area. */
    static byte[] ce(int lba, int offset, int length) {
        return entry("CE", 28).both32(lba).both32(offset).both32(length).build();
    }

    /** RRIP 4.1.1, the 36-byte form of RRIP 1.10: mode, links, uid, gid (root owns everything). */
    static byte[] px(int mode, int links) {
        return entry("PX", 36).both32(mode).both32(links).both32(0).both32(0).build();
    }

    /** RRIP 4.1.4: the real name; flags 0 = complete, in one entry (names are capped so that it fits). */
    static byte[] nm(String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        return entry("NM", 5 + b.length).u8(0).bytes(b).build();
    }

    /** RRIP 4.1.6: modify, access and attribute-change times (flags 0x0E), each in the 7-byte record form. */
    static byte[] tf(byte[] recordDate) {
        return entry("TF", 5 + 3 * 7).u8(0x0E).bytes(recordDate).bytes(recordDate).bytes(recordDate).build();
    }
}
