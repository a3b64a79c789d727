package dev.archcore.image;

import dev.archcore.pacman.InputLimits;
import dev.archcore.util.Bounded;
import dev.archcore.util.Compressed;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** A few named files read out of a package archive, for what the recipes derive from package contents. */
final class PackageFiles {
    private PackageFiles() {
    }

    /**
     * @return the content of each member of {@code names} the archive has, by member name, from the package's bytes
     * once they turned out to be the ones verified as {@code sha256} ({@link PackageBytes})
     */
    static Map<String, byte[]> read(ImagePackage request, String sha256, Set<String> names) {
        Map<String, byte[]> out = new TreeMap<>();
        if (names.isEmpty()) {
            return out;
        }
        Path pkg = request.file();
        try (PackageBytes raw = PackageBytes.open(request, sha256);
             InputStream in = Compressed.open(raw.in());
             TarArchiveInputStream tar = new TarArchiveInputStream(in, "UTF-8")) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null && out.size() < names.size(); ) {
                if (e.isFile() && names.contains(e.getName())) {
                    out.put(e.getName(), Bounded.readAll(tar, InputLimits.RECIPE_FILE, pkg + ": member " + e.getName()));
                }
            }
            raw.check(); // nothing read is used unless the whole file is what was verified
        } catch (IOException e) {
            throw new ImageBuildException("cannot read package " + pkg + ": " + e.getMessage(), e);
        }
        return out;
    }
}
