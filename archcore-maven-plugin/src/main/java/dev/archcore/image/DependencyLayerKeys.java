package dev.archcore.image;

import dev.archcore.util.AtomicFiles;
import dev.archcore.util.CacheKey;
import dev.archcore.util.Log;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The layer cache keys of the dependency layers, remembered under a digest of everything those layers are made
 * from, so a build where only the app changed need not sort and fingerprint the dependencies' 20,000 entries
 * (and build their database entries) again just to find that every dependency layer is cached.
 *
 * <p>Sound because a dependency layer depends on nothing above it: packages are planned in install order, the
 * app comes last, and an entry's parent directories (whose attributes come from their first owner) exist before
 * the entry. So the dependency layers are a function of the dependencies in order (each file's sha256, its
 * origin and validation), the layer grouping, NoExtract and the gzip level. Bump {@link #FORMAT} when planning
 * ({@link RootfsPlan}, {@link LocalDatabase}, {@link Layering}) changes what a layer holds.
 * Layout: {@code dependency-keys-v1/<digest>}, one line per dependency layer: {@code key bytes label}; and
 * {@code <digest>.plan}, the planned root after the dependencies ({@link RootfsPlan#writeSnapshot}), so the
 * dependencies' file lists need not even be read. Both files are sealed with the {@link CacheKey} under their
 * name: the plan decides the attributes of the app layer's parent directories, and the keys which cached layers
 * the image gets, so one that does not verify is computed again.
 */
final class DependencyLayerKeys {
    private static final String FORMAT = "dependency-keys-v1";

    /** One remembered dependency layer: its layer cache key and its uncompressed entry bytes (for scheduling). */
    record Known(String label, String key, long bytes) {
    }

    private final Path dir;
    private final CacheKey cacheKey;

    DependencyLayerKeys(Path cacheDir, CacheKey cacheKey) {
        this.dir = cacheDir.resolve(FORMAT);
        this.cacheKey = cacheKey;
    }

    /** The file's content when it is there and sealed with the cache key under its name, else null. */
    private byte[] open(String name) throws IOException {
        Path file = dir.resolve(name);
        return Files.isRegularFile(file) ? cacheKey.open(context(name), Files.readAllBytes(file)) : null;
    }

    private void seal(String name, byte[] content) throws IOException {
        byte[] stored = cacheKey.seal(context(name), content);
        AtomicFiles.write(dir.resolve(name), out -> out.write(stored));
    }

    private static String context(String name) {
        return "archcore " + FORMAT + " " + name;
    }

    /** The digest of every input of the dependency layers: the groups with their packages, NoExtract, level. */
    static String inputs(List<Layering.Group> dependencyGroups, List<String> noExtract, int level, String layerFormat) {
        StringBuilder s = new StringBuilder(FORMAT).append('\n').append(layerFormat).append("\ngzip ").append(level)
                .append("\nnoextract ").append(String.join("\0", noExtract)).append('\n');
        for (Layering.Group g : dependencyGroups) {
            s.append("group ").append(g.label()).append('\n');
            for (PackageIndex.Loaded p : g.packages()) {
                s.append(p.index().sha256()).append(' ').append(p.request().origin()).append(' ')
                        .append(p.request().app()).append(' ').append(p.request().validation()).append('\n');
            }
        }
        return Digests.sha256(s.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** What was remembered for these inputs, or null when nothing (or something unreadable) was. */
    List<Known> get(String inputs, List<Layering.Group> dependencyGroups) {
        try {
            byte[] content = open(inputs);
            if (content == null) {
                return null; // none, or not sealed with this user's key
            }
            List<String> lines = new String(content, StandardCharsets.UTF_8).lines().toList();
            if (lines.size() != dependencyGroups.size()) {
                return null;
            }
            List<Known> known = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String[] f = lines.get(i).split(" ", 3);
                if (f.length != 3 || !f[0].matches("[0-9a-f]{64}") || !f[2].equals(dependencyGroups.get(i).label())) {
                    return null;
                }
                known.add(new Known(f[2], f[0], Long.parseLong(f[1])));
            }
            return known;
        } catch (IOException | RuntimeException e) {
            return null; // a damaged entry: the full path computes the keys again
        }
    }

    /**
     * The root as planned up to the last dependency (with their database entries claimed), remembered under the
     * same inputs, or null: an app-only build plans only the app against it.
     */
    RootfsPlan plan(String inputs, NoExtract noExtract, Log log) {
        try {
            byte[] content = open(inputs + ".plan");
            return content == null ? null : RootfsPlan.readSnapshot(new ByteArrayInputStream(content), noExtract, log);
        } catch (IOException | RuntimeException e) {
            return null; // a damaged entry: the dependencies are planned again
        }
    }

    void putPlan(String inputs, RootfsPlan plan) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            plan.writeSnapshot(bytes);
            seal(inputs + ".plan", bytes.toByteArray());
        } catch (IOException e) {
            // only an optimisation
        }
    }

    void put(String inputs, List<Known> known) {
        StringBuilder s = new StringBuilder();
        known.forEach(k -> s.append(k.key()).append(' ').append(k.bytes()).append(' ').append(k.label()).append('\n'));
        try {
            seal(inputs, s.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // only an optimisation
        }
    }
}
