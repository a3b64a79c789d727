package dev.archcore.provision.iso;

import dev.archcore.provision.iso.DirectoryTree.Node;
import dev.archcore.provision.iso.Hierarchy.Extent;
import dev.archcore.util.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes a small ISO 9660 image (ECMA-119) with Rock Ridge and Joliet names, such as a config drive. Every date in
 * the image is the one timestamp given, and every list is sorted, so the same files and timestamp give the same
 * bytes. Layout, in 2048-byte sectors:
 * <pre>
 *   0-15  system area (zeros)          16  primary volume descriptor   17  Joliet supplementary descriptor
 *   18    terminator
 *   then  path tables (primary L, M; Joliet L, M), primary directories, Joliet directories,
 *         the Rock Ridge continuation area (one sector: the ER entry), file data
 * </pre>
 */
public final class IsoWriter {
    private static final int FIRST_FREE_LBA = 19;

    private final String volumeId;
    private final Instant timestamp;
    private final DirectoryTree tree = new DirectoryTree();

    public IsoWriter(String volumeId, Instant timestamp) {
        this.volumeId = checkVolumeId(volumeId);
        this.timestamp = checkTimestamp(timestamp);
    }

    private static String checkVolumeId(String id) {
        if (id == null || id.isEmpty()) {
            throw new IsoException("ISO volume id is empty: give a label of 1 to 32 characters, such as config-2.");
        }
        if (id.length() > 32) {
            throw new IsoException("ISO volume id \"" + id + "\" has " + id.length()
                    + " characters; ISO 9660 allows at most 32 (ECMA-119 8.4.6): shorten it.");
        }
        if (!id.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new IsoException("ISO volume id \"" + id + "\" has characters outside printable ASCII, which "
                    + "the primary volume descriptor cannot hold: use letters, digits, '-' and '_'.");
        }
        return id;
    }

    private static Instant checkTimestamp(Instant t) {
        if (t == null) {
            throw new IsoException("ISO timestamp is missing: pass the build's output timestamp.");
        }
        int year = t.atZone(ZoneOffset.UTC).getYear();
        if (year < 1900 || year > 2155) {
            throw new IsoException("ISO timestamp " + t + " is outside 1900-2155, the years a directory record "
                    + "can hold (ECMA-119 9.1.5): set project.build.outputTimestamp to a date in that range.");
        }
        return t;
    }

    /** Adds a file; {@code path} is '/'-separated and relative to the root, its directories are implied. */
    public IsoWriter addFile(String path, byte[] data) {
        tree.addFile(path, data);
        return this;
    }

    public void write(Path out) throws IOException {
        byte[] image = toBytes();
        AtomicFiles.write(out, o -> o.write(image));
    }

    public byte[] toBytes() {
        byte[] date = Ecma119.recordDate(timestamp);
        byte[] er = RockRidge.er();
        PrimaryHierarchy primary = new PrimaryHierarchy(tree.root, date);
        JolietHierarchy joliet = new JolietHierarchy(tree.root);

        // layout: every size is known before any location, so one pass assigns them all
        int primaryTableSize = primary.pathTable(false).length;
        int jolietTableSize = joliet.pathTable(false).length;
        int lba = FIRST_FREE_LBA;
        int[] tables = new int[4];
        for (int i = 0; i < 4; i++) {
            tables[i] = lba;
            lba += Ecma119.sectors(i < 2 ? primaryTableSize : jolietTableSize);
        }
        lba = joliet.place(primary.place(lba));
        int continuation = lba++;
        primary.continuationAt(continuation);
        Map<Node, Extent> files = new HashMap<>();
        int dataStart = lba;
        for (Node file : primary.files()) {
            // an empty file has no data; like mkisofs, point it at the data area rather than at sector 0
            files.put(file, new Extent(file.data.length == 0 ? dataStart : lba, file.data.length));
            lba += Ecma119.sectors(file.data.length);
        }
        long bytes = (long) lba * Ecma119.SECTOR;
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IsoException("ISO image would be " + bytes + " bytes; this writer keeps images under 2 GiB: "
                    + "put less data on it.");
        }

        byte[] image = new byte[(int) bytes];
        put(image, 16, VolumeDescriptor.primary(new VolumeDescriptor.Volume(volumeId, lba, primaryTableSize,
                tables[0], tables[1], primary.rootRecord(date), timestamp)));
        // Joliet volume id: 32 bytes of UCS-2 hold 16 characters (mkisofs truncates the same way)
        put(image, 17, VolumeDescriptor.joliet(new VolumeDescriptor.Volume(
                volumeId.substring(0, Math.min(16, volumeId.length())), lba, jolietTableSize,
                tables[2], tables[3], joliet.rootRecord(date), timestamp)));
        put(image, 18, VolumeDescriptor.terminator());
        put(image, continuation, er);
        put(image, tables[0], primary.pathTable(false));
        put(image, tables[1], primary.pathTable(true));
        put(image, tables[2], joliet.pathTable(false));
        put(image, tables[3], joliet.pathTable(true));
        for (Hierarchy h : new Hierarchy[] {primary, joliet}) {
            for (Node dir : h.directories()) {
                put(image, h.extent(dir).lba(), h.pack(dir, files::get, date));
            }
        }
        files.forEach((file, extent) -> put(image, extent.lba(), file.data));
        return image;
    }

    private static void put(byte[] image, int lba, byte[] bytes) {
        System.arraycopy(bytes, 0, image, lba * Ecma119.SECTOR, bytes.length);
    }
}
