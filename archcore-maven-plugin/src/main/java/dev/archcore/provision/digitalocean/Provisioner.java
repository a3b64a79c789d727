package dev.archcore.provision.digitalocean;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.util.AtomicFiles;
import dev.archcore.util.Log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.archcore.provision.digitalocean.DigitalOceanClient.JSON;

/**
 * Provisions the nodes as droplets: the master first, waited for until it is active with a public IPv4, then the
 * workers, whose user data needs that address. Idempotent: the project's droplets carry its tag and are matched
 * by name, so a second run creates only what is missing (and waits for what is not active yet). Prints a
 * table (name, id, public IPv4, status) and writes the nodes as JSON. {@link #destroy} deletes the tagged
 * droplets after listing them.
 */
public final class Provisioner {
    /** POST /v2/droplets: name; tags: the tag model's pattern and length (DigitalOcean API v2 reference). */
    private static final Pattern NAME = Pattern.compile("^[a-zA-Z0-9]?[a-z0-9A-Z.\\-]*[a-z0-9A-Z]$");
    private static final Pattern TAG = Pattern.compile("^[a-zA-Z0-9_\\-:]+$");
    static final int MAX_USER_DATA = 64 * 1024;

    private final ProvisionRequest req;
    private final Log log;
    private DigitalOceanClient client;

    private Provisioner(ProvisionRequest req) {
        this.req = req;
        this.log = req.log;
    }

    /** Creates what is missing, waits until every node runs, and returns them in the order given. */
    public static List<NodeState> provision(ProvisionRequest req) {
        Provisioner p = new Provisioner(req);
        p.validate(true);
        if (req.dryRun) {
            p.printPlan();
            return List.of();
        }
        try (DigitalOceanClient c = p.connect()) {
            p.client = c;
            return p.run();
        }
    }

    /** Deletes every droplet with the project tag after listing them; returns what was deleted. */
    public static List<Droplet> destroy(ProvisionRequest req) {
        Provisioner p = new Provisioner(req);
        p.validate(false);
        if (req.dryRun) {
            p.log.info("Dry run: these requests would be sent (nothing is sent; the token is masked):\n"
                    + DigitalOceanClient.describe("GET", p.listUrl(), null)
                    + "  (lists the droplets tagged " + req.projectTag + ")\n"
                    + DigitalOceanClient.describe("DELETE", p.apiUrl("v2/droplets").newBuilder()
                    .addQueryParameter("tag_name", req.projectTag).build(), null)
                    + "  (deletes them all, if there are any)");
            return List.of();
        }
        try (DigitalOceanClient c = p.connect()) {
            List<Droplet> tagged = c.dropletsByTag(req.projectTag);
            if (tagged.isEmpty()) {
                p.log.info("No droplets are tagged " + req.projectTag + ": nothing to destroy");
            } else {
                p.log.info("Destroying the " + tagged.size() + " droplet(s) tagged " + req.projectTag + ":");
                NodeTable.lines(tagged.stream().map(d -> new NodeState(d.name(), null, d.id(), d.status(), d.publicIpv4(),
                        d.privateIpv4(), d.region(), d.size(), false)).toList(), false).forEach(p.log::info);
                c.deleteDropletsByTag(req.projectTag);
                p.log.info("Deleted " + tagged.size() + " droplet(s) tagged " + req.projectTag);
            }
            if (req.nodesFile != null) {
                Files.deleteIfExists(req.nodesFile); // it described droplets that no longer exist
            }
            return tagged;
        } catch (IOException e) {
            throw new DigitalOceanException("cannot delete " + req.nodesFile + ": " + e.getMessage(), e);
        }
    }

    private DigitalOceanClient connect() {
        if (req.token == null || req.token.isBlank()) {
            throw new DigitalOceanException("no DigitalOcean API token: put it in settings.xml (a <server> with id "
                    + "digitalocean and the token as <password>) or in the environment variable DIGITALOCEAN_TOKEN");
        }
        return new DigitalOceanClient(req.apiUrl, req.token, log, req.proxies).retries(req.retryBudget, req.firstBackoff)
                .timing(req.timing);
    }

