package dev.archcore.registry;

/**
 * Something pushed after an image's manifest that refers to it by digest (a signature, an SBOM). Runs once the
 * image is in the registry under every tag; a failure fails the push with the image already there.
 */
public interface Attachment {
    /**
     * @param image the image's manifest as the registry now has it (its digest may differ from the layout's when
     *              the registry only took Docker media types)
     * @param tags  the tags the image was pushed under
     * @return what was attached, one line for the push's result
     */
    String attach(RegistryApi registry, Descriptor image, java.util.List<String> tags);

    /** What this attaches, for a message ("its signature"). */
    String what();

    /** An OCI descriptor of a pushed manifest. */
    record Descriptor(String mediaType, String digest, long size) {
    }
}
