package dev.archcore.cluster.systemd;

import dev.archcore.cluster.ClusterException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the systemd target reads from an OCI layout before sending it: layouts written here by hand (tar + gzip +
 * JSON, as the OCI image spec lays them out), so each case is exactly the one named.
 */
class AppImageTest {
    @TempDir
    Path tmp;

    static final String PASSWD = "root:x:0:0::/root:/bin/sh\napp:x:998:997::/var/lib/app:/usr/bin/nologin\n";
    static final String GROUP = "root:x:0:\nwheel:x:10:root,app\napp:x:997:\n";

    @Test
    void theCommandEnvironmentAndUserComeFromTheConfigAndTheImagesOwnPasswd() throws IOException {
        Path layout = layout(List.of(Map.of("usr/bin/server", "bin", "etc/passwd", PASSWD, "etc/group", GROUP)),
                "{\"Entrypoint\":[\"server\"],\"Cmd\":[\"--port\",\"8080\"],\"Env\":[\"PATH=/usr/bin\",\"A=b=c\"],"
                        + "\"User\":\"app\",\"WorkingDir\":\"/var/lib/app\"}");

        AppImage image = AppImage.read(layout, null);

        assertThat(image.command()).containsExactly("/usr/bin/server", "--port", "8080");
        assertThat(image.env()).containsExactly(Map.entry("PATH", "/usr/bin"), Map.entry("A", "b=c"));
        assertThat(image.uid()).isEqualTo(998);
        assertThat(image.gid()).isEqualTo(997);
        assertThat(image.workingDir()).isEqualTo("/var/lib/app");
        assertThat(image.layers()).hasSize(1);
    }

    @Test
    void aGroupByNameAndNumericUsersResolveToo() throws IOException {
        Map<String, String> files = Map.of("usr/bin/server", "bin", "etc/passwd", PASSWD, "etc/group", GROUP);
        assertThat(ids(AppImage.read(layout(List.of(files), config("app:wheel")), null))).containsExactly(998L, 10L);
        assertThat(ids(AppImage.read(layout(List.of(files), config("1234:55")), null))).containsExactly(1234L, 55L);
        assertThat(ids(AppImage.read(layout(List.of(files), config("998")), null))).containsExactly(998L, 997L);
        assertThat(ids(AppImage.read(layout(List.of(files), config("")), null))).containsExactly(0L, 0L);
    }