    private List<NodeState> run() {
        Map<String, Droplet> existing = existing();
        NodeSpec master = master();
        String imageId = needsCustomImage() ? String.valueOf(customImageId()) : null;

        Map<String, NodeState> states = new LinkedHashMap<>();
        Droplet m = existing.get(master.name());
        boolean masterCreated = m == null;
        if (masterCreated) {
            m = create(master, imageId, null);
        } else {
            log.info("Node " + master.name() + " exists (droplet " + m.id() + ", " + m.status() + "): not created again");
        }
        m = awaitReady(List.of(m)).get(0);
        states.put(master.name(), NodeState.of(master, m, masterCreated));
        String masterIp = m.publicIpv4();
        log.info("Master " + master.name() + " is active at " + masterIp);

        List<Droplet> workers = new ArrayList<>();
        Set<String> created = new HashSet<>();
        for (NodeSpec node : req.nodes) {
            if (node.master()) {
                continue;
            }
            Droplet d = existing.get(node.name());
            if (d == null) {
                d = create(node, imageId, masterIp);
                created.add(node.name());
            } else {
                log.info("Node " + node.name() + " exists (droplet " + d.id() + ", " + d.status() + "): not created again");
            }
            workers.add(d);
        }
        for (Droplet d : awaitReady(workers)) {
            NodeSpec spec = req.nodes.stream().filter(n -> n.name().equals(d.name())).findFirst().orElseThrow();
            states.put(spec.name(), NodeState.of(spec, d, created.contains(spec.name())));
        }
        List<NodeState> result = req.nodes.stream().map(n -> states.get(n.name())).toList();
        NodeTable.lines(result, true).forEach(log::info);
        writeNodesFile(result);
        long made = result.stream().filter(NodeState::created).count();
        log.info(made == 0 ? "Nothing created: all " + result.size() + " node(s) existed"
                : "Created " + made + " droplet(s); " + (result.size() - made) + " existed");
        log.info("Next: ssh core@" + masterIp + " (on the SSH port of the cloud-config), and set the cluster's "
                + "registry and SSH endpoint of your profile to " + masterIp);
        return result;
    }

    /** The project's droplets by name; of two with one name the older one counts (the other is reported). */
    private Map<String, Droplet> existing() {
        Map<String, Droplet> byName = new LinkedHashMap<>();
        Set<String> wanted = new HashSet<>();
        req.nodes.forEach(n -> wanted.add(n.name()));
        for (Droplet d : client.dropletsByTag(req.projectTag)) {
            Droplet before = byName.get(d.name());
            if (before != null) {
                log.warn("Two droplets tagged " + req.projectTag + " are named " + d.name() + " (ids " + before.id()
                        + " and " + d.id() + "): using " + Math.min(before.id(), d.id()) + "; delete the other one");
                if (d.id() > before.id()) {
                    continue;
                }
            }
            byName.put(d.name(), d);
            if (!wanted.contains(d.name())) {
                log.info("Droplet " + d.name() + " (" + d.id() + ") is tagged " + req.projectTag
                        + " but is not a configured node: left alone");
            }
        }
        return byName;
    }

    private Droplet create(NodeSpec node, String customImageId, String masterIp) {
        ObjectNode body = dropletBody(node, customImageId, userData(node, masterIp));
        log.info("Creating droplet " + node.name() + " (" + node.role() + ", " + node.size() + " in " + node.region() + ")");
        Droplet d = client.createDroplet(body, () -> client.dropletsByTag(req.projectTag).stream()
                .filter(x -> x.name().equals(node.name())).findFirst().orElse(null));
        log.info("Droplet " + node.name() + " is queued as " + d.id() + " (" + d.status() + ")");
        return d;
    }

