package dev.archcore.image;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.archcore.testing.FuzzRules;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for what an image build reads from packages and its cache: a package archive indexed without
 * extracting it, its {@code .PKGINFO}, and a package index cache file (which anyone who can write the cache
 * directory controls). Seeds in ImageFuzzTestInputs/; bench/fuzz.sh fuzzes each target.
 */
@Timeout(10)
class ImageFuzzTest {

    @FuzzTest
    void packageIndex(byte[] data) {
        if (data.length > FuzzRules.MAX_INPUT) {
            return;
        }
        Path file = FuzzRules.file("fuzz.pkg.tar", data);
        FuzzRules.onlyClearErrors(() -> {
            PackageIndex index = PackageIndexer.read(file, "0".repeat(64));
            PkgInfo info = PkgInfo.parse(index.pkginfo(), "fuzz.pkg.tar");
            assertThat(info.id()).isNotEmpty();
        }, ImageBuildException.class);
    }

    @FuzzTest
    void pkgInfo(byte[] data) {
        FuzzRules.onlyClearErrors(() -> PkgInfo.parse(data, "fuzz.pkg.tar"), ImageBuildException.class);
    }

    /** A damaged or forged cache entry may only be a miss (the package is read again): never an Error. */
    @FuzzTest
    void indexCache(byte[] data) {
        for (boolean contents : new boolean[] {false, true}) {
            try {
                PackageIndexCodec.read(new ByteArrayInputStream(data), contents);
            } catch (IOException | RuntimeException e) {
                // PackageIndexer.cached() takes these for a miss
            }
        }
    }
}
