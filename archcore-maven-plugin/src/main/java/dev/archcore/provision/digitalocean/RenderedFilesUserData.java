package dev.archcore.provision.digitalocean;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * User data from files rendered beforehand, one per node: {@code pattern} with {@code {name}} replaced by the
 * node's name (e.g. {@code target/archcore/cloud-config/{name}.yaml}). In a worker's file the placeholder
 * {@code $REGISTRY_IP} (or {@code ${REGISTRY_IP}}) left by the renderer becomes the master's public IPv4.
 */
public final class RenderedFilesUserData implements UserDataSource {
    private final String pattern;

    public RenderedFilesUserData(String pattern) {
        if (pattern == null || !pattern.contains("{name}")) {
            throw new DigitalOceanException("the user data file pattern '" + pattern + "' must contain {name}, "
                    + "the node's name (e.g. target/archcore/cloud-config/{name}.yaml)");
        }
        this.pattern = pattern;
    }

    public Path file(NodeSpec node) {
        return Path.of(pattern.replace("{name}", node.name()));
    }

    @Override
    public byte[] userData(NodeSpec node, String masterPublicIp) {
        Path file = file(node);
        if (!Files.isRegularFile(file)) {
            throw new DigitalOceanException("no user data for node " + node.name() + ": " + file + " does not exist. "
                    + "Render it first (archcore:iso writes target/archcore/cloud-config/<hostname>.yaml), or point "
                    + "archcore.provision.userDataFile at the files ({name} stands for the node's name)");
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (masterPublicIp == null) {
                return bytes;
            }
            String text = new String(bytes, StandardCharsets.UTF_8);
            return text.replace("${REGISTRY_IP}", masterPublicIp).replace("$REGISTRY_IP", masterPublicIp)
                    .getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DigitalOceanException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String source(NodeSpec node) {
        return file(node).toString();
    }
}