    private String userData(NodeSpec node, String masterIp) {
        byte[] data = req.userData.userData(node, masterIp);
        if (data.length > MAX_USER_DATA) {
            throw new DigitalOceanException("the user data of node " + node.name() + " (" + req.userData.source(node)
                    + ") is " + data.length + " bytes; DigitalOcean accepts at most 64 KiB (" + MAX_USER_DATA
                    + " bytes): shorten it, e.g. fetch large files at boot instead of embedding them");
        }
        return new String(data, StandardCharsets.UTF_8);
    }

    private ObjectNode dropletBody(NodeSpec node, String customImageId, String userData) {
        ObjectNode body = JSON.createObjectNode();
        body.put("name", node.name());
        body.put("region", node.region());
        body.put("size", node.size());
        String image = node.image() != null ? node.image() : customImageId;
        if (image.matches("\\d{1,18}")) {
            body.put("image", Long.parseLong(image)); // an image id is a number, a slug a string
        } else {
            body.put("image", image);
        }
        ArrayNode keys = body.putArray("ssh_keys");
        for (String k : node.sshKeys()) {
            if (k.matches("\\d{1,18}")) {
                keys.add(Long.parseLong(k));
            } else {
                keys.add(k);
            }
        }
        ArrayNode tags = body.putArray("tags");
        tags(node).forEach(tags::add);
        body.put("user_data", userData);
        return body;
    }

    private Set<String> tags(NodeSpec node) {
        Set<String> tags = new LinkedHashSet<>();
        tags.add(req.projectTag);
        tags.addAll(node.tags());
        return tags;
    }

    /** Polls until each droplet is active with a public IPv4, or fails naming those that are not by the timeout. */
    private List<Droplet> awaitReady(List<Droplet> droplets) {
        Map<Long, Droplet> latest = new LinkedHashMap<>();
        droplets.forEach(d -> latest.put(d.id(), d));
        long deadline = req.timing.millis() + req.timeout.toMillis();
        boolean said = false;
        while (true) {
            List<Droplet> waiting = latest.values().stream().filter(d -> !d.ready()).toList();
            for (Droplet d : waiting) {
                Droplet now = client.droplet(d.id());
                latest.put(d.id(), now);
                if (now.status().equals("off")) {
                    throw new DigitalOceanException("droplet " + now.name() + " (" + now.id() + ") is off: power it on "
                            + "(control panel, or doctl compute droplet-action power-on " + now.id() + ") and run again");
                }
                if (now.status().equals("archive")) {
                    throw new DigitalOceanException("droplet " + now.name() + " (" + now.id() + ") is archived (destroyed): "
                            + "destroy the project's droplets (-Darchcore.provision.destroy) or remove its tag, then run again");
                }
            }
            waiting = latest.values().stream().filter(d -> !d.ready()).toList();
            if (waiting.isEmpty()) {
                return List.copyOf(latest.values());
            }
            if (req.timing.millis() >= deadline) {
                StringBuilder s = new StringBuilder();
                for (Droplet d : waiting) {
                    s.append(s.length() == 0 ? "" : ", ").append(d.name()).append(" (").append(d.id()).append(") is ")
                            .append(d.status()).append(d.publicIpv4() == null ? " without a public IPv4" : "");
                }
                throw new DigitalOceanException("gave up waiting " + req.timeout.toSeconds() + " s (archcore.provision"
                        + ".timeoutSeconds) for droplets to become active: " + s + ". DigitalOcean may still be starting "
                        + "them: run archcore:provision again to wait for them (nothing is created twice), or destroy "
                        + "them with -Darchcore.provision.destroy");
            }
            if (!said) {
                log.info("Waiting for " + String.join(", ", waiting.stream().map(Droplet::name).toList())
                        + " to become active");
                said = true;
            }
            sleep(req.pollInterval.toMillis());
        }
    }

    private boolean needsCustomImage() {
        return req.nodes.stream().anyMatch(n -> n.image() == null);
    }

