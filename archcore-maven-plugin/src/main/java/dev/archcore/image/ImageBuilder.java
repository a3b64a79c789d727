package dev.archcore.image;

import dev.archcore.util.AtomicFiles;
import dev.archcore.util.CacheKey;
import dev.archcore.util.LargestFirst;
import dev.archcore.util.Log;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Builds a container image from an ordered list of pacman package files, with no extraction to disk, no
 * fakeroot and no container engine: plan the root file system as pacman would install it (conflicts, NoExtract,
 * symlinks, the local database), spread the packages over layers, stream each layer from the package archives
 * (or take it from the cache), then write the OCI layout, the docker-archive, the SBOM and the digest.
 * Scriptlets and hooks do not run; what they would have done for a minimal image (users, os-release) is
 * generated into a small config layer on top.
 */
public final class ImageBuilder {
    private static final Pattern HOOK = Pattern.compile("(usr/share/libalpm/hooks|etc/pacman\\.d/hooks)/[^/]+\\.hook");
    private static final String LAYER_FORMAT = "archcore-layer-v1";

    private ImageBuilder() {
    }

    /**
     * One layer to be built or taken from the cache; {@code hit} is set when it is known to be cached (then
     * {@code entries} is empty: it was never planned).
     */
    private record LayerSpec(String label, List<PackageIndex.Loaded> packages, List<LayerEntry> entries, String key,
                             String createdBy, long bytes, LayerCache.Hit hit) {
    }

