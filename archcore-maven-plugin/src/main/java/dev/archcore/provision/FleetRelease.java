package dev.archcore.provision;

import dev.archcore.provision.cloudconfig.Template;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * fleet v1.0.0, which the node files install themselves (no OS one can get today ships fleet): where its release
 * tarball comes from and the check of {@code $FLEET_HASH}, the pin the nodes verify it against before unpacking.
 * <p>
 * archcore carries no default pin: the tarball could not be downloaded where this version was built (no route to
 * GitHub), and a hash nobody computed from the real file would be a guess. A template that uses
 * {@code $FLEET_HASH} is refused until the user gives one in Ignition's form ({@code sha512-HEX}, or
 * {@code sha256-HEX}), so a node never boots with a download it cannot verify.
 */
public final class FleetRelease {
    public static final String TARBALL = "fleet-v1.0.0-linux-amd64.tar.gz";
    public static final String URL = "https://github.com/coreos/fleet/releases/download/v1.0.0/" + TARBALL;
    public static final String PLACEHOLDER = "FLEET_HASH";
    private static final Pattern HASH = Pattern.compile("sha512-[0-9a-f]{128}|sha256-[0-9a-f]{64}");

    private FleetRelease() {
    }

    /** Refuses a template that uses {@code $FLEET_HASH} when the value is missing or not a hash in Ignition's form. */
    static void checkPin(String templateName, String templateText, Map<String, String> values) throws ProvisionException {
        int line = new Template(templateName, templateText).lineOf(PLACEHOLDER);
        if (line == 0) {
            return;
        }
        String given = values == null ? null : values.get(PLACEHOLDER);
        String problem = given == null || given.isBlank() ? "no value is given"
                : HASH.matcher(given.strip()).matches() ? null
                : "'" + given.strip() + "' is not sha512- followed by 128 lower-case hex digits (or sha256- and 64)";
        if (problem != null) {
            throw new ProvisionException(templateName + " line " + line + " uses $" + PLACEHOLDER + ", the pinned hash"
                    + " of fleet's release tarball " + TARBALL + ", but " + problem + ". The nodes download it from "
                    + URL + " and refuse to unpack a file with another hash, so archcore needs the hash you trust: "
                    + "download the tarball once, check it as you trust it, and set it in the plugin configuration, "
                    + "<values><" + PLACEHOLDER + ">sha512-(the output of sha512sum " + TARBALL + ")</" + PLACEHOLDER
                    + "></values> (the archetype's pom fills it from the property archcore.fleetHash).");
        }
    }
}