    /** The custom image's id: reused by name, else imported; waited for until available. */
    private long customImageId() {
        CustomImage spec = req.customImage;
        Image image = client.privateImages().stream().filter(i -> i.name().equals(spec.name())).findFirst().orElse(null);
        if (image == null) {
            ObjectNode body = imageBody(spec);
            log.info("Importing custom image " + spec.name() + " from " + spec.url() + " into " + spec.region());
            image = client.importImage(body);
        } else {
            log.info("Custom image " + spec.name() + " exists (" + image.id() + ", " + image.status() + "): not imported again");
        }
        long deadline = req.timing.millis() + req.timeout.toMillis();
        while (!image.status().equals("available")) {
            if (!image.status().equals("NEW") && !image.status().equals("pending")) {
                throw new DigitalOceanException("custom image " + spec.name() + " (" + image.id() + ") is " + image.status()
                        + (image.errorMessage() == null ? "" : ": " + image.errorMessage())
                        + ". Check that " + spec.url() + " is a raw, qcow2, vhdx, vdi or vmdk image (gzip or bzip2) "
                        + "DigitalOcean can download, delete the image in the control panel, and run again");
            }
            if (req.timing.millis() >= deadline) {
                throw new DigitalOceanException("custom image " + spec.name() + " (" + image.id() + ") is still "
                        + image.status() + " after " + req.timeout.toSeconds() + " s (archcore.provision.timeoutSeconds); "
                        + "imports of large images take a while: run archcore:provision again later to go on waiting");
            }
            sleep(req.pollInterval.toMillis());
            image = client.image(image.id());
        }
        return image.id();
    }

    private ObjectNode imageBody(CustomImage spec) {
        ObjectNode body = JSON.createObjectNode();
        body.put("name", spec.name());
        body.put("url", spec.url());
        body.put("region", spec.region());
        body.put("distribution", spec.distribution() == null ? "CoreOS" : spec.distribution());
        if (spec.description() != null) {
            body.put("description", spec.description());
        }
        body.putArray("tags").add(req.projectTag);
        return body;
    }

    private void printPlan() {
        StringBuilder s = new StringBuilder("Dry run: these requests would be sent to " + req.apiUrl
                + " (nothing is sent; the token is masked):\n");
        s.append(DigitalOceanClient.describe("GET", listUrl(), null))
                .append("  (finds the nodes that exist: those are not created again)\n");
        String imageId = null;
        if (needsCustomImage()) {
            CustomImage spec = req.customImage;
            s.append(DigitalOceanClient.describe("GET", apiUrl("v2/images").newBuilder()
                    .addQueryParameter("private", "true").addQueryParameter("per_page", "200").build(), null))
                    .append("  (reuses the custom image ").append(spec.name()).append(" if it is there; else:)\n")
                    .append(DigitalOceanClient.describe("POST", apiUrl("v2/images"), imageBody(spec)))
                    .append("  then GET /v2/images/{id} every ").append(req.pollInterval.toSeconds())
                    .append(" s until it is available\n");
            imageId = "<id of image " + spec.name() + ">";
        }
        NodeSpec master = master();
        s.append(DigitalOceanClient.describe("POST", apiUrl("v2/droplets"),
                        dropletBody(master, imageId, userData(master, null))))
                .append("  then GET /v2/droplets/{id} every ").append(req.pollInterval.toSeconds())
                .append(" s until it is active with a public IPv4\n");
        for (NodeSpec node : req.nodes) {
            if (!node.master()) {
                s.append(DigitalOceanClient.describe("POST", apiUrl("v2/droplets"), dropletBody(node, imageId,
                        "<" + req.userData.source(node) + ", rendered with the master's public IPv4>")));
            }
        }
        s.append("  then GET /v2/droplets/{id} until the workers are active; ").append(req.nodesFile == null ? ""
                : "writes " + req.nodesFile);
        log.info(s.toString());
    }

    private okhttp3.HttpUrl listUrl() {
        return apiUrl("v2/droplets").newBuilder().addQueryParameter("tag_name", req.projectTag)
                .addQueryParameter("per_page", "200").build();
    }

    private okhttp3.HttpUrl apiUrl(String path) {
        okhttp3.HttpUrl base = okhttp3.HttpUrl.parse(req.apiUrl);
        if (base == null) {
            throw new DigitalOceanException("the DigitalOcean API URL '" + req.apiUrl + "' is not an http(s) URL");
        }
        return base.newBuilder().encodedPath("/").build().resolve(path);
    }

