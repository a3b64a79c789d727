package dev.archcore.provision.cloudconfig;

import dev.archcore.provision.ClusterNodes;
import dev.archcore.provision.NodeFiles;
import dev.archcore.provision.NodeRequest;
import dev.archcore.provision.ProvisionException;
import dev.archcore.provision.TestCluster;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each loosening of the archetype's lock-down, made in a copy of its master template, fails the render with the
 * template line and the opt-out's name; the opt-out lets exactly that one through.
 */
class LockdownLintTest {
    @TempDir
    static Path tmp;
    static NodeRequest master;
    static String template;

    @BeforeEach
    void plan() throws Exception {
        if (master == null) {
            master = ClusterNodes.plan(TestCluster.request(tmp)).get(0);
            template = master.templateText();
        }
    }

    static NodeRequest edited(UnaryOperator<String> edit, Set<Loosening> allowed) {
        String text = edit.apply(template);
        assertThat(text).as("the edit applies").isNotEqualTo(template);
        return new NodeRequest("cloud-config/user_data.registry.yaml", text, "registry", master.values(), allowed, null, null);
    }

    static int lineOf(String text, String needle) {
        int at = text.indexOf(needle);
        assertThat(at).as(needle).isNotNegative();
        return (int) text.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
    }

    /** The edit fails naming the line of {@code marker} in the edited template and the opt-out; allowing it passes. */
    static void refused(Loosening loosening, UnaryOperator<String> edit, String marker) throws Exception {
        String text = edit.apply(template);
        assertThatThrownBy(() -> NodeFiles.render(edited(edit, Set.of())))
                .isInstanceOf(ProvisionException.class)
                .hasMessageContaining("cloud-config/user_data.registry.yaml (rendered for registry) loosens the lock-down")
                .hasMessageContaining("line " + lineOf(text, marker) + ": ")
                .hasMessageContaining("archcore." + loosening.parameter() + "=true");
        assertThat(NodeFiles.render(edited(edit, Set.of(loosening))).cloudConfig()).isNotEmpty();
    }

    @Test
    void theArchetypeTemplateItselfPasses() throws Exception {
        assertThat(LockdownLint.check(YamlNode.parse(NodeFiles.render(master).cloudConfig()), 2222, Set.of())).isEmpty();
    }

    @Test
    void passwordAuthentication() throws Exception {
        refused(Loosening.PASSWORD_LOGIN, t -> t.replace("PasswordAuthentication no", "PasswordAuthentication yes"),
                "PasswordAuthentication yes");
    }

    @Test
    void aUserPassword() throws Exception {
        refused(Loosening.PASSWORD_LOGIN, t -> t.replace("write_files:\n",
                "users:\n  - name: core\n    passwd: $$6$$rounds=4096$$abc$$def\n\nwrite_files:\n"), "passwd:");
    }

    @Test
    void rootLogin() throws Exception {
        refused(Loosening.ROOT_LOGIN, t -> t.replace("PermitRootLogin no", "PermitRootLogin prohibit-password"),
                "PermitRootLogin prohibit-password");
    }

    @Test
    void port22WithACustomPort() throws Exception {
        refused(Loosening.SSH_PORT_22, t -> t.replace("ListenStream=$SSH_PORT", "ListenStream=22"), "ListenStream=22");
    }

    @Test
    void ntpdEnabled() throws Exception {
        refused(Loosening.NTPD, t -> t.replace("    - name: ntpd.service\n      command: stop\n      mask: true\n",
                "    - name: ntpd.service\n      command: start\n"), "- name: ntpd.service");
    }

    @Test
    void etcdPeerUrlOffHost() throws Exception {
        refused(Loosening.ETCD_PEER, t -> t.replace("ETCD_LISTEN_PEER_URLS=http://127.0.0.1:2380",
                "ETCD_LISTEN_PEER_URLS=http://$REGISTRY_IP:2380"), "ETCD_LISTEN_PEER_URLS");
    }

