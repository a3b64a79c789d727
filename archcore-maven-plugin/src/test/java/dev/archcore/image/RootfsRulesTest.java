package dev.archcore.image;

import dev.archcore.testing.CraftedPackage;
import dev.archcore.testing.RecordingLog;
import dev.archcore.util.Log;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rules the engine applies to package entries, on hand-made archives: hostile paths are refused with the
 * package and entry named, file conflicts name both packages, directories keep their first owner's attributes,
 * hard links are re-pointed in the sorted layer, unsorted archives still give sorted layers.
 */
class RootfsRulesTest {
    @TempDir
    Path tmp;

    ImageResult build(List<Path> deps, Path app, Path layout, List<String> log) {
        List<ImagePackage> packages = new ArrayList<>();
        deps.forEach(d -> packages.add(ImagePackage.dependency(d)));
        if (app != null) {
            packages.add(ImagePackage.app(app));
        }
        return ImageBuilder.build(ImageRequest.of(packages, ImageConfig.empty(), 1_800_000_000L, "archcore/rules", "t",
                layout, null, tmp.resolve("cache"), ImageBuilderTest.collector(log)));
    }

    ImageResult build(Path... packages) {
        return build(List.of(packages), null, tmp.resolve("oci"), new ArrayList<>());
    }

    @Test
    void dotDotEntryIsRefused() {
        Path evil = new CraftedPackage("evil", "1-1").file("../../etc/passwd", "root::0:0::/:/bin/sh\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(evil)).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("evil-1-1-x86_64.pkg.tar.zst").hasMessageContaining("'../../etc/passwd'")
                .hasMessageContaining("'..' component");
    }

    @Test
    void dotDotInsideAPathIsRefused() {
        Path evil = new CraftedPackage("evil", "1-1").dir("usr/", 0755, 0, 0)
                .file("usr/../../etc/passwd", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(evil)).hasMessageContaining("'usr/../../etc/passwd'").hasMessageContaining("'..'");
    }

    @Test
    void absoluteEntryIsRefused() {
        Path evil = new CraftedPackage("evil", "1-1").file("/etc/passwd", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(evil)).hasMessageContaining("'/etc/passwd'").hasMessageContaining("absolute path");
    }

    @Test
    void entryThroughAnAbsoluteSymlinkIsRefused() {
        Path evil = new CraftedPackage("evil", "1-1").dir("usr/", 0755, 0, 0).symlink("usr/evil", "/etc")
                .file("usr/evil/passwd", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(evil)).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("package 'evil'").hasMessageContaining("entry 'usr/evil/passwd'")
                .hasMessageContaining("the symlink /usr/evil -> /etc").hasMessageContaining("outside the image root");
    }

    @Test
    void entryThroughAClimbingSymlinkIsRefused() {
        Path evil = new CraftedPackage("evil", "1-1").dir("usr/", 0755, 0, 0).symlink("usr/up", "../..")
                .file("usr/up/etc/passwd", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(evil)).hasMessageContaining("/usr/up -> ../..").hasMessageContaining("climbs above");
    }

    @Test
    void entryThroughAnotherPackagesSymlinkIsRefusedLikePacmanWouldBreakIt() {
        Path base = new CraftedPackage("base", "1-1").symlink("lib", "usr/lib").dir("usr/", 0755, 0, 0)
                .dir("usr/lib/", 0755, 0, 0).write(tmp);
        Path late = new CraftedPackage("late", "1-1").file("lib/libx.so", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(base, late)).hasMessageContaining("package 'late'")
                .hasMessageContaining("the symlink /lib -> usr/lib (from 'base')").hasMessageContaining("pacman would replace");
    }

    @Test
    void sameFileInTwoPackagesIsAConflictNamingBoth() {
        Path a = new CraftedPackage("alpha", "1-1").dir("usr/", 0755, 0, 0).dir("usr/bin/", 0755, 0, 0)
                .file("usr/bin/tool", "a\n", 0755, 0, 0).write(tmp);
        Path b = new CraftedPackage("beta", "1-1").dir("usr/", 0755, 0, 0).dir("usr/bin/", 0755, 0, 0)
                .file("usr/bin/tool", "b\n", 0755, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(a, b)).isInstanceOf(ImageBuildException.class)
                .hasMessageContaining("file conflict: /usr/bin/tool exists in both 'alpha' and 'beta'");
    }

    @Test
    void directoryWhereAnotherPackageHasASymlinkIsAConflict() {
        Path a = new CraftedPackage("alpha", "1-1").symlink("lib", "usr/lib").write(tmp);
        Path b = new CraftedPackage("beta", "1-1").dir("lib/", 0755, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(a, b)).hasMessageContaining("/lib exists in both 'alpha' and 'beta'");
    }

    @Test
    void whiteoutNamesAndDanglingHardLinksAreRefused() {
        Path wh = new CraftedPackage("wh", "1-1").file("etc/.wh.passwd", "", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(wh)).hasMessageContaining("whiteout");
        Path hl = new CraftedPackage("hl", "1-1").withoutMtree().hardlink("usr/a", "usr/missing", 0644).write(tmp);
        assertThatThrownBy(() -> build(hl)).hasMessageContaining("'usr/a' is a hard link to 'usr/missing'");
    }

    @Test
    void aRefusedBuildLeavesThePreviousLayout() throws Exception {
        Path good = new CraftedPackage("good", "1-1").file("etc/motd", "hi\n", 0644, 0, 0).write(tmp);
        build(good);
        byte[] index = Files.readAllBytes(tmp.resolve("oci/index.json"));
        Path evil = new CraftedPackage("evil", "1-1").file("/etc/passwd", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> build(good, evil)).isInstanceOf(ImageBuildException.class);
        assertThat(Files.readAllBytes(tmp.resolve("oci/index.json"))).isEqualTo(index);
        assertThat(tmp.resolve(".oci.part")).doesNotExist();
    }

    @Test
    void anAppIsPlannedAgainstTheRememberedDependenciesAsAgainstPlannedOnes() {
        Path alpha = new CraftedPackage("alpha", "1-1").dir("usr/", 0755, 0, 0).dir("usr/bin/", 0755, 0, 0)
                .file("usr/bin/tool", "a\n", 0755, 0, 0).symlink("lib", "usr/lib").dir("usr/lib/", 0755, 0, 0)
                .dir("srv/", 0750, 33, 33).write(tmp);
        Path first = new CraftedPackage("app", "1-1").file("usr/bin/app", "1\n", 0755, 0, 0).write(tmp);
        List<String> log = new ArrayList<>();
        build(List.of(alpha), first, tmp.resolve("oci"), log); // plans alpha and remembers that plan

        // the same dependency: planned from the snapshot, with the same rules and the same messages
        Path conflicting = new CraftedPackage("app", "2-1").dir("usr/", 0755, 0, 0).dir("usr/bin/", 0755, 0, 0)
                .file("usr/bin/tool", "b\n", 0755, 0, 0).write(tmp);
        assertThatThrownBy(() -> remembered(alpha, conflicting))
                .hasMessageContaining("file conflict: /usr/bin/tool exists in both 'alpha' and 'app'");
        Path throughLink = new CraftedPackage("app", "3-1").file("lib/libx.so", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> remembered(alpha, throughLink))
                .hasMessageContaining("the symlink /lib -> usr/lib (from 'alpha')");
        Path again = new CraftedPackage("alpha", "1-2").file("etc/alpha", "x\n", 0644, 0, 0).write(tmp);
        assertThatThrownBy(() -> remembered(alpha, again)).hasMessageContaining("package 'alpha' is given twice");

        // a good app: the image is the one planned from scratch (srv/ keeps alpha's 0750 33:33)
        Path good = new CraftedPackage("app", "4-1").dir("srv/", 0700, 0, 0).file("srv/data", "d\n", 0644, 0, 0)
                .write(tmp);
        ImageResult fromSnapshot = remembered(alpha, good);
        ImageResult planned = ImageBuilder.build(ImageRequest.of(List.of(ImagePackage.dependency(alpha),
                        ImagePackage.app(good)), ImageConfig.empty(), 1_800_000_000L, "archcore/rules", "t",
                tmp.resolve("oci-planned"), null, tmp.resolve("cache-planned"), Log.NONE));
        assertThat(fromSnapshot.manifestDigest()).isEqualTo(planned.manifestDigest());
        assertThat(LayoutReader.merged(tmp.resolve("oci-remembered")).get("srv/").mode()).isEqualTo(0750);
    }

    /** A build with the cache of the earlier ones, which must have remembered the dependencies' plan. */
    private ImageResult remembered(Path dependency, Path app) {
        RecordingLog log = new RecordingLog();
        try {
            return ImageBuilder.build(ImageRequest.of(List.of(ImagePackage.dependency(dependency), ImagePackage.app(app)),
                    ImageConfig.empty(), 1_800_000_000L, "archcore/rules", "t", tmp.resolve("oci-remembered"), null,
                    tmp.resolve("cache"), log));
        } finally {
            assertThat(log.lines("DEBUG")).anyMatch(l -> l.startsWith("DEBUG dependency layers unchanged"));
        }
    }

    @Test
    void directoriesKeepTheirFirstOwnersAttributesAsPacmanDoes() {
        Path a = new CraftedPackage("alpha", "1-1").dir("srv/", 0755, 0, 0).file("srv/a", "a\n", 0644, 0, 0).write(tmp);
        Path b = new CraftedPackage("beta", "1-1").dir("srv/", 0700, 33, 33).file("srv/b", "b\n", 0644, 0, 0).write(tmp);
        List<String> log = new ArrayList<>();
        build(List.of(a), b, tmp.resolve("oci"), log);
        Map<String, LayoutReader.Entry> merged = LayoutReader.merged(tmp.resolve("oci"));
        assertThat(merged.get("srv/").mode()).isEqualTo(0755);
        assertThat(merged.get("srv/").uid()).isZero();
        assertThat(merged.get("srv/b").content()).isEqualTo("b\n");
        // every layer that holds srv/ holds it with the first owner's attributes
        LayoutReader.layers(tmp.resolve("oci")).forEach(layer -> layer.stream().filter(e -> e.name().equals("srv/"))
                .forEach(e -> assertThat(e.mode()).isEqualTo(0755)));
        assertThat(log).anyMatch(l -> l.startsWith("WARN directory permissions differ on /srv"));
    }

    @Test
    void unsortedArchivesAndHardLinksGiveSortedLayers() {
        // entries in reverse order; the hard link's data carrier sorts after the link
        Path pkg = new CraftedPackage("mixed", "1-1").withoutMtree()
                .file("usr/zz", "carrier\n", 0644, 0, 0)
                .hardlink("usr/aa", "usr/zz", 0644)
                .file("usr/mm", "middle\n", 0600, 7, 8)
                .file("usr/bb", "bee\n", 0644, 0, 0)
                .dir("usr/", 0755, 0, 0)
                .write(tmp);
        build(List.of(), pkg, tmp.resolve("oci"), new ArrayList<>());
        List<LayoutReader.Entry> layer = LayoutReader.layers(tmp.resolve("oci")).get(0);
        List<String> names = layer.stream().map(LayoutReader.Entry::name).toList();
        assertThat(names).isSortedAccordingTo(EntryPaths.ORDER);
        LayoutReader.Entry aa = layer.stream().filter(e -> e.name().equals("usr/aa")).findFirst().orElseThrow();
        LayoutReader.Entry zz = layer.stream().filter(e -> e.name().equals("usr/zz")).findFirst().orElseThrow();
        assertThat(aa.type()).isEqualTo('0');
        assertThat(aa.content()).isEqualTo("carrier\n");
        assertThat(zz.type()).isEqualTo('1');
        assertThat(zz.link()).isEqualTo("usr/aa");
        LayoutReader.Entry mm = layer.stream().filter(e -> e.name().equals("usr/mm")).findFirst().orElseThrow();
        assertThat(mm.content()).isEqualTo("middle\n");
        // usr/bb sorts before usr/mm but comes after it in the archive: the package was spooled, not streamed
        assertThat(layer.stream().filter(e -> e.name().equals("usr/bb")).findFirst().orElseThrow().content()).isEqualTo("bee\n");
        assertThat(mm.uid()).isEqualTo(7);
        assertThat(mm.gid()).isEqualTo(8);
        assertThat(mm.mode() & 07777).isEqualTo(0600);
    }

    @Test
    void noExtractFollowsPacmanRules() {
        NoExtract rules = new NoExtract(List.of("usr/share/doc/*", "usr/share/locale/*", "!usr/share/locale/en*",
                "!usr/share/doc/keep/*", "\\!literal", "etc/[a-c]?.conf"));
        assertThat(rules.excludes("usr/share/doc/")).isTrue();
        assertThat(rules.excludes("usr/share/doc/pkg/README")).isTrue();
        assertThat(rules.excludes("usr/share/doc/keep/KEEP")).isFalse();
        assertThat(rules.excludes("usr/share/locale/de/LC_MESSAGES/x.mo")).isTrue();
        assertThat(rules.excludes("usr/share/locale/en_GB/LC_MESSAGES/x.mo")).isFalse();
        assertThat(rules.excludes("!literal")).isTrue();
        assertThat(rules.excludes("etc/b1.conf")).isTrue();
        assertThat(rules.excludes("etc/d1.conf")).isFalse();
        assertThat(rules.excludes("usr/bin/sh")).isFalse();
    }

    @Test
    void sysusersAllocatesFixedThenAutomaticIdsFromTheTop() {
        Map<String, byte[]> files = Map.of(
                "usr/lib/sysusers.d/a.conf", "g fixed 500\nu svc - \"A service\" /srv/svc\nm svc fixed\n".getBytes(),
                "usr/lib/sysusers.d/b.conf", "g grp -\nu other 501:fixed - /home/other /bin/sh\n".getBytes(),
                "etc/passwd", "root:x:0:0::/root:/bin/bash\n".getBytes(),
                "etc/group", "root:x:0:root\n".getBytes(),
                "etc/shadow", "root::14871::::::\n".getBytes());
        SystemUsers.Output out = SystemUsers.generate(files, 86400L * 20000, Log.NONE);
        assertThat(new String(out.files().get("etc/passwd"))).isEqualTo("root:x:0:0::/root:/bin/bash\n"
                + "svc:x:998:998:A service:/srv/svc:/usr/bin/nologin\nother:x:501:500::/home/other:/bin/sh\n");
        assertThat(new String(out.files().get("etc/group"))).isEqualTo("root:x:0:root\nfixed:x:500:svc\ngrp:x:999:\nsvc:x:998:\n");
        assertThat(new String(out.files().get("etc/shadow"))).isEqualTo("root:!:14871::::::\nsvc:!*:20000::::::\n"
                + "other:!*:20000::::::\n");
    }
}
