package dev.archcore.cluster.systemd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.cluster.ClusterException;
import dev.archcore.util.Compressed;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The app image as a systemd node runs it, read from the build's OCI layout: its layers (sent to the node as they
 * are, verified there by digest) and what its config says to run. The layers are read once here to refuse what
 * unpacking them with tar would get wrong (deletions, paths leaving the root) and to resolve the config's user
 * by the image's own /etc/passwd and /etc/group, since systemd would look a name up on the node instead.
 *
 * @param manifestDigest the image's identity on the node: its rootfs is {@code /var/lib/archcore/<app>/sha256-<hex>}
 * @param uid            the user the app runs as (0 when the config names none)
 */
public record AppImage(Path layout, String manifestDigest, List<Layer> layers, List<String> command,
                       Map<String, String> env, String workingDir, long uid, long gid) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A layer blob: {@code blobs/sha256/<hex>} of the layout, a (gzip or zstd) tar. */
    public record Layer(String digest, long size, Path file) {
        public String hex() {
            return digest.substring("sha256:".length());
        }
    }

    /** The directory name on the node, {@code sha256-<hex>}: a digest's colon would need escaping in unit files. */
    public String dirName() {
        return manifestDigest.replace(':', '-');
    }

    public long totalSize() {
        return layers.stream().mapToLong(Layer::size).sum();
    }

    /**
     * @param manifestDigest the manifest to run ({@code target/archcore/image.digest}); null: the layout's only one
     */
    public static AppImage read(Path layout, String manifestDigest) {
        try {
            String digest = manifestDigest;
            if (digest == null) {
                JsonNode index = JSON.readTree(Files.readAllBytes(layout.resolve("index.json")));
                if (index.path("manifests").size() != 1) {
                    throw new ClusterException(layout + "/index.json names " + index.path("manifests").size()
                            + " images: name the one to deploy by its digest");
                }
                digest = index.path("manifests").get(0).path("digest").asText();
            }
            JsonNode manifest = JSON.readTree(Files.readAllBytes(blob(layout, digest)));
            String type = manifest.path("mediaType").asText("");
            if (type.contains("index") || manifest.has("manifests")) {
                throw new ClusterException(digest + " in " + layout + " is an image index (several architectures): the "
                        + "systemd target runs one image; build for the nodes' architecture only (archcore.arch)");
            }
            JsonNode config = JSON.readTree(Files.readAllBytes(blob(layout, manifest.path("config").path("digest").asText()))).path("config");
            List<Layer> layers = new ArrayList<>();
            for (JsonNode l : manifest.path("layers")) {
                String d = l.path("digest").asText();
                if (!d.matches("sha256:[0-9a-f]{64}")) {
                    throw new ClusterException("layer digest '" + d + "' of " + digest + " in " + layout + " is not a sha256 digest");
                }
                layers.add(new Layer(d, l.path("size").asLong(), blob(layout, d)));
            }
            Scan scan = new Scan();
            for (Layer l : layers) {
                scan.layer(l);
            }
            List<String> command = new ArrayList<>();
            config.path("Entrypoint").forEach(n -> command.add(n.asText()));
            config.path("Cmd").forEach(n -> command.add(n.asText()));
            if (command.isEmpty()) {
                throw new ClusterException("the image " + digest + " in " + layout + " has neither Entrypoint nor Cmd: "
                        + "nothing to run (archcore:image sets the app's command from archcore.image.entrypoint)");
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (JsonNode e : config.path("Env")) {
                String kv = e.asText();
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            command.set(0, scan.executable(command.get(0), env.getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), digest));
            long[] ids = scan.user(config.path("User").asText(""), digest);
            String workingDir = config.path("WorkingDir").asText("");
            return new AppImage(layout, digest, List.copyOf(layers), List.copyOf(command), env,
                    workingDir.isEmpty() ? "/" : workingDir, ids[0], ids[1]);
        } catch (NoSuchFileException e) {
            throw new ClusterException(layout + " is not a complete OCI image layout: " + e.getFile() + " is missing. "
                    + "Build the image first (archcore:image runs in package: mvn deploy builds it)", e);
        } catch (IOException e) {
            throw new ClusterException("cannot read the image in " + layout + ": " + e.getMessage(), e);
        }
    }

    private static Path blob(Path layout, String digest) {
        int colon = digest.indexOf(':');
        if (colon < 1 || !digest.substring(colon + 1).matches("[0-9a-f]{32,128}")) {
            throw new ClusterException("'" + digest + "' in " + layout + " is not a digest");
        }
        return layout.resolve("blobs").resolve(digest.substring(0, colon)).resolve(digest.substring(colon + 1));
    }

    /** What the layers hold, as far as running the image on a node needs to know. */
    private static final class Scan {
        private final Set<String> paths = new HashSet<>();
        private final Set<String> symlinks = new HashSet<>();
        private byte[] passwd;
        private byte[] group;

        void layer(Layer layer) throws IOException {
            try (InputStream raw = Files.newInputStream(layer.file());
                 TarArchiveInputStream tar = new TarArchiveInputStream(Compressed.open(raw))) {
                for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                    String name = e.getName();
                    String path = name.replaceFirst("^(\\./)+", "").replaceFirst("/+$", "");
                    String base = path.substring(path.lastIndexOf('/') + 1);
                    if (base.startsWith(".wh.")) {
                        // tar would unpack the marker as a file and leave the lower layer's file in place
                        throw new ClusterException("layer " + layer.digest() + " deletes '" + path.substring(0,
                                path.length() - base.length()) + base.substring(4) + "' (whiteout " + path + "): the "
                                + "systemd target unpacks layers with tar on the node and does not apply deletions. "
                                + "Build the image without removing files of a lower layer (archcore:image does), or "
                                + "deploy it with the fleet target");
                    }
                    if (name.startsWith("/") || ("/" + path + "/").contains("/../")) {
                        throw new ClusterException("layer " + layer.digest() + " has the entry '" + name + "', which "
                                + "leaves the image's root: refused");
                    }
                    // a later entry under a symlink a layer made would be written wherever the link points, on
                    // the node itself (each layer is a tar run of its own, so tar's own guard does not apply)
                    for (int slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
                        if (symlinks.contains(path.substring(0, slash))) {
                            throw new ClusterException("layer " + layer.digest() + " has the entry '" + name + "' under "
                                    + "the symbolic link '" + path.substring(0, slash) + "' of the image: unpacked on the "
                                    + "node, it would land wherever the link points. Refused");
                        }
                    }
                    if (e.isSymbolicLink()) {
                        symlinks.add(path);
                    } else {
                        symlinks.remove(path);
                    }
                    paths.add("/" + path);
                    if (path.equals("etc/passwd") && e.isFile()) {
                        passwd = tar.readAllBytes();
                    } else if (path.equals("etc/group") && e.isFile()) {
                        group = tar.readAllBytes();
                    }
                }
            }
        }

        /** An absolute command as given; a bare name found on the image's PATH, as a container runtime does. */
        String executable(String command, String path, String digest) {
            if (command.startsWith("/")) {
                return command;
            }
            if (!command.contains("/")) {
                for (String dir : path.split(":")) {
                    String candidate = (dir.endsWith("/") ? dir : dir + "/") + command;
                    if (dir.startsWith("/") && paths.contains(candidate)) {
                        return candidate;
                    }
                }
            }
            throw new ClusterException("the image " + digest + " runs '" + command + "', which is not an absolute path "
                    + "nor found on its PATH (" + path + "): set the image's entrypoint to the program's absolute path");
        }

        /** {@code name}, {@code uid}, {@code name:group} or {@code uid:gid} as numbers, by the image's own files. */
        long[] user(String spec, String digest) {
            if (spec.isEmpty()) {
                return new long[]{0, 0};
            }
            String u = spec.contains(":") ? spec.substring(0, spec.indexOf(':')) : spec;
            String g = spec.contains(":") ? spec.substring(spec.indexOf(':') + 1) : null;
            long uid;
            long gid;
            String[] pw = u.matches("\\d+") ? find(passwd, 2, u) : find(passwd, 0, u);
            if (u.matches("\\d+")) {
                uid = Long.parseLong(u);
                gid = pw == null || !pw[3].matches("\\d+") ? uid : Long.parseLong(pw[3]);
            } else if (pw != null && pw[3].matches("\\d+")) {
                uid = Long.parseLong(pw[2]);
                gid = Long.parseLong(pw[3]);
            } else {
                throw new ClusterException("the image " + digest + " runs as user '" + u + "', which its /etc/passwd "
                        + (passwd == null ? "(there is none) " : "") + "does not name: add the user to the image "
                        + "(a sysusers.d file in the package) or give archcore.image.user as uid:gid");
            }
            if (g != null) {
                if (g.matches("\\d+")) {
                    gid = Long.parseLong(g);
                } else {
                    String[] gr = find(group, 0, g);
                    if (gr == null) {
                        throw new ClusterException("the image " + digest + " runs as group '" + g + "', which its "
                                + "/etc/group does not name: add it, or give archcore.image.user as uid:gid");
                    }
                    gid = Long.parseLong(gr[2]);
                }
            }
            return new long[]{uid, gid};
        }

        private static String[] find(byte[] file, int column, String value) {
            if (file == null) {
                return null;
            }
            for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split(":", -1);
                if (f.length >= 4 && f[column].equals(value) && f[2].matches("\\d+")) {
                    return f;
                }
            }
            return null;
        }
    }
}
