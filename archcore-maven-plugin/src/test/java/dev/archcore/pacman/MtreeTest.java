package dev.archcore.pacman;

import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MtreeTest {

    /** Our escaping against libarchive's, for the names that need it. */
    @Test
    void namesAreEscapedLikeBsdtar(@TempDir Path tmp) throws IOException {
        Tools.require("bsdtar");
        List<String> names = List.of("plain.txt", "with space", "café-日本", "hash#equals=back\\slash", "tab\there",
                "quote\"and'", "brace{}[]*?");
        for (String name : names) {
            Files.writeString(tmp.resolve(name), "x");
        }
        String out = Tools.run(tmp, List.of("bsdtar", "-cf", "-", "--format=mtree", "--options=!all,type", ".")
                .toArray(String[]::new)).ok("bsdtar mtree").text();
        for (String name : names) {
            assertThat(out).as(name).contains("./" + Mtree.escape(name) + " ");
        }
    }
}