    private NodeSpec master() {
        return req.nodes.stream().filter(NodeSpec::master).findFirst().orElseThrow();
    }

    /** Everything that can be checked before the first request, each problem with what to do. */
    private void validate(boolean nodes) {
        List<String> problems = new ArrayList<>();
        if (req.projectTag == null || req.projectTag.length() > 255 || !TAG.matcher(req.projectTag).matches()) {
            problems.add("the project tag '" + req.projectTag + "' is not a DigitalOcean tag: letters, digits, '-', '_' "
                    + "and ':' only, at most 255 (archcore.provision.tag)");
        }
        apiUrl("");
        if (nodes) {
            validateNodes(problems);
        }
        if (!problems.isEmpty()) {
            throw new DigitalOceanException("archcore:provision configuration: " + String.join("; ", problems));
        }
    }

    private void validateNodes(List<String> problems) {
        if (req.nodes.isEmpty()) {
            problems.add("no nodes: configure <nodes> with one master and any number of workers");
            return;
        }
        long masters = req.nodes.stream().filter(NodeSpec::master).count();
        if (masters != 1) {
            problems.add(masters + " masters among the nodes: exactly one node needs <role>master</role>"
                    + " (it is created first; the workers' user data needs its address)");
        }
        Set<String> names = new HashSet<>();
        for (NodeSpec n : req.nodes) {
            String name = n.name();
            if (name == null || name.length() > 255 || !NAME.matcher(name).matches()) {
                problems.add("node name '" + name + "' is not a valid host name (letters, digits, '.', '-'; it "
                        + "becomes the droplet's hostname)");
                continue;
            }
            if (!names.add(name)) {
                problems.add("two nodes are named " + name + ": names identify the nodes");
            }
            if (blank(n.region())) {
                problems.add("node " + name + " has no region (e.g. fra1; archcore.provision.region)");
            }
            if (blank(n.size())) {
                problems.add("node " + name + " has no size (e.g. s-1vcpu-2gb; archcore.provision.size)");
            }
            if (n.image() == null && req.customImage == null) {
                problems.add("node " + name + " has no image: set <image> (a slug or an image id) or <customImage>");
            }
            if (n.image() == null && req.customImage != null && !req.customImage.region().equals(n.region())) {
                problems.add("node " + name + " is in " + n.region() + " but the custom image " + req.customImage.name()
                        + " is imported into " + req.customImage.region() + ": custom images serve one region");
            }
            for (String t : n.tags()) {
                if (t.length() > 255 || !TAG.matcher(t).matches()) {
                    problems.add("node " + name + ": tag '" + t + "' has characters DigitalOcean refuses (letters, "
                            + "digits, '-', '_' and ':' only)");
                }
            }
        }
        CustomImage ci = req.customImage;
        if (ci != null && req.nodes.stream().anyMatch(n -> n.image() == null)
                && (blank(ci.name()) || blank(ci.url()) || blank(ci.region()))) {
            problems.add("the custom image needs a name, a url and a region (POST /v2/images requires all three)");
        }
    }

    private void writeNodesFile(List<NodeState> nodes) {
        if (req.nodesFile == null) {
            return;
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("tag", req.projectTag);
        ArrayNode list = root.putArray("nodes");
        for (NodeState n : nodes) {
            ObjectNode o = list.addObject();
            o.put("name", n.name());
            o.put("role", n.role());
            o.put("id", n.id());
            o.put("status", n.status());
            o.put("public_ipv4", n.publicIpv4());
            o.put("private_ipv4", n.privateIpv4());
            o.put("region", n.region());
            o.put("size", n.size());
        }
        try {
            byte[] bytes = (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(req.nodesFile, out -> out.write(bytes));
        } catch (IOException e) {
            throw new DigitalOceanException("cannot write " + req.nodesFile + ": " + e.getMessage(), e);
        }
    }

    private void sleep(long ms) {
        try {
            req.timing.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DigitalOceanException("interrupted");
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
