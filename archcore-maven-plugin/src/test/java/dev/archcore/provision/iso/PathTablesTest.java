package dev.archcore.provision.iso;

import dev.archcore.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The path tables (ECMA-119 9.4), which every reader the other tests use skips (they walk directory records),
 * parsed here from the image's raw bytes, independently of the writer: for the primary and the Joliet volume,
 * the Type L and Type M tables hold the same entries, each entry's extent is the directory whose "." record says
 * that extent and whose ".." record names the entry's parent's extent, and the entries (names, parents, order)
 * are those of genisoimage's tables for the same folder. isoinfo -p, a real reader of the Type L table, agrees.
 */
class PathTablesTest {
    private static final int SECTOR = 2048;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void tools() {
        Tools.require("genisoimage", "isoinfo");
    }

    /** One path table record: what 9.4 stores. */
    record Entry(String name, long extent, int parent) {
    }

    /** A volume's tables: type 1 (primary) or 2 (Joliet). */
    record Volume(int type, List<Entry> typeL, List<Entry> typeM) {
    }

    static List<Volume> volumes(byte[] iso) {
        List<Volume> volumes = new ArrayList<>();
        for (int sector = 16; ; sector++) {
            ByteBuffer d = ByteBuffer.wrap(iso, sector * SECTOR, SECTOR).slice().order(ByteOrder.LITTLE_ENDIAN);
            int type = d.get(0) & 0xff;
            assertThat(new String(iso, sector * SECTOR + 1, 5, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("CD001");
            if (type == 255) {
                return volumes;
            }
            if (type == 1 || type == 2) {
                long size = d.getInt(132) & 0xffffffffL;
                assertThat(d.order(ByteOrder.BIG_ENDIAN).getInt(136) & 0xffffffffL).as("both-endian size").isEqualTo(size);
                long l = d.order(ByteOrder.LITTLE_ENDIAN).getInt(140) & 0xffffffffL;
                long m = d.order(ByteOrder.BIG_ENDIAN).getInt(148) & 0xffffffffL;
                volumes.add(new Volume(type, table(iso, l, size, ByteOrder.LITTLE_ENDIAN, type),
                        table(iso, m, size, ByteOrder.BIG_ENDIAN, type)));
            }
        }
    }

    static List<Entry> table(byte[] iso, long sector, long size, ByteOrder order, int volumeType) {
        ByteBuffer t = ByteBuffer.wrap(iso, (int) (sector * SECTOR), (int) size).slice().order(order);
        List<Entry> entries = new ArrayList<>();
        while (t.hasRemaining()) {
            int length = t.get() & 0xff;
            t.get(); // extended attribute record length
            long extent = t.getInt() & 0xffffffffL;
            int parent = t.getShort() & 0xffff;
            byte[] id = new byte[length];
            t.get(id);
            if (length % 2 == 1) {
                t.get();
            }
            String name = id.length == 1 && id[0] == 0 ? "<root>" : volumeType == 2
                    ? new String(id, java.nio.charset.StandardCharsets.UTF_16BE)
                    : new String(id, java.nio.charset.StandardCharsets.US_ASCII);
            entries.add(new Entry(name, extent, parent));
        }
        return entries;
    }

    /** The extent a directory's first ("." when {@code which} is 0) or second ("..") record names. */
    static long selfOrParent(byte[] iso, long extent, int which) {
        int at = (int) (extent * SECTOR);
        if (which == 1) {
            at += iso[at] & 0xff;
        }
        assertThat(iso[at + 33]).as("record identifier at sector " + extent).isEqualTo((byte) which);
        return ByteBuffer.wrap(iso, at + 2, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
    }

    static void assertConsistent(byte[] iso, Volume v) {
        assertThat(v.typeM()).as("Type M holds the Type L entries").isEqualTo(v.typeL());
        List<Entry> e = v.typeL();
        assertThat(e.get(0).name()).isEqualTo("<root>");
        assertThat(e.get(0).parent()).isEqualTo(1);
        for (int i = 0; i < e.size(); i++) {
            Entry entry = e.get(i);
            assertThat(entry.parent()).as(entry + ": a parent listed before it").isBetween(1, Math.max(1, i));
            assertThat(selfOrParent(iso, entry.extent(), 0)).as(entry + ": the '.' record of its extent").isEqualTo(entry.extent());
            assertThat(selfOrParent(iso, entry.extent(), 1)).as(entry + ": the '..' record is its parent's extent")
                    .isEqualTo(e.get(entry.parent() - 1).extent());
        }
    }

    /** Names and parent numbers: what two writers of the same folder must agree on (extents differ by layout). */
    static List<String> shape(Volume v) {
        return v.typeL().stream().map(e -> e.parent() + " " + e.name()).toList();
    }

    @Test
    void thePathTablesNameEveryDirectoryAsItsRecordsDoAndAsGenisoimagesDo() throws IOException {
        Map<String, byte[]> files = IsoWriterTest.sample();
        // more directories at several levels, in an order that is not the sorted one
        files.put("zeta/alpha/one", new byte[] {1});
        files.put("beta/zeta/two", new byte[] {2});
        files.put("beta/alpha/deeper/three", new byte[] {3});
        Path ours = tmp.resolve("ours.iso");
        IsoWriterTest.writer(files, Instant.parse("2024-03-05T06:07:08Z")).write(ours);
        Path folder = tmp.resolve("folder");
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.createDirectories(folder.resolve(f.getKey()).getParent());
            Files.write(folder.resolve(f.getKey()), f.getValue());
        }
        Path theirs = tmp.resolve("theirs.iso");
        Tools.run(tmp, "genisoimage", "-quiet", "-iso-level", "2", "-R", "-J", "-V", "config-2", "-o", theirs.toString(),
                folder.toString()).ok("genisoimage");

        byte[] ourBytes = Files.readAllBytes(ours);
        byte[] theirBytes = Files.readAllBytes(theirs);
        List<Volume> ourVolumes = volumes(ourBytes);
        List<Volume> theirVolumes = volumes(theirBytes);
        assertThat(ourVolumes).extracting(Volume::type).containsExactly(1, 2);
        assertThat(theirVolumes).extracting(Volume::type).containsExactly(1, 2);
        for (int i = 0; i < 2; i++) {
            assertConsistent(theirBytes, theirVolumes.get(i)); // the parser is right about genisoimage's image
            assertConsistent(ourBytes, ourVolumes.get(i));
            assertThat(shape(ourVolumes.get(i))).as("volume type " + ourVolumes.get(i).type())
                    .isEqualTo(shape(theirVolumes.get(i)));
        }
        assertThat(shape(ourVolumes.get(0))).contains("1 BETA", "1 ZETA", "1 OPENSTACK");

        // isoinfo -p prints the primary Type L table: the same entries as parsed above
        List<String> listed = IsoReaders.isoinfo(ours, "-p").lines().filter(s -> s.matches("\\s*\\d+:.*")).toList();
        List<String> parsed = new ArrayList<>();
        List<Entry> l = ourVolumes.get(0).typeL();
        for (int i = 0; i < l.size(); i++) {
            Entry e = l.get(i);
            parsed.add((i + 1) + " " + e.parent() + " " + Long.toHexString(e.extent()) + " "
                    + (e.name().equals("<root>") ? "" : e.name()));
        }
        assertThat(listed.stream().map(s -> s.replaceAll("[\\s:]+", " ").strip()).sorted().toList())
                .isEqualTo(parsed.stream().map(String::strip).sorted().toList());
    }
}