    @Test
    void aUserTheImageDoesNotNameIsRefused() throws IOException {
        Path layout = layout(List.of(Map.of("usr/bin/server", "bin", "etc/passwd", PASSWD)), config("nobody"));
        assertThatThrownBy(() -> AppImage.read(layout, null)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("runs as user 'nobody', which its /etc/passwd does not name");
    }

    @Test
    void aLayerThatDeletesAFileIsRefusedNamingIt() throws IOException {
        // the second layer removes etc/old (an OCI whiteout), which tar on the node would not do
        Path layout = layout(List.of(Map.of("usr/bin/server", "bin", "etc/old", "x"), Map.of("etc/.wh.old", "")),
                config(""));
        assertThatThrownBy(() -> AppImage.read(layout, null)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("deletes 'etc/old' (whiteout etc/.wh.old)")
                .hasMessageContaining("does not apply deletions");
    }

    @Test
    void anEntryLeavingTheRootIsRefused() throws IOException {
        Path layout = layout(List.of(Map.of("usr/bin/server", "bin", "usr/../../etc/cron.d/x", "x")), config(""));
        assertThatThrownBy(() -> AppImage.read(layout, null)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("'usr/../../etc/cron.d/x', which leaves the image's root");
    }

    @Test
    void anEntryUnderASymlinkOfAnEarlierLayerIsRefused() throws IOException {
        // layer 1: etc2 -> /etc; layer 2: etc2/cron.d/x, which tar on the node would write into the node's /etc
        Path layout = layout(List.of(Map.of("usr/bin/server", "bin", "etc2", "->/etc"), Map.of("etc2/cron.d/x", "x")),
                config(""));
        assertThatThrownBy(() -> AppImage.read(layout, null)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("the entry 'etc2/cron.d/x' under the symbolic link 'etc2'");
    }

    @Test
    void aCommandNotOnThePathIsRefused() throws IOException {
        Path layout = layout(List.of(Map.of("usr/bin/server", "bin")), "{\"Entrypoint\":[\"other\"]}");
        assertThatThrownBy(() -> AppImage.read(layout, null)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("runs 'other', which is not an absolute path nor found on its PATH");
    }

    @Test
    void theUnitQuotesWhatTheConfigSaysSoNoValueAddsADirective() throws IOException {
        Path layout = layout(List.of(Map.of("usr/bin/server", "bin")), "{\"Entrypoint\":[\"/usr/bin/server\","
                + "\"$HOME %h \\\"q\\\"\\nExecStartPre=/bin/evil\"],\"Env\":[\"X=1\\nExecStartPre=/bin/evil\"]}");
        String unit = SystemdUnit.render("demo", AppImage.read(layout, null), 8080);

        assertThat(unit.lines().filter(l -> l.startsWith("ExecStartPre"))).isEmpty();
        assertThat(unit).contains("ExecStart=\"/usr/bin/server\" \"$$HOME %%h \\\"q\\\"\\nExecStartPre=/bin/evil\"\n",
                "Environment=\"X=1\\nExecStartPre=/bin/evil\"\n", "Environment=\"APP_PORT=8080\"\n");
        assertThat(SystemdUnit.appPort(unit)).isEqualTo(8080);
    }

    @Test
    void anAppNameThatIsNoPlainWordIsRefused() {
        assertThatThrownBy(() -> SystemdUnit.checkAppName("../etc")).isInstanceOf(ClusterException.class)
                .hasMessageContaining("cannot name the app's unit");
        assertThatThrownBy(() -> SystemdUnit.checkAppName("a b")).isInstanceOf(ClusterException.class);
    }

    private static List<Long> ids(AppImage image) {
        return List.of(image.uid(), image.gid());
    }

    private static String config(String user) {
        return "{\"Entrypoint\":[\"/usr/bin/server\"],\"User\":\"" + user + "\"}";
    }

    /** An OCI layout with one gzip layer per map (path to content), the config, a manifest and index.json. */
    private Path layout(List<Map<String, String>> layers, String config) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "layout");
        Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
        List<String> descriptors = new ArrayList<>();
        for (Map<String, String> files : layers) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
                for (Map.Entry<String, String> f : new LinkedHashMap<>(files).entrySet()) {
                    byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                    TarArchiveEntry e;
                    if (f.getValue().startsWith("->")) {
                        e = new TarArchiveEntry(f.getKey(), TarArchiveEntry.LF_SYMLINK, true);
                        e.setLinkName(f.getValue().substring(2));
                        content = new byte[0];
                    } else {
                        e = new TarArchiveEntry(f.getKey(), true);
                        e.setMode(0100755);
                    }
                    e.setSize(content.length);
                    tar.putArchiveEntry(e);
                    tar.write(content);
                    tar.closeArchiveEntry();
                }
            }
            descriptors.add(blob(blobs, bytes.toByteArray(), "application/vnd.oci.image.layer.v1.tar+gzip"));
        }
        String cfg = blob(blobs, ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":" + config + "}")
                .getBytes(StandardCharsets.UTF_8), "application/vnd.oci.image.config.v1+json");
        String manifest = blob(blobs, ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":" + cfg + ",\"layers\":[" + String.join(",", descriptors) + "]}").getBytes(StandardCharsets.UTF_8),
                "application/vnd.oci.image.manifest.v1+json");
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[" + manifest + "]}");
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        return dir;
    }

    private static String blob(Path blobs, byte[] bytes, String mediaType) throws IOException {
        try {
            String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            Files.write(blobs.resolve(hex), bytes);
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"sha256:" + hex + "\",\"size\":" + bytes.length + "}";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