    public static ImageResult build(ImageRequest request) {
        Log log = request.log();
        boolean temporary = request.cacheDir() == null;
        try {
            Path work = temporary ? Files.createTempDirectory("archcore-image") : request.cacheDir();
            // a throw-away cache needs no lasting key; a lasting one is authenticated with the user's
            CacheKey key = request.cacheKey() != null ? request.cacheKey()
                    : temporary ? CacheKey.ephemeral() : CacheKey.user();
            try {
                return build(request, work, key, log);
            } finally {
                if (temporary) {
                    OciLayoutWriter.deleteTree(work);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The packages (indexed), their layer groups, and what an earlier build left for the dependency layers:
     * their cached layers ({@code reused}, all or none) with the plan after them, or neither.
     */
    private record Prepared(List<PackageIndex.Loaded> packages, List<Layering.Group> groups, int dependencyGroups,
                            String inputs, List<LayerSpec> reused, RootfsPlan dependencyPlan) {
    }

    private static Prepared prepare(ImageRequest request, List<String> noExtract, PackageIndexer indexer,
                                    LayerCache cache, DependencyLayerKeys remembered, Log log) {
        // an app image reads the dependencies' file lists only when their layers and plan are not all remembered
        boolean appImage = request.recipe().kind() == Recipe.Kind.APP;
        List<PackageIndex.Loaded> packages = request.packages().parallelStream()
                .map(r -> indexer.load(r, r.app() || !appImage)).toList();
        List<Layering.Group> groups = request.layering().assign(packages);
        List<Layering.Group> dependencyGroups = groups.stream()
                .filter(g -> g.packages().stream().noneMatch(p -> p.request().app())).toList();
        String inputs = DependencyLayerKeys.inputs(dependencyGroups, noExtract, request.compressionLevel(), LAYER_FORMAT);
        List<LayerSpec> reused = reusable(remembered.get(inputs, dependencyGroups), dependencyGroups, cache);
        RootfsPlan dependencyPlan = reused.isEmpty() || !appImage ? null
                : remembered.plan(inputs, new NoExtract(noExtract), log);
        if (dependencyPlan != null) {
            log.debug("dependency layers unchanged since an earlier build: their cache keys and plan are remembered");
            return new Prepared(packages, groups, dependencyGroups.size(), inputs, reused, dependencyPlan);
        }
        List<PackageIndex.Loaded> full = packages.parallelStream()
                .map(p -> p.index().entries() != null ? p : indexer.load(p.request(), true)).toList();
        return new Prepared(full, request.layering().assign(full), dependencyGroups.size(), inputs, List.of(), null);
    }

    private static ImageResult build(ImageRequest request, Path work, CacheKey key, Log log) throws IOException {
        long started = System.nanoTime();
        List<String> noExtract = new ArrayList<>(request.recipe().noExtract());
        noExtract.addAll(request.noExtract()); // the user's patterns come last, so they win
        LayerCache cache = new LayerCache(work, key);
        DependencyLayerKeys remembered = new DependencyLayerKeys(work, key);
        Prepared prepared = prepare(request, noExtract, new PackageIndexer(work, key), cache, remembered, log);
        List<PackageIndex.Loaded> packages = prepared.packages();
        List<LayerSpec> reused = prepared.reused();
        Platform platform = Platform.of(packages, request.arch(), "amd64");

        List<String> constituents = packages.stream().map(p -> p.name() + "=" + p.info().pkgver()).toList();
        List<ImageResult.Layer> results = new ArrayList<>();
        List<BuiltImage.Layer> layers = new ArrayList<>();
        BuiltImage image;
        Path firstOutput = request.ociLayout() != null ? request.ociLayout() : request.dockerArchive();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        // the blobs that reach the outputs: cached ones hashed as they are staged, new ones written there; closed
        // in reverse order: the archive, the pool (its tasks write into the staging directory), the staging
        try (StagedBlobs staged = firstOutput == null ? null : StagedBlobs.beside(firstOutput);
             Closeable stopPool = () -> stop(pool);
             DockerArchiveWriter.InProgress archive = request.dockerArchive() == null ? null
                     : DockerArchiveWriter.begin(request.dockerArchive())) {
            // the docker-archive takes each layer as soon as it exists: reused dependency layers are checked and
            // copied into it while the root is planned and the app layer compresses
            List<Future<ImageResult.Layer>> reusedLayers = new ArrayList<>();
            for (LayerSpec s : reused) {
                Future<ImageResult.Layer> layer = pool.submit(() -> cached(s, s.hit(), cache, staged));
                reusedLayers.add(layer);
                if (archive != null) {
                    archive.layer(() -> builtLayer(get(layer), staged, cache));
                }
            }
            List<LayerSpec> specs = specs(request, packages, platform, noExtract, prepared.groups(), reused,
                    prepared.dependencyPlan(), plan -> remembered.putPlan(prepared.inputs(), plan), log);
            if (reused.isEmpty() && prepared.dependencyGroups() > 0) {
                remembered.put(prepared.inputs(), specs.subList(0, prepared.dependencyGroups()).stream()
                        .map(sp -> new DependencyLayerKeys.Known(sp.label(), sp.key(), sp.bytes())).toList());
            }
            buildLayers(specs, reusedLayers, packages, cache, staged, pool, request.compressionLevel(), log, results,
                    layers, (i, layer) -> {
                        if (archive != null && i >= reused.size()) {
                            archive.layer(() -> layer);
                        }
                    });

            List<OciImage.History> history = specs.stream().map(s -> new OciImage.History(s.createdBy(), s.label())).toList();
            byte[] configJson = OciImage.config(request.config(), platform, request.buildTimestamp(),
                    layers.stream().map(BuiltImage.Layer::diffId).toList(), history, constituents);
            String configDigest = "sha256:" + Digests.sha256(configJson);
            byte[] manifest = OciImage.manifest(configDigest, configJson.length, layers);
            image = new BuiltImage(request.name(), request.tag(), configJson, configDigest, manifest,
                    "sha256:" + Digests.sha256(manifest), List.copyOf(layers), platform);

            if (request.ociLayout() != null) {
                OciLayoutWriter.write(image, request.ociLayout());
                log.info("OCI layout " + request.ociLayout() + " (tag " + request.tag() + ")");
            }
            if (archive != null) {
                archive.finish(image);
                log.info("docker-archive " + request.dockerArchive() + " (" + image.reference() + ")");
            }
        }
        String manifestDigest = image.manifestDigest();
        if (request.sbom() != null) {
            byte[] sbom = Sbom.write(image, packages, request.buildTimestamp(), "arch");
            AtomicFiles.write(request.sbom(), out -> out.write(sbom));
        }
        if (request.digestFile() != null) {
            AtomicFiles.write(request.digestFile(), out -> out.write(manifestDigest.getBytes(StandardCharsets.US_ASCII)));
        }
        log.info(String.format("image %s %s: %d packages, %d layers, %.1f s", image.reference(), manifestDigest,
                packages.size(), layers.size(), (System.nanoTime() - started) / 1e9));
        return new ImageResult(image.reference(), manifestDigest, image.configDigest(), List.copyOf(results),
                request.ociLayout(), request.dockerArchive(), request.sbom(), constituents);
    }

    /**
     * Plans the root (conflicts, NoExtract, symlinks, the local database) and returns every layer's spec in image
     * order: the package groups, then the config layer. With the dependencies' plan remembered (their layers are
     * all {@code reused}), only the app is planned, against it; else the dependencies are planned first and
     * {@code planned} gets that plan to remember before the app is added.
     */
    private static List<LayerSpec> specs(ImageRequest request, List<PackageIndex.Loaded> packages, Platform platform,
                                         List<String> noExtract, List<Layering.Group> groups, List<LayerSpec> reused,
                                         RootfsPlan dependencyPlan, Consumer<RootfsPlan> planned, Log log) {
        Map<String, List<LayerEntry>> database = new LinkedHashMap<>();
        List<PackageIndex.Loaded> apps = packages.stream().filter(p -> p.request().app()).toList();
        RootfsPlan plan = dependencyPlan;
        if (plan == null) {
            plan = RootfsPlan.empty(new NoExtract(noExtract), log);
            if (request.recipe().kind() == Recipe.Kind.APP) {
                // the app packages come last: plan the dependencies, remember that, then the app
                planAll(plan, packages.stream().filter(p -> !p.request().app()).toList(), database);
                planned.accept(plan);
                planAll(plan, apps, database);
            } else {
                // a package list: explicit packages may come before dependencies in install order
                planAll(plan, packages, database);
            }
        } else {
            planAll(plan, apps, database);
        }
        reportSkipped(packages, plan, log);
        RootfsPlan root = plan;

        // sorting and fingerprinting every entry is most of a warm build: the layers share the cores (the plan
        // is only read from here on)
        List<LayerSpec> specs = new ArrayList<>(reused);
        specs.addAll(groups.subList(reused.size(), groups.size()).parallelStream().map(g -> {
            List<LayerEntry> entries = new ArrayList<>();
            g.packages().forEach(p -> {
                entries.addAll(root.entries(p));
                entries.addAll(database.get(p.name()));
            });
            entries.add(LocalDatabase.versionFile());
            return spec(g.label(), g.packages(), entries, root, request.compressionLevel(), createdBy(g));
        }).toList());
        List<LayerEntry> config = ConfigLayer.entries(root, RecipeFiles.sysusers(request.recipe(), root), platform,
                request.buildTimestamp(), log);
        config.addAll(RecipeFiles.entries(request.recipe(), root, packages, request.buildTimestamp(), log));
        specs.add(spec("config", List.of(), config, root, request.compressionLevel(),
                "archcore: generate " + ConfigLayer.describe(config)));
        return specs;
    }

    /** The sorted entries of a layer, with every parent directory (as the root has it), and its cache key. */
    private static LayerSpec spec(String label, List<PackageIndex.Loaded> packages, List<LayerEntry> entries,
                                  RootfsPlan plan, int level, String createdBy) {
        TreeMap<String, LayerEntry> sorted = new TreeMap<>(EntryPaths.ORDER);
        entries.forEach(e -> sorted.putIfAbsent(e.path(), e));
        for (String path : new ArrayList<>(sorted.keySet())) {
            for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
                String parent = path.substring(0, i);
                sorted.computeIfAbsent(parent, plan::directory);
            }
        }
        StringBuilder key = new StringBuilder(LAYER_FORMAT).append("\ngzip ").append(level).append('\n');
        sorted.values().forEach(e -> key.append(e.fingerprint()).append('\n'));
        return new LayerSpec(label, packages, List.copyOf(sorted.values()),
                Digests.sha256(key.toString().getBytes(StandardCharsets.UTF_8)), createdBy,
                sorted.values().stream().mapToLong(LayerEntry::size).sum(), null);
    }

    private static String createdBy(Layering.Group g) {
        return "archcore: install " + String.join(" ", g.packages().stream().map(p -> p.info().id()).toList());
    }

    /**
     * The dependency layers remembered for these inputs, in order, when every one of them is still in the layer
     * cache; else none, and every layer is planned.
     */
    private static List<LayerSpec> reusable(List<DependencyLayerKeys.Known> known, List<Layering.Group> groups,
                                            LayerCache cache) {
        if (known == null) {
            return List.of();
        }
        List<LayerSpec> specs = new ArrayList<>();
        for (int i = 0; i < known.size(); i++) {
            DependencyLayerKeys.Known k = known.get(i);
            LayerCache.Hit hit = cache.get(k.key());
            if (hit == null) {
                return List.of();
            }
            Layering.Group g = groups.get(i);
            specs.add(new LayerSpec(g.label(), g.packages(), List.of(), k.key(), createdBy(g), k.bytes(), hit));
        }
        return specs;
    }

    /**
     * Builds (or takes from the cache) every layer not {@code reused} (those are {@code reusedLayers}, already
     * under way), and hands each to {@code done} in image order.
     */
    private static void buildLayers(List<LayerSpec> specs, List<Future<ImageResult.Layer>> reusedLayers,
                                    List<PackageIndex.Loaded> packages, LayerCache cache, StagedBlobs staged,
                                    ExecutorService pool, int level, Log log, List<ImageResult.Layer> results,
                                    List<BuiltImage.Layer> layers, BiConsumer<Integer, BuiltImage.Layer> done)
            throws IOException {
        Map<String, PackageIndex.Loaded> bySha = new LinkedHashMap<>();
        packages.forEach(p -> bySha.put(p.index().sha256(), p));
        // largest first: the biggest layer no longer starts last and finishes alone on one core
        List<Future<ImageResult.Layer>> futures = new ArrayList<>(Collections.nCopies(specs.size(), null));
        for (int i = 0; i < reusedLayers.size(); i++) {
            futures.set(i, reusedLayers.get(i));
        }
        for (int i : LargestFirst.order(specs.size(), i -> specs.get(i).bytes())) {
            LayerSpec s = specs.get(i);
            if (futures.get(i) == null) {
                futures.set(i, pool.submit(() -> buildLayer(s, bySha, cache, staged, level)));
            }
        }
        for (int i = 0; i < specs.size(); i++) {
            ImageResult.Layer r = get(futures.get(i));
            LayerSpec s = specs.get(i);
            results.add(r);
            BuiltImage.Layer layer = builtLayer(r, staged, cache);
            layers.add(layer);
            done.accept(i, layer);
            log.info(String.format("layer %d/%d %s%s: %s, %,d bytes%s", i + 1, specs.size(), s.label(),
                    r.packages().isEmpty() ? "" : " [" + String.join(" ", r.packages()) + "]",
                    r.digest().substring(0, 19), r.size(),
                    r.cached() ? ", reused from the layer cache" : ""));
        }
    }

    /** The layer as the outputs take it: its staged (checked) blob, or the cache's when there are no outputs. */
    private static BuiltImage.Layer builtLayer(ImageResult.Layer r, StagedBlobs staged, LayerCache cache) {
        Path blob = staged != null ? staged.dir().resolve(BuiltImage.hex(r.digest())) : cache.blob(r.digest());
        return new BuiltImage.Layer(r.diffId(), r.digest(), r.size(), blob);
    }

    private static ImageResult.Layer buildLayer(LayerSpec s, Map<String, PackageIndex.Loaded> bySha, LayerCache cache,
                                                StagedBlobs staged, int level) throws IOException {
        List<String> names = s.packages().stream().map(PackageIndex.Loaded::name).toList();
        LayerCache.Hit hit = s.hit() != null ? s.hit() : cache.get(s.key());
        if (hit != null) {
            return cached(s, hit, cache, staged);
        }
        LayerWriter.Written w = LayerWriter.write(s.entries(), bySha, level, staged != null ? staged.dir() : cache.blobs());
        LayerCache.Hit built = new LayerCache.Hit(w.diffId(), w.digest(), w.size(), w.tarSize());
        if (staged == null || cache.putBlob(w.blob(), w.digest())) {
            cache.put(s.key(), built);
        }
        return new ImageResult.Layer(s.label(), w.diffId(), w.digest(), w.size(), names, false);
    }

    /** A cached layer; with outputs, its blob is checked against the recorded digest as it is staged for them. */
    private static ImageResult.Layer cached(LayerSpec s, LayerCache.Hit hit, LayerCache cache, StagedBlobs staged)
            throws IOException {
        if (staged != null) {
            staged.verified(cache, s.key(), hit);
        }
        List<String> names = s.packages().stream().map(PackageIndex.Loaded::name).toList();
        return new ImageResult.Layer(s.label(), hit.diffId(), hit.digest(), hit.size(), names, true);
    }

    private static void stop(ExecutorService pool) throws IOException {
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                throw new IOException("the layer threads did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> T get(Future<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageBuildException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new ImageBuildException(cause.toString(), cause);
        }
    }

    /** Adds the packages to the plan in order, then claims their local database entries (kept in {@code database}). */
    private static void planAll(RootfsPlan plan, List<PackageIndex.Loaded> packages,
                                Map<String, List<LayerEntry>> database) {
        packages.forEach(plan::add);
        List<List<LayerEntry>> entries = packages.parallelStream().map(LocalDatabase::entries).toList();
        for (int i = 0; i < packages.size(); i++) {
            PackageIndex.Loaded p = packages.get(i);
            entries.get(i).forEach(e -> plan.claim(e, "the local database entry of '" + p.name() + "'"));
            database.put(p.name(), entries.get(i));
        }
    }

    /** pacman would run these; the image gets their declarative equivalents (or nothing) instead. */
    private static void reportSkipped(List<PackageIndex.Loaded> packages, RootfsPlan plan, Log log) {
        List<String> scriptlets = packages.stream().filter(p -> p.index().install() != null).map(PackageIndex.Loaded::name).toList();
        if (!scriptlets.isEmpty()) {
            log.info("install scriptlets not run (.INSTALL): " + String.join(", ", scriptlets));
        }
        Map<String, List<String>> hooks = plan.owners(path -> path.contains("/hooks/") && HOOK.matcher(path).matches());
        if (!hooks.isEmpty()) {
            List<String> lines = new ArrayList<>();
            hooks.forEach((pkg, list) -> lines.add(pkg + " (" + String.join(", ",
                    list.stream().map(path -> path.substring(path.lastIndexOf('/') + 1)).toList()) + ")"));
            log.info("libalpm hooks not run: " + String.join("; ", lines)
                    + "; users/groups and os-release are generated from sysusers.d instead");
        }
    }
}
