package dev.archcore.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The index cache gives back every field the package reader found, and refuses what it cannot read. */
class PackageIndexCodecTest {

    @Test
    void everyFieldSurvivesTheCache(@TempDir Path tmp) throws IOException {
        TestClosure closure = TestClosure.make(tmp);
        for (Path file : closure.files()) {
            PackageIndex index = PackageIndexer.read(file, Digests.sha256(file));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PackageIndexCodec.write(index, out);
            PackageIndex back = PackageIndexCodec.read(new ByteArrayInputStream(out.toByteArray()), true);

            assertThat(back).usingRecursiveComparison().isEqualTo(index);
            assertThat(back.entries()).isEqualTo(index.entries()); // records: every attribute, link and pax value
            assertThat(index.entries()).isNotEmpty();

            // the metadata alone: the same members, and nothing of the contents
            PackageIndex metadata = PackageIndexCodec.read(new ByteArrayInputStream(out.toByteArray()), false);
            assertThat(metadata).usingRecursiveComparison().ignoringFields("entries", "backupMd5", "captured")
                    .isEqualTo(index);
            assertThat(metadata.entries()).isNull();
            assertThat(metadata.captured()).isNull();

            byte[] cut = java.util.Arrays.copyOf(out.toByteArray(), out.size() / 2);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> PackageIndexCodec.read(new ByteArrayInputStream(cut), true))
                    .isInstanceOf(IOException.class);
        }
        assertThat(PackageIndexer.read(closure.owners, Digests.sha256(closure.owners)).install()).isNotNull();
    }
}
