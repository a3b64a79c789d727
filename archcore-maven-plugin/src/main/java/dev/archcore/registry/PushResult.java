package dev.archcore.registry;

import java.util.List;

/**
 * What a push did.
 *
 * @param digest       the manifest digest the registry now has (differs from the layout's when the registry only took
 *                     Docker media types)
 * @param mediaType    the manifest media type pushed
 * @param missing      blobs that were not on the registry (for a dry run: what would be sent)
 * @param bytesSent    blob bytes sent (for a dry run: what would be sent)
 * @param requests     HTTP requests made
 * @param attached     what was attached to the image after it (a signature, an SBOM), one line each
 */
public record PushResult(String digest, String mediaType, List<String> references, int sent, int skipped, int mounted,
                         List<String> missing, long bytesSent, long millis, int requests, boolean dryRun,
                         List<String> attached) {
}
