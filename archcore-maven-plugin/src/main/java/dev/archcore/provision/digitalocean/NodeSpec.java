package dev.archcore.provision.digitalocean;

import java.util.List;

/**
 * One droplet to provision. {@code image} is a slug ({@code ubuntu-24-04-x64}) or a numeric image id; null
 * means the imported custom image. {@code sshKeys} are key ids or fingerprints of keys in the account.
 */
public record NodeSpec(String name, boolean master, String region, String size, String image, List<String> sshKeys,
                       List<String> tags) {
    public NodeSpec {
        sshKeys = sshKeys == null ? List.of() : List.copyOf(sshKeys);
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    public String role() {
        return master ? "master" : "worker";
    }
}
