package dev.archcore.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where to push: {@code host[:port]/name:tag[,more tags]}. The host part is required (no Docker Hub guessing):
 * it is also the settings.xml server id and the Docker config.json key.
 */
public record RegistryReference(String registry, String name, List<String> tags) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

    public RegistryReference {
        if (registry == null || registry.isBlank() || registry.contains("/")) {
            throw new IllegalArgumentException("registry must be host[:port], got " + registry);
        }
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid repository name '" + name
                    + "': lowercase letters, digits and separators (. _ - /) only");
        }
        if (tags == null || tags.isEmpty()) {
            throw new IllegalArgumentException("at least one tag is needed for " + registry + "/" + name);
        }
        for (String tag : tags) {
            if (!TAG.matcher(tag).matches()) {
                throw new IllegalArgumentException("invalid tag '" + tag + "'");
            }
        }
        tags = List.copyOf(tags);
    }

    /** Parses {@code host[:port]/name:tag[,tag2,...]}. */
    public static RegistryReference parse(String reference) {
        int slash = reference.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("image reference must be host[:port]/name:tag, got " + reference);
        }
        String host = reference.substring(0, slash);
        String rest = reference.substring(slash + 1);
        int colon = rest.lastIndexOf(':');
        if (colon < 0 || rest.indexOf('/', colon) >= 0) {
            throw new IllegalArgumentException("image reference needs a tag (host[:port]/name:tag), got " + reference);
        }
        List<String> tags = new ArrayList<>();
        for (String t : rest.substring(colon + 1).split(",")) {
            if (!t.isBlank()) {
                tags.add(t.trim());
            }
        }
        return new RegistryReference(host, rest.substring(0, colon), tags);
    }

    public String repository() {
        return registry + "/" + name;
    }

    @Override
    public String toString() {
        return repository() + ":" + String.join(",", tags);
    }
}