    @Test
    void etcdListeningForPlainHttpClientsOffHost() throws Exception {
        refused(Loosening.INSECURE_ETCD, t -> t.replace("ETCD_LISTEN_CLIENT_URLS=https://$REGISTRY_IP:$ETCD_PORT",
                "ETCD_LISTEN_CLIENT_URLS=http://$REGISTRY_IP:$ETCD_PORT"), "ETCD_LISTEN_CLIENT_URLS");
        refused(Loosening.INSECURE_ETCD, t -> t.replace("ETCD_LISTEN_CLIENT_URLS=https://$REGISTRY_IP:$ETCD_PORT",
                "ETCD_LISTEN_CLIENT_URLS=http://0.0.0.0:$ETCD_PORT"), "ETCD_LISTEN_CLIENT_URLS");
    }

    @Test
    void etcdAdvertisingAPlainHttpClientUrl() throws Exception {
        refused(Loosening.INSECURE_ETCD, t -> t.replace("ETCD_ADVERTISE_CLIENT_URLS=https://", "ETCD_ADVERTISE_CLIENT_URLS=http://"),
                "ETCD_ADVERTISE_CLIENT_URLS");
    }

    @Test
    void etcdFlagsInAUnitOfItsOwn() throws Exception {
        refused(Loosening.INSECURE_ETCD, t -> t.replace("    - name: etcd-member.service\n",
                "    - name: etcd-plain.service\n      content: |\n        [Service]\n"
                        + "        ExecStart=/usr/bin/etcd --listen-client-urls http://$$public_ipv4:2379 --enable-v2\n"
                        + "    - name: etcd-member.service\n"), "ExecStart=/usr/bin/etcd");
    }

    @Test
    void fleetTalkingPlainHttpToTheMastersEtcd() throws Exception {
        refused(Loosening.INSECURE_ETCD, t -> t.replace("FLEET_ETCD_SERVERS=https://", "FLEET_ETCD_SERVERS=http://"),
                "FLEET_ETCD_SERVERS");
        // the deprecated coreos.fleet and coreos.etcd2 keys say the same
        refused(Loosening.INSECURE_ETCD, t -> t.replace("coreos:\n  units:\n",
                "coreos:\n  fleet:\n    etcd_servers: \"http://$REGISTRY_IP:$ETCD_PORT\"\n  units:\n"), "etcd_servers:");
        refused(Loosening.INSECURE_ETCD, t -> t.replace("coreos:\n  units:\n",
                "coreos:\n  etcd2:\n    advertise_client_urls: \"http://$REGISTRY_IP:$ETCD_PORT\"\n  units:\n"),
                "advertise_client_urls:");
        // coreos-cloudinit reads '-' in keys as '_'
        refused(Loosening.INSECURE_ETCD, t -> t.replace("coreos:\n  units:\n",
                "coreos:\n  fleet:\n    etcd-servers: \"http://$REGISTRY_IP:$ETCD_PORT\"\n  units:\n"), "etcd-servers:");
    }

    @Test
    void etcdOverTlsWithoutClientCertificates() throws Exception {
        refused(Loosening.INSECURE_ETCD, t -> t.replace("            Environment=\"ETCD_CLIENT_CERT_AUTH=true\"\n", ""),
                "ETCD_LISTEN_CLIENT_URLS");
        refused(Loosening.INSECURE_ETCD, t -> t.replace("ETCD_CLIENT_CERT_AUTH=true", "ETCD_CLIENT_CERT_AUTH=false"),
                "ETCD_LISTEN_CLIENT_URLS");
        refused(Loosening.INSECURE_ETCD, t -> t.replace("            Environment=\"ETCD_TRUSTED_CA_FILE=/etc/ssl/certs/ca.crt\"\n", ""),
                "ETCD_LISTEN_CLIENT_URLS");
    }

    @Test
    void plainHttpOnLoopbackOnlyIsNoLoosening() throws Exception {
        String loopback = template.replace("ETCD_LISTEN_CLIENT_URLS=https://$REGISTRY_IP:$ETCD_PORT,https://127.0.0.1:$ETCD_PORT",
                "ETCD_LISTEN_CLIENT_URLS=http://127.0.0.1:$ETCD_PORT,http://[::1]:$ETCD_PORT,http://localhost:2479")
                .replace("ETCD_ADVERTISE_CLIENT_URLS=https://$REGISTRY_IP:$ETCD_PORT", "ETCD_ADVERTISE_CLIENT_URLS=http://127.0.0.1:$ETCD_PORT")
                .replace("FLEET_ETCD_SERVERS=https://$REGISTRY_IP:$ETCD_PORT", "FLEET_ETCD_SERVERS=http://127.0.0.1:$ETCD_PORT");
        assertThat(loopback).isNotEqualTo(template).doesNotContain("http://$REGISTRY_IP");
        NodeRequest r = new NodeRequest("cloud-config/user_data.registry.yaml", loopback, "registry", master.values(), Set.of(), null, null);
        assertThat(NodeFiles.render(r).cloudConfig()).contains("ETCD_LISTEN_CLIENT_URLS=http://127.0.0.1:2479");
    }

