package dev.archcore.image;

import dev.archcore.util.Log;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files a {@link Recipe} adds to the config layer, instead of the steps Arch's container build runs in a
 * chroot: {@code pacman-key --init/--populate} ({@link ImageKeyring}), {@code update-ca-trust} (the PEM bundle of
 * the trusted anchors), the empty package cache; for the builder, its user, home and makepkg.conf.
 */
final class RecipeFiles {
    static final String BUILD_USER = "builder";
    static final long BUILD_ID = 1000;
    static final String BUILD_HOME = "home/" + BUILD_USER;
    static final String BUNDLE = "etc/ca-certificates/extracted/tls-ca-bundle.pem";
    private static final List<String> TRUST_SOURCES = List.of("usr/share/ca-certificates/trust-source/",
            "etc/ca-certificates/trust-source/");
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN (?:TRUSTED )?CERTIFICATE-----\\s+([A-Za-z0-9+/=\\s]+?)-----END (?:TRUSTED )?CERTIFICATE-----");

    private RecipeFiles() {
    }

    /** sysusers.d lines the recipe adds (the build user), by the path they are also written to. */
    static Map<String, byte[]> sysusers(Recipe recipe, RootfsPlan plan) {
        if (recipe.kind() != Recipe.Kind.BUILDER) {
            return Map.of();
        }
        String shell = plan.exists("usr/bin/bash") ? "/usr/bin/bash" : "/bin/sh";
        return Map.of("etc/sysusers.d/archcore-builder.conf", ("# the unprivileged user of archcore's builder image\n"
                + "u " + BUILD_USER + " " + BUILD_ID + ":" + BUILD_ID + " \"archcore package builder\" /" + BUILD_HOME
                + " " + shell + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static List<LayerEntry> entries(Recipe recipe, RootfsPlan plan, List<PackageIndex.Loaded> packages, long time,
                                    Log log) {
        List<LayerEntry> out = new ArrayList<>();
        if (recipe.kind() == Recipe.Kind.APP) {
            return out;
        }
        out.add(LayerEntry.directory("var/cache/pacman/pkg", 0755, time));
        out.add(LayerEntry.directory("var/lib/pacman/sync", 0755, time));
        out.add(LayerEntry.directory("tmp", 01777, time));
        out.addAll(keyring(recipe, plan, packages, time, log));
        out.addAll(caBundle(plan, packages, time, log));
        if (recipe.kind() == Recipe.Kind.BUILDER) {
            out.addAll(builder(plan, packages, time));
        }
        sysusers(recipe, plan).forEach((path, bytes) -> out.add(LayerEntry.file(path, 0644, time, bytes)));
        return out;
    }

    private static List<LayerEntry> keyring(Recipe recipe, RootfsPlan plan, List<PackageIndex.Loaded> packages,
                                            long time, Log log) {
        Map<String, byte[]> files = new TreeMap<>();
        read(plan, packages, p -> p.startsWith(ImageKeyring.SOURCE) && p.indexOf('/', ImageKeyring.SOURCE.length()) < 0)
                .forEach((path, bytes) -> files.put(path.substring(ImageKeyring.SOURCE.length()), bytes));
        List<ImageKeyring.Source> sources = ImageKeyring.sources(files);
        if (sources.isEmpty()) {
            throw new ImageBuildException("the " + recipe + " image has no keyring package (no /" + ImageKeyring.SOURCE
                    + "*.gpg), so pacman inside could verify nothing: add the keyring package of the distribution "
                    + "(archlinux-keyring, archlinux32-keyring or archlinuxarm-keyring) to the packages");
        }
        List<LayerEntry> out = new ArrayList<>();
        out.add(LayerEntry.directory(ImageKeyring.DIR, 0755, time));
        ImageKeyring.files(sources, time, recipe.keyringSeed()).forEach((path, bytes) ->
                out.add(LayerEntry.file(path, 0644, time, bytes)));
        log.info("pacman keyring initialised from " + String.join(", ", sources.stream().map(ImageKeyring.Source::name).toList()));
        return out;
    }

    /** update-ca-trust's PEM bundle: the certificates of the trust sources, minus p11-kit objects marked distrusted. */
    private static List<LayerEntry> caBundle(RootfsPlan plan, List<PackageIndex.Loaded> packages, long time, Log log) {
        Map<String, byte[]> sources = read(plan, packages, p -> TRUST_SOURCES.stream().anyMatch(p::startsWith)
                && !p.contains("/blocklist/") && !p.contains("/blacklist/"));
        if (sources.isEmpty()) {
            return List.of();
        }
        Set<String> certificates = new java.util.LinkedHashSet<>();
        sources.forEach((path, bytes) -> {
            String text = new String(bytes, StandardCharsets.UTF_8);
            // a .p11-kit file holds objects separated by [p11-kit-object-v1] headers, each with its trust flags
            for (String object : text.split("\\[p11-kit-object-v1]")) {
                if (object.contains("x-distrusted: true") || object.contains("trusted: false")) {
                    continue;
                }
                Matcher m = PEM.matcher(object);
                while (m.find()) {
                    certificates.add("-----BEGIN CERTIFICATE-----\n" + wrap(m.group(1).replaceAll("\\s", ""))
                            + "-----END CERTIFICATE-----\n");
                }
            }
        });
        List<LayerEntry> out = new ArrayList<>();
        out.add(LayerEntry.file(BUNDLE, 0644, time, String.join("", certificates).getBytes(StandardCharsets.US_ASCII)));
        if (!plan.exists("etc/ssl/certs/ca-certificates.crt")) {
            out.add(LayerEntry.symlink("etc/ssl/certs/ca-certificates.crt", "../../ca-certificates/extracted/tls-ca-bundle.pem", time));
        }
        log.info("ca-certificates: " + certificates.size() + " trusted certificates in /" + BUNDLE);
        return out;
    }

    private static List<LayerEntry> builder(RootfsPlan plan, List<PackageIndex.Loaded> packages, long time) {
        List<LayerEntry> out = new ArrayList<>();
        for (String dir : List.of(BUILD_HOME, BUILD_HOME + "/packages", BUILD_HOME + "/sources", BUILD_HOME + "/build")) {
            out.add(new LayerEntry(dir, ArchiveEntry.Kind.DIRECTORY, 0755, BUILD_ID, BUILD_ID, BUILD_USER, BUILD_USER,
                    time, 0, null, Map.of(), null));
        }
        byte[] shipped = read(plan, packages, "etc/makepkg.conf"::equals).get("etc/makepkg.conf");
        String conf = (shipped == null ? "#\n# /etc/makepkg.conf (no package ships one)\n#\n"
                : new String(shipped, StandardCharsets.UTF_8)) + "\n"
                + "#-- archcore builder image: build as " + BUILD_USER + ", results where a volume can collect them\n"
                + "BUILDDIR=/" + BUILD_HOME + "/build\n"
                + "PKGDEST=/" + BUILD_HOME + "/packages\n"
                + "SRCDEST=/" + BUILD_HOME + "/sources\n"
                + "PKGEXT='.pkg.tar.zst'\n"
                + "MAKEFLAGS=\"-j$(nproc)\"\n";
        out.add(LayerEntry.file("etc/makepkg.conf", 0644, time, conf.getBytes(StandardCharsets.UTF_8)));
        if (plan.exists("usr/bin/sudo")) {
            // makepkg -s installs dependencies through sudo pacman
            out.add(LayerEntry.file("etc/sudoers.d/" + BUILD_USER, 0440, time,
                    (BUILD_USER + " ALL=(ALL:ALL) NOPASSWD: /usr/bin/pacman\n").getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    /** Regular files of the root whose path passes {@code wanted}, read from the packages that own them. */
    private static Map<String, byte[]> read(RootfsPlan plan, List<PackageIndex.Loaded> packages,
                                            java.util.function.Predicate<String> wanted) {
        Map<String, byte[]> out = new TreeMap<>();
        for (PackageIndex.Loaded p : packages) {
            Map<String, String> byMember = new LinkedHashMap<>();
            for (LayerEntry e : plan.entries(p)) {
                if (e.kind() == ArchiveEntry.Kind.FILE && e.content() instanceof LayerEntry.FromPackage f
                        && wanted.test(e.path())) {
                    byMember.put(f.name(), e.path());
                }
            }
            PackageFiles.read(p.request(), p.index().sha256(), new TreeSet<>(byMember.keySet()))
                    .forEach((member, bytes) -> out.put(byMember.get(member), bytes));
        }
        return out;
    }

    private static String wrap(String base64) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < base64.length(); i += 64) {
            b.append(base64, i, Math.min(base64.length(), i + 64)).append('\n');
        }
        return b.toString();
    }
}
