package dev.archcore.provision;

import dev.archcore.provision.cloudconfig.Template;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * fleet v1.0.0, which the node files install themselves (no OS one can get today ships fleet): where its release
 * tarball comes from and the check of {@code $FLEET_HASH}, the pin the nodes verify it against before unpacking.
 * <p>
 * archcore carries no default pin: the tarball could not be downloaded where this version was built (no route to
 * GitHub), and a hash nobody computed from the real file would be a guess. Without a pin the templates' {@code fleet}
 * part ({@code # archcore:begin fleet} ... {@code # archcore:end fleet}) is left out, so the nodes boot without
 * fleet (they serve the plain-systemd deploy target) rather than with a download nobody can verify. A pin that is
 * given must be a hash in Ignition's form ({@code sha512-HEX}, or {@code sha256-HEX}).
 */
public final class FleetRelease {
    public static final String TARBALL = "fleet-v1.0.0-linux-amd64.tar.gz";
    public static final String URL = "https://github.com/coreos/fleet/releases/download/v1.0.0/" + TARBALL;
    public static final String PLACEHOLDER = "FLEET_HASH";
    /** The templates' part that installs and runs fleet, left out while fleet is not pinned. */
    public static final String PART = "fleet";
    private static final Pattern HASH = Pattern.compile("sha512-[0-9a-f]{128}|sha256-[0-9a-f]{64}");

    private FleetRelease() {
    }

    /** Whether {@code $FLEET_HASH} has a value (its form is checked by {@link #leavesOut}). */
    static boolean pinned(Map<String, Template.Value> values) {
        Template.Value v = values.get(PLACEHOLDER);
        return v != null && !String.join("", v.lines()).isBlank();
    }

    /**
     * Checks the template against the pin and says whether its fleet part is left out. A given pin must be a hash in
     * Ignition's form when the template uses it; without a pin the fleet part is left out, and a {@code $FLEET_HASH}
     * outside that part is refused.
     *
     * @return true when fleet is not pinned and the template has a fleet part
     */
    static boolean leavesOut(String templateName, String templateText, Map<String, String> values) throws ProvisionException {
        Template template = new Template(templateName, templateText);
        String given = values == null ? null : values.get(PLACEHOLDER);
        if (given != null && !given.isBlank()) {
            int line = template.lineOf(PLACEHOLDER);
            if (line != 0 && !HASH.matcher(given.strip()).matches()) {
                throw new ProvisionException(templateName + " line " + line + " uses $" + PLACEHOLDER + ", the pinned "
                        + "hash of fleet's release tarball " + TARBALL + ", but '" + given.strip() + "' is not sha512- "
                        + "followed by 128 lower-case hex digits (or sha256- and 64). The nodes download it from " + URL
                        + " and refuse to unpack a file with another hash: download the tarball once, check it as you "
                        + "trust it, and set archcore.fleetHash (or <values><" + PLACEHOLDER + "> in the plugin "
                        + "configuration) to sha512- followed by the output of sha512sum " + TARBALL + ", or leave it "
                        + "empty for node files without fleet.");
            }
            return false;
        }
        int outside = template.without(PART).lineOf(PLACEHOLDER);
        if (outside != 0) {
            throw new ProvisionException(templateName + " line " + outside + " uses $" + PLACEHOLDER + ", the pinned hash"
                    + " of fleet's release tarball " + TARBALL + ", outside the fleet part ('# archcore:begin " + PART
                    + "' ... '# archcore:end " + PART + "'), but no value is given, so it cannot be left out with that "
                    + "part. Move it inside the fleet part, or pin the tarball: download " + URL + " once, check it as "
                    + "you trust it, and set archcore.fleetHash (or <values><" + PLACEHOLDER + "> in the plugin "
                    + "configuration) to sha512- followed by the output of sha512sum " + TARBALL + ".");
        }
        return template.hasPart(PART);
    }

    /** The one warning for node files rendered without fleet (the templates whose fleet part was left out). */
    static String unpinnedWarning(List<String> templates) {
        return "The node files carry no fleet: fleet's release tarball is not pinned (archcore.fleetHash, or <values><"
                + PLACEHOLDER + ">, is empty), so the fleet part of " + String.join(" and ", templates) + " (between '# "
                + "archcore:begin " + PART + "' and '# archcore:end " + PART + "': fleet-install.service, fleet.socket, "
                + "fleet.service and the files only fleet uses) is left out; etcd and the registry on the master stay. "
                + "Such nodes serve the plain-systemd deploy target (archcore.deploy.target=systemd), not fleet. For the "
                + "fleet target, download " + URL + ", check it as you trust it, and set archcore.fleetHash=sha512-<the "
                + "output of sha512sum " + TARBALL + ">; the nodes then install fleet from it and refuse any other file.";
    }
}
