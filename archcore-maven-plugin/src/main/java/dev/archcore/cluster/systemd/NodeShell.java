package dev.archcore.cluster.systemd;

import dev.archcore.cluster.ClusterException;
import dev.archcore.cluster.SshTunnel;
import dev.archcore.cluster.StreamConnection;
import dev.archcore.util.Log;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node's SSH connection and what the systemd target does there, each a short POSIX sh script run as root
 * ({@code sudo -n} for another user): read and write the unit, receive and unpack an image, ask systemd, check
 * that the app answers. Files arrive as a command's standard input, so the node needs only sshd, sh, coreutils,
 * tar and systemd.
 */
final class NodeShell implements AutoCloseable {
    private static final Duration LAYER_TIMEOUT = Duration.ofHours(1);
    private final Node node;
    private final SshTunnel ssh;
    private final Duration commandTimeout;

    private NodeShell(Node node, SshTunnel ssh, Duration commandTimeout) {
        this.node = node;
        this.ssh = ssh;
        this.commandTimeout = commandTimeout;
    }

    static NodeShell connect(Node node, Duration commandTimeout, Log log) {
        return new NodeShell(node, SshTunnel.connect(node.endpoint(), node.ssh(), log), commandTimeout);
    }

    Node node() {
        return node;
    }

    /** The unit's text, or null when there is none. */
    String readUnit(String app) {
        SshTunnel.ExecResult r = root("u=" + q(SystemdUnit.path(app)) + "; if [ -f \"$u\" ]; then cat \"$u\"; else exit 3; fi");
        if (r.exitCode() == 3) {
            return null;
        }
        check(r, "read " + SystemdUnit.path(app));
        return r.output() + "\n";
    }

    boolean hasImage(String app, AppImage image) {
        SshTunnel.ExecResult r = root("[ -d " + q(SystemdUnit.rootfs(app, image)) + " ]");
        return r.exitCode() == 0;
    }

    /**
     * Sends the image's layers, each checked against its digest by sha256sum before tar unpacks it, into a staging
     * directory that becomes {@code <app>/sha256-<hex>} only when every layer is in: a broken transfer leaves no
     * half image that a later deploy would take for whole.
     */
    void receiveImage(String app, AppImage image, Log log) {
        String dir = SystemdUnit.appDir(app);
        String staging = dir + "/.incoming-" + image.dirName();
        check(root("set -e; umask 022; mkdir -p " + q(dir) + "; rm -rf " + q(staging) + "; mkdir -p " + q(staging + "/rootfs")),
                "prepare " + staging);
        int n = 0;
        for (AppImage.Layer layer : image.layers()) {
            n++;
            String file = staging + "/layer";
            String script = "set -e; umask 022; cat > " + q(file) + "; "
                    + "if ! echo " + q(layer.hex() + "  " + file) + " | sha256sum -c --status; then "
                    + "echo \"layer " + layer.digest() + " arrived as sha256:$(sha256sum < " + q(file)
                    + " | cut -d' ' -f1)\" >&2; rm -f " + q(file) + "; exit 4; fi; "
                    + "tar -x --numeric-owner -p -f " + q(file) + " -C " + q(staging + "/rootfs") + "; rm -f " + q(file);
            SshTunnel.ExecResult r;
            try (InputStream in = Files.newInputStream(layer.file())) {
                // a layer may take long on a slow link; a dead connection is caught by SSH keep-alives instead
                r = ssh.execStreaming(sudo(script), in, LAYER_TIMEOUT.compareTo(commandTimeout) > 0 ? LAYER_TIMEOUT : commandTimeout);
            } catch (IOException e) {
                throw new ClusterException("cannot read the layer " + layer.file() + ": " + e.getMessage(), e);
            }
            if (r.exitCode() == 4) {
                throw new ClusterException(node + " received the layer " + layer.digest() + " damaged (" + r.output()
                        + "): nothing was switched; deploy again");
            }
            check(r, "unpack the layer " + layer.digest() + " (" + n + "/" + image.layers().size() + ")");
            log.debug("  " + node + ": layer " + n + "/" + image.layers().size() + " " + layer.digest() + " unpacked");
        }
        check(root("set -e; mv -T " + q(staging) + " " + q(dir + "/" + image.dirName())), "move the image into place");
    }

