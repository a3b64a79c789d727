package dev.archcore.image;

import dev.archcore.util.Log;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The files no package ships but an image needs, written instead of running scriptlets and hooks:
 * {@code /etc/passwd}, {@code /etc/group}, {@code /etc/shadow} (and {@code /etc/gshadow} when a package ships
 * one) from sysusers.d, and {@code /etc/os-release} when no package provides one (a link to
 * {@code /usr/lib/os-release} when only that exists, as Arch's image does).
 */
final class ConfigLayer {
    private ConfigLayer() {
    }

    /** @param moreSysusers sysusers.d files that no package ships (a recipe's users), by path */
    static List<LayerEntry> entries(RootfsPlan plan, java.util.Map<String, byte[]> moreSysusers, Platform platform,
                                    long timestamp, Log log) {
        List<LayerEntry> out = new ArrayList<>();
        java.util.Map<String, byte[]> captured = new java.util.TreeMap<>(plan.captured());
        captured.putAll(moreSysusers);
        SystemUsers.Output users = SystemUsers.generate(captured, timestamp, log);
        users.files().forEach((path, content) -> out.add(LayerEntry.file(path, path.endsWith("shadow") ? 0600 : 0644,
                timestamp, content)));
        if (!users.created().isEmpty()) {
            log.info("sysusers.d: " + String.join(", ", users.created()));
        }
        if (!plan.exists("etc/os-release")) {
            if (plan.exists("usr/lib/os-release")) {
                out.add(LayerEntry.symlink("etc/os-release", "../usr/lib/os-release", timestamp));
            } else {
                out.add(LayerEntry.file("etc/os-release", 0644, timestamp, osRelease(platform)));
            }
        }
        return out;
    }

    static byte[] osRelease(Platform platform) {
        String arch = platform.pacmanArch();
        return ("NAME=\"archcore\"\n"
                + "PRETTY_NAME=\"archcore image (" + arch + ")\"\n"
                + "ID=archcore\n"
                + "ID_LIKE=arch\n"
                + "BUILD_ID=rolling\n"
                + "ARCHCORE_ARCH=" + arch + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static String describe(List<LayerEntry> entries) {
        return String.join(" ", entries.stream().map(e -> "/" + e.path()).toList());
    }
}