    @Test
    void fleetTcpListener() throws Exception {
        refused(Loosening.FLEET_TCP, t -> t.replace("    - name: fleet.socket\n      command: start\n",
                "    - name: fleet.socket\n      command: start\n      drop_ins:\n        - name: 30-tcp.conf\n"
                        + "          content: |\n            [Socket]\n            ListenStream=0.0.0.0:49153\n"),
                "ListenStream=0.0.0.0:49153");
    }

    @Test
    void etcdStartedAtBoot() throws Exception {
        refused(Loosening.START_AT_BOOT, t -> t.replace("    - name: etcd-member.service\n",
                "    - name: etcd-member.service\n      command: start\n"), "command: start\n      content: |\n        [Unit]\n        Description=etcd v3.5.21");
    }

    @Test
    void registryEnabledAtBoot() throws Exception {
        refused(Loosening.START_AT_BOOT, t -> t.replace("        ExecStop=/usr/bin/docker stop archcore-registry\n",
                "        ExecStop=/usr/bin/docker stop archcore-registry\n\n        [Install]\n        WantedBy=default.target\n"),
                "WantedBy=default.target");
    }

    @Test
    void registryWithoutTls() throws Exception {
        refused(Loosening.INSECURE_REGISTRY, t -> t.replace("-e REGISTRY_HTTP_TLS_CERTIFICATE=/certs/registry.crt "
                + "-e REGISTRY_HTTP_TLS_KEY=/certs/registry.key ", ""), "- name: archcore-registry.service");
    }

    @Test
    void registryWithoutAuth() throws Exception {
        refused(Loosening.INSECURE_REGISTRY, t -> t.replace("-e REGISTRY_AUTH=htpasswd ", ""),
                "- name: archcore-registry.service");
    }

    @Test
    void registryTheNodesPullFromAcceptsPushes() throws Exception {
        // without read-only mode every htpasswd user of the registry the network reaches may push, the pull user too
        refused(Loosening.INSECURE_REGISTRY, t -> t.replaceAll(" -e 'REGISTRY_STORAGE_MAINTENANCE=[^']*'", ""),
                "- name: archcore-registry.service");
    }

    @Test
    void pushSidePublishedToTheNetwork() throws Exception {
        refused(Loosening.INSECURE_REGISTRY, t -> t.replace("-p 127.0.0.1:$REGISTRY_PUSH_PORT:5000",
                "-p $REGISTRY_PUSH_PORT:5000"), "- name: archcore-registry-push.service");
        refused(Loosening.INSECURE_REGISTRY, t -> t.replace("-p 127.0.0.1:$REGISTRY_PUSH_PORT:5000",
                "--network host -e REGISTRY_HTTP_ADDR=:$REGISTRY_PUSH_PORT"), "- name: archcore-registry-push.service");
    }

    @Test
    void dockerToldToSkipTls() throws Exception {
        refused(Loosening.INSECURE_REGISTRY, t -> t.replace("write_files:\n", "write_files:\n  - path: /etc/docker/daemon.json\n"
                + "    content: |\n      {\"insecure-registries\": [\"$REGISTRY\"]}\n"), "insecure-registries");
    }

    @Test
    void allLooseningsAreReportedTogetherAndTheWorkerTemplatePasses() throws Exception {
        assertThatThrownBy(() -> NodeFiles.render(edited(t -> t.replace("PasswordAuthentication no", "PasswordAuthentication yes")
                .replace("PermitRootLogin no", "PermitRootLogin yes"), Set.of())))
                .hasMessageContaining("allowPasswordLogin").hasMessageContaining("allowRootLogin");
        List<NodeRequest> all = ClusterNodes.plan(TestCluster.request(tmp));
        assertThat(NodeFiles.render(all.get(1)).cloudConfig()).contains("hostname: slave");
        assertThat(Files.exists(tmp.resolve("pki/ca.crt"))).isTrue();
    }
}
