package dev.archcore.pacman;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompressionTest {

    @Test
    void acceptsNamesAndExtensions() {
        assertThat(Compression.parse("zst")).isEqualTo(Compression.ZSTD);
        assertThat(Compression.parse(".pkg.tar.zst")).isEqualTo(Compression.ZSTD);
        assertThat(Compression.parse("XZ")).isEqualTo(Compression.XZ);
        assertThat(Compression.parse("gzip")).isEqualTo(Compression.GZIP);
        assertThat(Compression.parse("tar.gz")).isEqualTo(Compression.GZIP);
        assertThat(Compression.parse("none")).isEqualTo(Compression.NONE);
        assertThat(Compression.parse(".pkg.tar")).isEqualTo(Compression.NONE);
    }

    @Test
    void rejectsTheUnknownWithTheChoices() {
        assertThatThrownBy(() -> Compression.parse("bz2")).hasMessageContaining("use zst (default), xz, gz or none");
    }
}