    /** Writes the unit (a temp file, then mv), reloads systemd, enables and restarts the unit. */
    void install(String app, String unitText) {
        String path = SystemdUnit.path(app);
        String unit = SystemdUnit.unitName(app);
        String script = "set -e; umask 022; t=" + q(path + ".archcore-new") + "; cat > \"$t\"; mv -f \"$t\" " + q(path)
                + "; systemctl daemon-reload; systemctl enable --quiet " + q(unit) + "; systemctl reset-failed "
                + q(unit) + " 2>/dev/null || true; systemctl restart " + q(unit);
        SshTunnel.ExecResult r = ssh.execStreaming(sudo(script), new ByteArrayInputStream(unitText.getBytes(StandardCharsets.UTF_8)),
                commandTimeout);
        // a unit whose program is missing fails in restart: the state poll reports it, with the journal
        if (r.exitCode() != 0 && !r.output().contains("Job for " + unit + " failed")) {
            check(r, "install and restart " + unit);
        }
    }

    /** Stops, disables and removes the unit: a node that had none before the deploy. */
    void remove(String app) {
        String unit = SystemdUnit.unitName(app);
        check(root("systemctl disable --now --quiet " + q(unit) + " || true; rm -f " + q(SystemdUnit.path(app))
                + "; systemctl daemon-reload; systemctl reset-failed " + q(unit) + " 2>/dev/null || true"), "remove " + unit);
    }

    /** {@code systemctl show}'s properties of the unit. */
    Map<String, String> show(String app) {
        SshTunnel.ExecResult r = root("systemctl show -p LoadState,ActiveState,SubState,NRestarts,Result,ExecMainStatus,"
                + "MainPID,ActiveEnterTimestamp " + q(SystemdUnit.unitName(app)));
        check(r, "systemctl show " + SystemdUnit.unitName(app));
        Map<String, String> props = new LinkedHashMap<>();
        for (String line : r.output().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                props.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return props;
    }

    /** The unit's last journal lines, for a failure message. */
    String journal(String app, int lines) {
        SshTunnel.ExecResult r = root("journalctl -u " + q(SystemdUnit.unitName(app)) + " -n " + lines + " --no-pager -o short-iso");
        return r.output().isEmpty() ? "(no journal lines)" : r.output();
    }

    /** The image directories of the app other than {@code keep}, removed. */
    List<String> prune(String app, List<String> keep) {
        String dir = SystemdUnit.appDir(app);
        SshTunnel.ExecResult r = root("cd " + q(dir) + " 2>/dev/null || exit 0; for d in sha256-*; do [ -d \"$d\" ] || continue; "
                + "case \" " + String.join(" ", keep) + " \" in *\" $d \"*) ;; *) rm -rf \"$d\"; echo \"$d\";; esac; done");
        check(r, "prune old images in " + dir);
        return r.output().isEmpty() ? List.of() : List.of(r.output().split("\n"));
    }

    /**
     * Does the app answer HTTP on {@code port} of the node? Asked through the SSH connection (a direct-tcpip
     * channel to the node's 127.0.0.1), so the port need not be reachable from the build machine.
     *
     * @return the status line, or null when nothing answered
     */
    String httpStatus(int port) {
        try (StreamConnection c = ssh.openTcp("127.0.0.1", port)) {
            c.out().write(("GET / HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: archcore-deploy\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            c.out().flush();
            StringBuilder line = new StringBuilder();
            for (int b; (b = c.in().read()) >= 0 && b != '\n' && line.length() < 200; ) {
                line.append((char) b);
            }
            String status = line.toString().strip();
            return status.matches("HTTP/\\d\\.\\d \\d{3}.*") ? status : null;
        } catch (IOException | ClusterException e) {
            return null;
        }
    }

    private SshTunnel.ExecResult root(String script) {
        return ssh.exec(sudo(script), commandTimeout);
    }

    /** {@code sh -c 'script'}, through {@code sudo -n} unless the login is root. */
    private String sudo(String script) {
        String sh = "sh -c " + q(script);
        return "root".equals(node.endpoint().user()) ? sh : "sudo -n " + sh;
    }

    private void check(SshTunnel.ExecResult r, String what) {
        if (r.exitCode() != 0) {
            throw new ClusterException("could not " + what + " on " + node + " (exit " + r.exitCode() + ")"
                    + (r.output().isEmpty() ? "" : ": " + r.output())
                    + ("root".equals(node.endpoint().user()) ? "" : ". The user " + node.endpoint().user()
                    + " needs sudo without a password (Flatcar's core user has it)"));
        }
    }

    /** Single-quoted for sh. */
    static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Override
    public void close() {
        ssh.close();
    }
}
