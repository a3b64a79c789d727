package dev.archcore.provision.digitalocean;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.DigitalOceanSimulator;
import dev.archcore.testing.DigitalOceanSimulator.Call;
import dev.archcore.testing.RecordingLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The provisioner against the DigitalOcean simulator: every request it sends, and what it makes of the answers. */
class ProvisionerTest {
    static final String TOKEN = "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static final String TAG = "archcore-demo";
    static final String FINGERPRINT = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";

    @TempDir
    Path tmp;
    DigitalOceanSimulator sim;
    RecordingLog log = new RecordingLog();
    FakeTiming timing = new FakeTiming();

    @BeforeEach
    void start() throws Exception {
        sim = DigitalOceanSimulator.start(TOKEN);
        for (String name : List.of("demo-master", "demo-worker-1", "demo-worker-2")) {
            Files.writeString(tmp.resolve(name + ".yaml"), "#cloud-config\nhostname: " + name + "\n"
                    + "coreos:\n  fleet:\n    etcd_servers: http://$REGISTRY_IP:2379\n");
        }
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    static NodeSpec node(String name, boolean master) {
        return new NodeSpec(name, master, "fra1", "s-1vcpu-2gb", "ubuntu-24-04-x64", List.of("512190", FINGERPRINT),
                List.of("env:test"));
    }

    List<NodeSpec> cluster(String... workers) {
        List<NodeSpec> nodes = new ArrayList<>();
        nodes.add(node("demo-master", true));
        for (String w : workers) {
            nodes.add(node(w, false));
        }
        return nodes;
    }

    ProvisionRequest request(List<NodeSpec> nodes) {
        return new ProvisionRequest(nodes, TAG, new RenderedFilesUserData(tmp + "/{name}.yaml"))
                .api(sim.url(), TOKEN)
                .nodesFile(tmp.resolve("target/archcore/nodes.json"))
                .polling(Duration.ofSeconds(5), Duration.ofSeconds(60))
                .retries(Duration.ofSeconds(60), Duration.ofSeconds(1))
                .timing(timing)
                .log(log);
    }

    @Test
    void createsTheMasterFirstThenTheWorkersWithItsAddress() throws Exception {
        List<NodeState> nodes = Provisioner.provision(request(cluster("demo-worker-1", "demo-worker-2")));

        assertThat(nodes).extracting(NodeState::name).containsExactly("demo-master", "demo-worker-1", "demo-worker-2");
        assertThat(nodes).allMatch(n -> n.status().equals("active") && n.created() && n.publicIpv4().startsWith("203.0.113."));
        String masterIp = nodes.get(0).publicIpv4();

        // every request: the token as Bearer, JSON; bodies as the API reference describes them
        for (Call c : sim.calls()) {
            assertThat(c.header("Authorization")).isEqualTo("Bearer " + TOKEN);
            assertThat(c.header("Accept")).isEqualTo("application/json");
        }
        List<String> sequence = sim.calls().stream().map(c -> c.method() + " " + c.path()).toList();
        assertThat(sequence.get(0)).isEqualTo("GET /v2/droplets");
        assertThat(sim.calls().get(0).url().queryParameter("tag_name")).isEqualTo(TAG);
        List<Call> posts = sim.calls("POST", "/v2/droplets");
        assertThat(posts).hasSize(3);
        // the master is active (polled) before the first worker is created
        int firstWorkerPost = sim.calls().indexOf(posts.get(1));
        long masterId = nodes.get(0).id();
        assertThat(sim.calls().subList(1, firstWorkerPost)).extracting(Call::path)
                .contains("/v2/droplets/" + masterId);
        assertThat(sim.calls().subList(1, firstWorkerPost)).filteredOn(c -> c.method().equals("POST")).hasSize(1);

        for (int i = 0; i < 3; i++) {
            Call post = posts.get(i);
            String name = nodes.get(i).name();
            assertThat(post.header("Content-Type")).startsWith("application/json");
            JsonNode body = post.json();
            assertThat(body.get("name").asText()).isEqualTo(name);
            assertThat(body.get("region").asText()).isEqualTo("fra1");
            assertThat(body.get("size").asText()).isEqualTo("s-1vcpu-2gb");
            assertThat(body.get("image").asText()).isEqualTo("ubuntu-24-04-x64");
            assertThat(body.get("ssh_keys").get(0).isNumber()).isTrue();
            assertThat(body.get("ssh_keys").get(0).asLong()).isEqualTo(512190);
            assertThat(body.get("ssh_keys").get(1).asText()).isEqualTo(FINGERPRINT);
            assertThat(body.get("tags")).extracting(JsonNode::asText).containsExactly(TAG, "env:test");
            String file = Files.readString(tmp.resolve(name + ".yaml"));
            String expected = i == 0 ? file : file.replace("$REGISTRY_IP", masterIp);
            assertThat(body.get("user_data").asText()).isEqualTo(expected);
        }
        assertThat(posts.get(1).json().get("user_data").asText()).contains("http://" + masterIp + ":2379");
        assertThat(posts.get(0).json().get("user_data").asText()).contains("$REGISTRY_IP");

        JsonNode json = new ObjectMapper().readTree(tmp.resolve("target/archcore/nodes.json").toFile());
        assertThat(json.get("tag").asText()).isEqualTo(TAG);
        assertThat(json.get("nodes")).hasSize(3);
        assertThat(json.get("nodes").get(0).get("role").asText()).isEqualTo("master");
        assertThat(json.get("nodes").get(0).get("public_ipv4").asText()).isEqualTo(masterIp);
        assertThat(json.get("nodes").get(0).get("private_ipv4").asText()).startsWith("10.110.0.");
        assertThat(json.get("nodes").get(2).get("id").asLong()).isEqualTo(nodes.get(2).id());

        assertThat(log.lines("INFO")).anyMatch(l -> l.matches("INFO NAME +ID +PUBLIC IPV4 +STATUS"));
        assertThat(log.lines("INFO")).anyMatch(l -> l.matches("INFO demo-worker-2 +" + nodes.get(2).id() + " +"
                + nodes.get(2).publicIpv4().replace(".", "\\.") + " +active +created"));
        assertThat(log.toString()).doesNotContain(TOKEN);
    }

    @Test
    void aSecondRunCreatesOnlyWhatIsMissing() {
        List<NodeState> first = Provisioner.provision(request(cluster("demo-worker-1")));
        int before = sim.calls().size();

        List<NodeState> second = Provisioner.provision(request(cluster("demo-worker-1", "demo-worker-2")));

        List<Call> run2 = sim.calls().subList(before, sim.calls().size());
        assertThat(run2).filteredOn(c -> c.method().equals("POST")).hasSize(1)
                .allMatch(c -> c.json().get("name").asText().equals("demo-worker-2"))
                .allMatch(c -> c.json().get("user_data").asText().contains(first.get(0).publicIpv4() + ":2379"));
        assertThat(second.get(0).id()).isEqualTo(first.get(0).id());
        assertThat(second).extracting(NodeState::created).containsExactly(false, false, true);

        int before3 = sim.calls().size();
        Provisioner.provision(request(cluster("demo-worker-1", "demo-worker-2")));
        List<Call> run3 = sim.calls().subList(before3, sim.calls().size());
        assertThat(run3).extracting(c -> c.method() + " " + c.path()).containsExactly("GET /v2/droplets");
        assertThat(log.lines("INFO")).contains("INFO Nothing created: all 3 node(s) existed");
        assertThat(sim.droplets()).hasSize(3);
    }

    @Test
    void theDryRunPrintsTheRequestsWithTheTokenMaskedAndSendsNothing() throws Exception {
        Provisioner.provision(request(cluster("demo-worker-1", "demo-worker-2")).dryRun(true));

        assertThat(sim.calls()).isEmpty();
        String out = log.toString();
        assertThat(out).doesNotContain(TOKEN).contains("Authorization: Bearer ****")
                .contains("GET " + sim.url() + "/v2/droplets?tag_name=" + TAG)
                .contains("POST " + sim.url() + "/v2/droplets")
                .contains("\"name\" : \"demo-worker-2\"")
                .contains(new ObjectMapper().writeValueAsString(Files.readString(tmp.resolve("demo-master.yaml"))));
        assertThat(tmp.resolve("target/archcore/nodes.json")).doesNotExist();
    }

    @Test
    void a429IsRetriedAfterRetryAfter() {
        sim.fail("POST", "/v2/droplets", 429, 1, "7");

        Provisioner.provision(request(cluster()));

        assertThat(sim.calls("POST", "/v2/droplets")).hasSize(2);
        assertThat(timing.sleeps).contains(7000L);
        assertThat(log.lines("WARN")).anyMatch(l -> l.contains("HTTP 429") && l.contains("too_many_requests")
                && l.contains("API Rate limit exceeded.") && l.contains("request_id ") && l.contains("retrying in 7 s"));
        assertThat(sim.droplets()).hasSize(1);
    }

    @Test
    void a500TwiceIsRetriedWithBackoffAndNeverCreatesTwice() {
        sim.fail("POST", "/v2/droplets", 500, 2, null);

        List<NodeState> nodes = Provisioner.provision(request(cluster("demo-worker-1")));

        // master: 500, 500, then 202; before each retry the droplet is looked for (it may have been queued)
        assertThat(sim.calls("POST", "/v2/droplets")).hasSize(4);
        assertThat(timing.sleeps.subList(0, 2)).containsExactly(1000L, 2000L);
        assertThat(sim.droplets()).hasSize(2);
        assertThat(nodes).allMatch(n -> n.status().equals("active"));
        assertThat(log.lines("WARN")).filteredOn(l -> l.contains("HTTP 500") && l.contains("server_error")).hasSize(2);
    }

    @Test
    void retriesStopAtTheBudgetWithTheLastError() {
        sim.fail("GET", "/v2/droplets", 503, 50, null);

        assertThatThrownBy(() -> Provisioner.provision(request(cluster()).retries(Duration.ofSeconds(10), Duration.ofSeconds(1))))
                .isInstanceOf(DigitalOceanException.class)
                .hasMessageContaining("HTTP 503 to GET /v2/droplets?tag_name=" + TAG)
                .hasMessageContaining("server_error: Unexpected server-side error (request_id ")
                .hasMessageContaining("gave up after retrying for 10 s");
        assertThat(timing.sleeps).containsExactly(1000L, 2000L, 4000L);
        assertThat(sim.calls()).hasSize(4);
    }

    @Test
    void aDropletThatNeverBecomesActiveTimesOutNamingIt() {
        sim.neverActive("demo-worker-2");

        assertThatThrownBy(() -> Provisioner.provision(request(cluster("demo-worker-1", "demo-worker-2"))))
                .isInstanceOf(DigitalOceanException.class)
                .hasMessageContaining("gave up waiting 60 s")
                .hasMessageContaining("demo-worker-2 (")
                .hasMessageContaining(") is new without a public IPv4")
                .hasMessageNotContaining("demo-worker-1")
                .hasMessageContaining("run archcore:provision again");
        assertThat(tmp.resolve("target/archcore/nodes.json")).doesNotExist();
    }

    @Test
    void aBadTokenGivesOneClearMessageAndIsNotRetried() {
        ProvisionRequest req = request(cluster("demo-worker-1")).api(sim.url(), "dop_v1_wrong");

        assertThatThrownBy(() -> Provisioner.provision(req))
                .isInstanceOf(DigitalOceanException.class)
                .satisfies(e -> {
                    DigitalOceanException d = (DigitalOceanException) e;
                    assertThat(d.status()).isEqualTo(401);
                    assertThat(d.errorId()).isEqualTo("unauthorized");
                    assertThat(d.requestId()).isNotBlank();
                    assertThat(d.getMessage()).contains("HTTP 401 to GET /v2/droplets")
                            .contains("unauthorized: Unable to authenticate you. (request_id " + d.requestId() + ")")
                            .contains("token was refused")
                            .doesNotContain("dop_v1_wrong");
                });
        assertThat(sim.calls()).hasSize(1);
        assertThat(timing.sleeps).isEmpty();
        assertThat(log.toString()).doesNotContain("dop_v1_wrong");
    }

    @Test
    void anUnprocessableRequestShowsDigitalOceansError() {
        List<NodeSpec> nodes = List.of(new NodeSpec("demo-master", true, "fra1", "s-1vcpu-2gb", "99999", List.of(), List.of()));

        assertThatThrownBy(() -> Provisioner.provision(request(nodes)))
                .hasMessageContaining("HTTP 422 to POST /v2/droplets: unprocessable_entity: "
                        + "You specified an invalid image for Droplet creation. (request_id ");
        assertThat(sim.calls("POST", "/v2/droplets")).hasSize(1);
    }

    @Test
    void paginationFollowsLinksPagesNext() {
        for (int i = 0; i < 430; i++) {
            sim.addDroplet("other-" + i, List.of(TAG));
        }
        long existing = sim.addDroplet("demo-master", List.of(TAG));

        List<NodeState> nodes = Provisioner.provision(request(cluster()));

        List<Call> lists = sim.calls("GET", "/v2/droplets").stream().filter(c -> c.path().equals("/v2/droplets")).toList();
        assertThat(lists).extracting(c -> c.url().queryParameter("page")).containsExactly(null, "2", "3");
        assertThat(lists).allMatch(c -> "200".equals(c.url().queryParameter("per_page")));
        assertThat(nodes.get(0).id()).isEqualTo(existing);
        assertThat(sim.calls("POST", "/v2/droplets")).isEmpty();
        assertThat(log.lines("INFO")).anyMatch(l -> l.contains("other-7") && l.contains("left alone"));
    }

    @Test
    void anExhaustedQuotaWaitsForRatelimitReset() {
        long reset = timing.millis() / 1000 + 40;
        sim.quota(1, reset);

        Provisioner.provision(request(cluster()));

        // the list says 1 left, the create says 0 left: nothing is sent before the reset
        assertThat(timing.sleeps.get(0)).isEqualTo(reset * 1000 - 1_800_000_000_000L);
        assertThat(log.lines("WARN")).anyMatch(l -> l.contains("rate limit") && l.contains("ratelimit-reset"));
    }

    @Test
    void flatcarIsImportedOnceAndReusedByName() {
        CustomImage flatcar = new CustomImage("flatcar-stable", CustomImage.FLATCAR_STABLE, "fra1", "CoreOS", "Flatcar");
        List<NodeSpec> nodes = List.of(new NodeSpec("demo-master", true, "fra1", "s-1vcpu-2gb", null, List.of(), List.of()));

        List<NodeState> first = Provisioner.provision(request(nodes).customImage(flatcar));

        List<Call> imports = sim.calls("POST", "/v2/images");
        assertThat(imports).hasSize(1);
        JsonNode body = imports.get(0).json();
        assertThat(body.get("name").asText()).isEqualTo("flatcar-stable");
        assertThat(body.get("url").asText()).isEqualTo(CustomImage.FLATCAR_STABLE);
        assertThat(body.get("region").asText()).isEqualTo("fra1");
        assertThat(body.get("distribution").asText()).isEqualTo("CoreOS");
        long imageId = sim.images().get(0).get("id").asLong();
        assertThat(sim.images().get(0).get("status").asText()).isEqualTo("available");
        JsonNode droplet = sim.calls("POST", "/v2/droplets").get(0).json();
        assertThat(droplet.get("image").isNumber()).isTrue();
        assertThat(droplet.get("image").asLong()).isEqualTo(imageId);

        sim.calls().forEach(c -> { });
        int before = sim.calls().size();
        List<NodeSpec> more = List.of(nodes.get(0),
                new NodeSpec("demo-worker-1", false, "fra1", "s-1vcpu-2gb", null, List.of(), List.of()));
        Provisioner.provision(request(more).customImage(flatcar));
        assertThat(sim.calls().subList(before, sim.calls().size())).noneMatch(c -> c.method().equals("POST") && c.path().equals("/v2/images"));
        assertThat(sim.calls("POST", "/v2/droplets").get(1).json().get("image").asLong()).isEqualTo(imageId);
        assertThat(first.get(0).status()).isEqualTo("active");
    }

    @Test
    void destroyListsThenDeletesOnlyTheProjectsDroplets() throws Exception {
        Provisioner.provision(request(cluster("demo-worker-1")));
        long foreign = sim.addDroplet("someone-else", List.of("other-project"));
        int before = sim.calls().size();

        List<Droplet> gone = Provisioner.destroy(request(cluster("demo-worker-1")));

        assertThat(gone).extracting(Droplet::name).containsExactlyInAnyOrder("demo-master", "demo-worker-1");
        List<Call> calls = sim.calls().subList(before, sim.calls().size());
        assertThat(calls).extracting(c -> c.method() + " " + c.url().encodedPath() + "?" + c.url().encodedQuery())
                .containsExactly("GET /v2/droplets?tag_name=" + TAG + "&per_page=200", "DELETE /v2/droplets?tag_name=" + TAG);
        assertThat(sim.droplets()).extracting(d -> d.get("id").asLong()).containsExactly(foreign);
        assertThat(tmp.resolve("target/archcore/nodes.json")).doesNotExist();
        assertThat(log.lines("INFO")).anyMatch(l -> l.contains("Deleted 2 droplet(s) tagged " + TAG));
    }

    @Test
    void destroyDryRunSendsNothing() {
        Provisioner.destroy(request(cluster()).dryRun(true));

        assertThat(sim.calls()).isEmpty();
        assertThat(log.toString()).contains("DELETE " + sim.url() + "/v2/droplets?tag_name=" + TAG).doesNotContain(TOKEN);
    }

    @Test
    void badConfigurationFailsBeforeAnyRequest() {
        List<NodeSpec> nodes = List.of(node("demo-master", true), node("demo_worker", false), node("demo-master", true));

        assertThatThrownBy(() -> Provisioner.provision(request(nodes)))
                .hasMessageContaining("2 masters among the nodes")
                .hasMessageContaining("node name 'demo_worker' is not a valid host name")
                .hasMessageContaining("two nodes are named demo-master");
        assertThat(sim.calls()).isEmpty();
    }

    @Test
    void userDataOver64KiBIsRefusedNamingTheFile() throws Exception {
        Files.writeString(tmp.resolve("demo-master.yaml"), "#cloud-config\n" + "#".repeat(70_000));

        assertThatThrownBy(() -> Provisioner.provision(request(cluster())))
                .hasMessageContaining("node demo-master (" + tmp.resolve("demo-master.yaml") + ")")
                .hasMessageContaining("at most 64 KiB");
        assertThat(sim.calls("POST", "/v2/droplets")).isEmpty();
    }

    // --- branches the simulator reaches only since it answers as the real API does (issue 16) ---

    @Test
    void aSizeRegionOrImageDigitalOceanDoesNotOfferShowsItsError() {
        for (String[] bad : new String[][] {{"s-1vcpu-3gb", "fra1", "ubuntu-24-04-x64", "invalid size"},
                {"s-1vcpu-2gb", "fra9", "ubuntu-24-04-x64", "invalid region"},
                {"s-1vcpu-2gb", "fra1", "coreos-stable", "invalid image"}}) {
            List<NodeSpec> nodes = List.of(new NodeSpec("demo-master", true, bad[1], bad[0], bad[2], List.of(), List.of()));
            assertThatThrownBy(() -> Provisioner.provision(request(nodes))).as(bad[3])
                    .hasMessageContaining("HTTP 422 to POST /v2/droplets: unprocessable_entity: You specified an " + bad[3]);
        }
        assertThat(sim.droplets()).isEmpty();
    }

    @Test
    void aNodeOutsideTheCustomImagesRegionIsRefusedBeforeAnyRequest() {
        CustomImage flatcar = new CustomImage("flatcar-stable", CustomImage.FLATCAR_STABLE, "fra1", "CoreOS", "Flatcar");
        List<NodeSpec> nodes = List.of(new NodeSpec("demo-master", true, "fra1", "s-1vcpu-2gb", null, List.of(), List.of()),
                new NodeSpec("demo-worker-1", false, "ams3", "s-1vcpu-2gb", null, List.of(), List.of()));

        assertThatThrownBy(() -> Provisioner.provision(request(nodes).customImage(flatcar)))
                .hasMessageContaining("node demo-worker-1 is in ams3 but the custom image flatcar-stable is imported "
                        + "into fra1: custom images serve one region");
        assertThat(sim.calls()).as("nothing sent: not the import, not the master").isEmpty();
    }

    @Test
    void aFailedImageImportNamesTheImageAndItsError() {
        sim.failImport("flatcar-stable", "Unable to download the image: 404 Not Found");
        CustomImage flatcar = new CustomImage("flatcar-stable", "https://example.invalid/missing.bin.bz2", "fra1",
                "CoreOS", "Flatcar");
        List<NodeSpec> nodes = List.of(new NodeSpec("demo-master", true, "fra1", "s-1vcpu-2gb", null, List.of(), List.of()));

        assertThatThrownBy(() -> Provisioner.provision(request(nodes).customImage(flatcar)))
                .hasMessageContaining("custom image flatcar-stable (")
                .hasMessageContaining(") is deleted: Unable to download the image: 404 Not Found")
                .hasMessageContaining("Check that https://example.invalid/missing.bin.bz2 is a raw, qcow2");
        assertThat(sim.calls("POST", "/v2/droplets")).isEmpty();
    }

    @Test
    void aDropletThatIsOffOrArchivedIsReportedWithWhatToDo() {
        long off = sim.addDroplet("demo-master", List.of(TAG));
        sim.powerOff(off);
        assertThatThrownBy(() -> Provisioner.provision(request(cluster())))
                .hasMessageContaining("droplet demo-master (" + off + ") is off: power it on")
                .hasMessageContaining("droplet-action power-on " + off);
        sim.archive(off);
        assertThatThrownBy(() -> Provisioner.provision(request(cluster())))
                .hasMessageContaining("droplet demo-master (" + off + ") is archived (destroyed)");
        assertThat(sim.calls("POST", "/v2/droplets")).as("an existing node is never created again").isEmpty();
    }

    @Test
    void ofTwoDropletsWithOneNameTheOlderIsUsedAndTheOtherReported() {
        long older = sim.addDroplet("demo-master", List.of(TAG));
        long newer = sim.addDroplet("demo-master", List.of(TAG));

        List<NodeState> nodes = Provisioner.provision(request(cluster()));

        assertThat(nodes.get(0).id()).isEqualTo(older);
        assertThat(log.lines("WARN")).anyMatch(l -> l.contains("Two droplets tagged " + TAG + " are named demo-master (ids "
                + older + " and " + newer + "): using " + older + "; delete the other one"));
        assertThat(sim.calls("POST", "/v2/droplets")).isEmpty();
    }
}
