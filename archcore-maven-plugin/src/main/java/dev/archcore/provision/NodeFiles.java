package dev.archcore.provision;

import dev.archcore.provision.cloudconfig.CloudConfigValidator;
import dev.archcore.provision.cloudconfig.CloudConfigValidator.Finding;
import dev.archcore.provision.cloudconfig.CloudConfigValidator.Severity;
import dev.archcore.provision.cloudconfig.LockdownLint;
import dev.archcore.provision.cloudconfig.Template;
import dev.archcore.provision.cloudconfig.YamlNode;
import dev.archcore.provision.ignition.IgnitionConfig;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The provisioning files of one node: its rendered cloud-config (the user data of a config drive or a droplet),
 * the same intent as Ignition JSON for Flatcar, and what the validator noted (warnings and infos; errors throw).
 *
 * @param hostname    the node's host name
 * @param cloudConfig the rendered {@code #cloud-config}
 * @param ignition    Ignition spec 3.3.0 JSON
 * @param findings    the validator's warnings and infos, with lines of the template
 */
public record NodeFiles(String hostname, String cloudConfig, String ignition, List<Finding> findings) {

    /**
     * Renders one node: leaves out the template's fleet part when {@code $FLEET_HASH} has no value
     * ({@link FleetRelease}), fills the template's placeholders, parses the result, refuses a private key anywhere
     * in it and any loosening of the lock-down not in {@link NodeRequest#allowed()}, validates it with
     * coreos-cloudinit's rules (errors, and user data over DigitalOcean's 64 KiB, throw) and translates it to Ignition. Pure: no files are read or
     * written, so callers may render a node again with other values, e.g. the workers once the master's public
     * address is known ({@code request.withValue("REGISTRY_IP", ip)}).
     *
     * @throws ProvisionException with one message naming the template (or the rendered file) and line
     */
    public static NodeFiles render(NodeRequest request) throws ProvisionException {
        Template template = new Template(request.templateName(), request.templateText());
        if (!FleetRelease.pinned(request.values())) {
            // no pin for fleet's tarball: the node boots without fleet rather than with a download nobody can verify
            template = template.without(FleetRelease.PART);
        }
        Map<String, Template.Value> values = new LinkedHashMap<>(request.values());
        values.put("HOSTNAME", Template.Value.of(request.hostname()));
        Template.Rendered out = template.renderWithLines(values);
        String text = out.text();
        String rendered = request.templateName() + " (rendered for " + request.hostname() + ")";

        List<Finding> findings = CloudConfigValidator.validate(text);
        List<Finding> errors = findings.stream().filter(f -> f.severity() == Severity.ERROR).toList();
        if (!errors.isEmpty()) {
            throw new ProvisionException(rendered + " is not a valid cloud-config: "
                    + errors.stream().map(f -> "line " + out.templateLine(f.line()) + ": " + f.message())
                    .collect(Collectors.joining("; ")) + ". Fix the template.");
        }
        YamlNode root;
        try {
            root = YamlNode.parse(text);
        } catch (YamlNode.SyntaxError e) {
            throw new ProvisionException(rendered + " line " + out.templateLine(e.line) + ": " + e.getMessage());
        }
        List<LockdownLint.PrivateKey> keys = LockdownLint.privateKeys(text, root);
        if (!keys.isEmpty()) {
            throw new ProvisionException(keys.stream().map(k -> request.templateName() + " line "
                    + out.templateLine(k.line())).distinct().collect(Collectors.joining(", "))
                    + " put" + (keys.size() == 1 ? "s" : "") + " a private key (" + keys.get(0).marker() + ") into the user "
                    + "data of " + request.hostname() + ", which the cloud's metadata service serves to every process on "
                    + "the node, config drives carry, and archcore:provision's dry run prints. Remove it from the template "
                    + "(or from the plugin's <values>): archcore writes the keys a node needs over SSH when the update window "
                    + "opens (fleet's etcd client key, the master's registry and etcd keys), root-owned and 0600; send a "
                    + "key of your own the same way. This has no opt-out.");
        }
        List<LockdownLint.Finding> loose = LockdownLint.check(root, request.sshPort(), request.allowed());
        if (!loose.isEmpty()) {
            throw new ProvisionException(rendered + " loosens the lock-down: "
                    + loose.stream().map(f -> new LockdownLint.Finding(f.loosening(), out.templateLine(f.line()),
                            f.message()).toString()).collect(Collectors.joining("; "))
                    + ". Fix the template, or allow it by name in the plugin configuration.");
        }
        String ignition = IgnitionConfig.fromCloudConfig(root, request.publicIpv4(), request.privateIpv4());
        int size = ignition.getBytes(StandardCharsets.UTF_8).length;
        if (size > CloudConfigValidator.USER_DATA_LIMIT) {
            throw new ProvisionException(rendered + ": the Ignition JSON is " + size + " bytes, over DigitalOcean's "
                    + "limit of " + CloudConfigValidator.USER_DATA_LIMIT + " bytes (64 KiB) of user data: "
                    + "make the files written by write_files smaller.");
        }
        List<Finding> notes = findings.stream()
                .map(f -> new Finding(f.severity(), out.templateLine(f.line()), f.message())).toList();
        return new NodeFiles(request.hostname(), text, ignition, notes);
    }

    @Override
    public String toString() {
        return "NodeFiles[" + hostname + "]";
    }
}
