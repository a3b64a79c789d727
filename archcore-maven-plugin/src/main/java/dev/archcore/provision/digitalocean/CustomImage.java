package dev.archcore.provision.digitalocean;

/**
 * A custom image to import once with {@code POST /v2/images} and reuse by name afterwards, such as Flatcar's
 * {@code flatcar_production_digitalocean_image.bin.bz2}. Custom images live in one region.
 */
public record CustomImage(String name, String url, String region, String distribution, String description) {
    public static final String FLATCAR_STABLE =
            "https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_digitalocean_image.bin.bz2";
}
