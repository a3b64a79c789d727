package dev.archcore.maven;

/** {@code <customImage>} of archcore:provision: imported once ({@code POST /v2/images}), reused by name. */
public class ProvisionImage {
    /** Default {@code flatcar-stable}. */
    String name;
    /** Default: Flatcar's stable DigitalOcean image. */
    String url;
    /** Default: the goal's region. */
    String region;
    /** Default {@code CoreOS} (what DigitalOcean calls Container Linux and Flatcar). */
    String distribution;
    String description;
}
