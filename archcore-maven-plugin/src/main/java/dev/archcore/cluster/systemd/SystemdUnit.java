package dev.archcore.cluster.systemd;

import dev.archcore.cluster.ClusterException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The unit the systemd target writes to {@code /etc/systemd/system/<app>.service}: the image's command, run by the
 * node's systemd in the image's unpacked root ({@code RootDirectory=}), with the image's environment, working
 * directory and user, and the app's port as {@code APP_PORT}. Values are quoted as systemd reads them, so nothing in
 * the image's config can add a directive or expand a specifier.
 */
public final class SystemdUnit {
    /** Where images are unpacked on a node, one directory per app. */
    public static final String IMAGES = "/var/lib/archcore";
    private static final Pattern ROOT = Pattern.compile("(?m)^RootDirectory=" + Pattern.quote(IMAGES) + "/[^/\\s]+/(sha256-[0-9a-f]{64})/rootfs$");

    private static final Pattern PORT = Pattern.compile("(?m)^Environment=\"APP_PORT=([0-9]{1,5})\"$");

    private SystemdUnit() {
    }

    public static String path(String app) {
        return "/etc/systemd/system/" + unitName(app);
    }

    public static String unitName(String app) {
        return app + ".service";
    }

    /** The directory holding one app's images on a node. */
    public static String appDir(String app) {
        return IMAGES + "/" + app;
    }

    public static String rootfs(String app, AppImage image) {
        return appDir(app) + "/" + image.dirName() + "/rootfs";
    }

    /** The image directory ({@code sha256-<hex>}) a unit this class wrote runs, or null. */
    public static String imageDir(String unitText) {
        if (unitText == null) {
            return null;
        }
        Matcher m = ROOT.matcher(unitText);
        return m.find() ? m.group(1) : null;
    }

    /** The {@code APP_PORT} a unit this class wrote gives the app, or null. */
    public static Integer appPort(String unitText) {
        if (unitText == null) {
            return null;
        }
        Matcher m = PORT.matcher(unitText);
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    public static String render(String app, AppImage image, int appPort) {
        checkAppName(app);
        Map<String, String> env = new LinkedHashMap<>(image.env());
        env.put("APP_PORT", Integer.toString(appPort));
        StringBuilder u = new StringBuilder();
        u.append("# Written by archcore:deploy (archcore.deploy.target=systemd) and replaced at each deploy.\n");
        u.append("# The image ").append(image.manifestDigest()).append(", unpacked in its own root.\n");
        u.append("[Unit]\n");
        u.append("Description=").append(app).append(" (archcore app, image ")
                .append(image.manifestDigest(), 0, "sha256:".length() + 12).append(")\n");
        u.append("After=network.target\n\n");
        u.append("[Service]\n");
        u.append("Type=simple\n");
        u.append("RootDirectory=").append(rootfs(app, image)).append('\n');
        // /proc, /sys and /dev inside the root, as a container runtime gives them
        u.append("MountAPIVFS=yes\n");
        u.append("User=").append(image.uid()).append('\n');
        u.append("Group=").append(image.gid()).append('\n');
        u.append("WorkingDirectory=").append(quoteWord(image.workingDir())).append('\n');
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new ClusterException("the image " + image.manifestDigest() + " sets the environment variable '"
                        + e.getKey() + "', which systemd cannot pass: rename it");
            }
            u.append("Environment=").append(quote(e.getKey() + "=" + e.getValue())).append('\n');
        }
        u.append("ExecStart=");
        for (int i = 0; i < image.command().size(); i++) {
            u.append(i == 0 ? "" : " ").append(quote(image.command().get(i)).replace("$", "$$"));
        }
        u.append('\n');
        u.append("NoNewPrivileges=yes\n");
        u.append("Restart=always\n");
        u.append("RestartSec=5s\n\n");
        u.append("[Install]\n");
        u.append("WantedBy=multi-user.target\n");
        return u.toString();
    }

    /** A systemd unit name's stem: what the node's paths and the unit are named after. */
    public static void checkAppName(String app) {
        if (app == null || !app.matches("[A-Za-z0-9][A-Za-z0-9_.+-]{0,200}") || app.contains("..")) {
            throw new ClusterException("'" + app + "' cannot name the app's unit and directories on the nodes: use "
                    + "letters, digits and _.+- (the artifactId, or archcore.deploy.unitName without .service)");
        }
    }

    /** One double-quoted word: C escapes for quotes, backslashes and control characters, {@code %%} for specifiers. */
    static String quote(String value) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '%' -> b.append("%%");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** A path as a directive's single value (WorkingDirectory= takes no quotes): refused when it would need them. */
    private static String quoteWord(String path) {
        if (!path.startsWith("/") || !path.matches("[A-Za-z0-9/._+@-]+")) {
            throw new ClusterException("the image's WorkingDir '" + path + "' is not an absolute path of plain "
                    + "characters (letters, digits, /._+@-), which a unit can name safely: change it in the image");
        }
        return path;
    }
}
