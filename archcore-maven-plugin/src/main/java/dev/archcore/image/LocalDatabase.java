package dev.archcore.image;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A package's entry in pacman's local database ({@code var/lib/pacman/local/<name>-<version>/}), written as
 * libalpm's {@code _alpm_local_db_write} does: {@code desc}, {@code files}, and the package's {@code .MTREE},
 * {@code .INSTALL} and {@code .CHANGELOG} as {@code mtree}, {@code install} and {@code changelog}.
 * INSTALLDATE is the package's build date, so the entry (and its layer) does not change between image builds.
 */
final class LocalDatabase {
    static final String VERSION_FILE = RootfsPlan.LOCAL_DB + "/ALPM_DB_VERSION";

    private LocalDatabase() {
    }

    /** {@code ALPM_DB_VERSION}: libalpm refuses a local database without it once it has entries. */
    static LayerEntry versionFile() {
        return LayerEntry.file(VERSION_FILE, 0644, 0, "9\n".getBytes(StandardCharsets.US_ASCII));
    }

    static List<LayerEntry> entries(PackageIndex.Loaded p) {
        PkgInfo info = p.info();
        long time = info.builddate();
        String dir = RootfsPlan.LOCAL_DB + "/" + info.id();
        List<LayerEntry> out = new ArrayList<>();
        out.add(LayerEntry.directory(dir, 0755, time));
        out.add(LayerEntry.file(dir + "/desc", 0644, time, desc(p)));
        out.add(LayerEntry.file(dir + "/files", 0644, time, files(p)));
        PackageIndex index = p.index();
        if (index.mtree() != null) {
            out.add(LayerEntry.file(dir + "/mtree", 0644, time, index.mtree()));
        }
        if (index.install() != null) {
            out.add(LayerEntry.file(dir + "/install", 0644, time, index.install()));
        }
        if (index.changelog() != null) {
            out.add(LayerEntry.file(dir + "/changelog", 0644, time, index.changelog()));
        }
        return out;
    }

    static byte[] desc(PackageIndex.Loaded p) {
        PkgInfo i = p.info();
        StringBuilder s = new StringBuilder();
        scalar(s, "NAME", i.pkgname());
        scalar(s, "VERSION", i.pkgver());
        scalar(s, "BASE", i.pkgbase());
        scalar(s, "DESC", i.pkgdesc());
        scalar(s, "URL", i.url());
        scalar(s, "ARCH", i.arch());
        if (i.builddate() != 0) {
            scalar(s, "BUILDDATE", Long.toString(i.builddate()));
            scalar(s, "INSTALLDATE", Long.toString(i.builddate()));
        }
        scalar(s, "PACKAGER", i.packager());
        if (i.size() != 0) {
            scalar(s, "SIZE", Long.toString(i.size()));
        }
        if (!p.request().app()) {
            scalar(s, "REASON", "1");
        }
        list(s, "GROUPS", i.groups());
        list(s, "LICENSE", i.license());
        list(s, "VALIDATION", p.request().validation());
        list(s, "REPLACES", i.replaces());
        list(s, "DEPENDS", i.depends());
        list(s, "OPTDEPENDS", i.optdepends());
        list(s, "CONFLICTS", i.conflicts());
        list(s, "PROVIDES", i.provides());
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code %FILES%}: every data entry of the package as stored (directories with '/'), sorted as strcmp does. */
    static byte[] files(PackageIndex.Loaded p) {
        List<String> names = new ArrayList<>();
        for (ArchiveEntry e : p.index().entries()) {
            String name = EntryPaths.path(e.name(), p);
            if (name.isEmpty()) {
                continue;
            }
            names.add(e.kind() == ArchiveEntry.Kind.DIRECTORY ? name + "/" : name);
        }
        names.sort(EntryPaths.ORDER); // strcmp's order: UTF-8 bytes
        StringBuilder s = new StringBuilder();
        if (!names.isEmpty()) {
            s.append("%FILES%\n");
            names.forEach(n -> s.append(n).append('\n'));
            s.append('\n');
        }
        List<String> backup = new ArrayList<>();
        for (String b : p.info().backup()) {
            String md5 = p.index().backupMd5().get(b);
            if (md5 != null) {
                backup.add(b + "\t" + md5);
            }
        }
        list(s, "BACKUP", backup);
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void scalar(StringBuilder s, String key, String value) {
        if (value != null) {
            s.append('%').append(key).append("%\n").append(value).append("\n\n");
        }
    }

    private static void list(StringBuilder s, String key, List<String> values) {
        if (!values.isEmpty()) {
            s.append('%').append(key).append("%\n");
            values.forEach(v -> s.append(v).append('\n'));
            s.append('\n');
        }
    }
}
