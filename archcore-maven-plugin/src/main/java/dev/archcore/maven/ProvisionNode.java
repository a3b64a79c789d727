package dev.archcore.maven;

import java.util.List;

/** One {@code <node>} of archcore:provision; unset fields take the goal's defaults (region, size, image, sshKeys). */
public class ProvisionNode {
    /** The droplet's name and host name. */
    String name;
    /** {@code master} (exactly one: created first) or {@code worker} (the default). */
    String role;
    String region;
    String size;
    /** A slug or a numeric image id; unset with a {@code customImage}: the imported image. */
    String image;
    /** SSH key ids or fingerprints of keys in the DigitalOcean account. */
    List<String> sshKeys;
    /** Tags besides the project tag. */
    List<String> tags;

    public ProvisionNode() {
    }

    ProvisionNode(String name, String role) {
        this.name = name;
        this.role = role;
    }
}
