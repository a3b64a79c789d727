package dev.archcore.image;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one-pass check of plain names gives what splitting gives, and refuses what splitting refuses. */
class EntryPathsTest {

    @Test
    void plainAndOddNamesGiveTheJoinedComponents() {
        for (String raw : List.of("usr", "usr/", "usr/bin/x", "usr/share/doc/", ".hidden", "etc/.config/a",
                "a/..b/c", "a/b../c", "a/.w/b", "a/...", "./usr/bin/x", "./", ".", "usr//bin", "usr/./bin/",
                "usr/bin/./", "a b/c d")) {
            assertThat(EntryPaths.path(raw, "test")).as(raw)
                    .isEqualTo(String.join("/", EntryPaths.components(raw, "test")));
        }
    }

    @Test
    void refusedNamesAreRefusedByBoth() {
        for (String raw : List.of("/etc/passwd", "../etc/passwd", "usr/../../etc/passwd", "usr/..", "..",
                "usr/.wh.bin", ".wh..wh..opq", "a/.wh.x/")) {
            assertThatThrownBy(() -> EntryPaths.components(raw, "test")).as(raw).isInstanceOf(ImageBuildException.class);
            assertThatThrownBy(() -> EntryPaths.path(raw, "test")).as(raw).isInstanceOf(ImageBuildException.class)
                    .hasMessageContaining("'" + raw + "'");
        }
    }
}
