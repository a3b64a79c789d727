package dev.archcore.cluster;

import dev.archcore.provision.ClusterNodes;
import dev.archcore.provision.NodeFiles;
import dev.archcore.provision.NodeRequest;
import dev.archcore.provision.TestCluster;
import dev.archcore.provision.cloudconfig.YamlNode;
import dev.archcore.provision.pki.ClusterPki;
import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.SystemdNodes;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On two real systemd machines, with the worker template's own fleet units and files (as rendered): a node boots
 * with no fleet key, so systemd skips fleet.service (its ConditionPathExists) instead of letting it die; the window
 * writes each node its own key over SSH and restarts fleet, which then runs; a second window neither writes nor
 * restarts. fleetd is a stand-in (no Go or network here to get the real one): a script that, like fleet v1.0.0's
 * {@code server.New} ({@code pkg.ReadTLSConfigFiles}), reads the three TLS files at start and exits if one is missing.
 */
class FleetCredentialsOnSystemdTest {
    @TempDir
    Path tmp;

    @Test
    void fleetWaitsForItsKeyThenTheWindowWritesItAndRestartsFleetOnce() throws Exception {
        Tools.require("openssl");
        // the worker's node files with fleet pinned, and the units and files of its fleet part
        List<NodeRequest> plan = ClusterNodes.plan(TestCluster.request(tmp));
        YamlNode worker = YamlNode.parse(NodeFiles.render(plan.get(1)).cloudConfig());
        Path tree = tmp.resolve("fleet-part");
        for (YamlNode f : worker.get("write_files").items()) {
            String path = f.get("path").text("");
            if (path.startsWith("/etc/archcore/fleet/") || path.startsWith("/etc/sysusers.d/")) {
                write(tree, path, f.get("content").text(""), f.get("permissions").text("0644"));
            }
        }
        for (YamlNode u : worker.get("coreos").get("units").items()) {
            String name = u.get("name").text("");
            if (name.equals("fleet.socket") || name.equals("fleet.service")) {
                write(tree, "/etc/systemd/system/" + name, u.get("content").text(""), "0644");
                for (YamlNode d : u.get("drop_ins").items()) {
                    write(tree, "/etc/systemd/system/" + name + ".d/" + d.get("name").text(""), d.get("content").text(""), "0644");
                }
            }
        }
        assertThat(tree.resolve("etc/archcore/fleet/etcd-client.key")).doesNotExist();
        // the stand-ins: fleet-install (it would download the tarball) and fleetd
        write(tree, "/etc/systemd/system/fleet-install.service",
                "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n", "0644");
        write(tree, "/opt/bin/fleetd", "#!/bin/sh\nset -e\ncat \"$FLEET_ETCD_CAFILE\" \"$FLEET_ETCD_CERTFILE\" "
                + "\"$FLEET_ETCD_KEYFILE\" > /dev/null\nexec sleep infinity\n", "0755");

        // tar -C / takes the tree's folders' modes too: make them what the node's are
        try (var dirs = Files.walk(tree)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }

        ClusterPki.Request pki = new ClusterPki.Request(tmp.resolve("pki"), "demo", List.of("192.0.2.10"), "archcore",
                null, new RecordingLog());
        List<ClusterPki.ClientCertificate> certs = ClusterPki.fleetClients(pki, List.of("slave", "worker-2"));
        try (SystemdNodes nodes = SystemdNodes.boot(tmp.resolve("nodes"), 2)) {
            List<FleetCredentials.Node> targets = List.of(
                    new FleetCredentials.Node("slave", nodes.node(1).sshEndpoint()),
                    new FleetCredentials.Node("worker-2", nodes.node(2).sshEndpoint()));
            for (SystemdNodes.Node node : nodes.nodes()) {
                nodes.send(node, tree, "/").ok("the fleet part on " + node);
                // what cloud-config's "command: start" does at first boot
                nodes.exec(node, "systemctl daemon-reload && systemctl start fleet.socket fleet.service").ok("start on " + node);
                assertThat(show(nodes, node)).as(node + ": no key, fleet skipped, not failed")
                        .contains("ActiveState=inactive", "ConditionResult=no").doesNotContain("Result=exit-code");
            }

            RecordingLog log = new RecordingLog();
            FleetCredentials.installOnAll(targets, certs, nodes.options(), "/", "systemctl restart fleet.service", log);
            for (int i = 0; i < 2; i++) {
                SystemdNodes.Node node = nodes.node(i + 1);
                assertThat(show(nodes, node)).as(node.toString()).contains("ActiveState=active", "SubState=running");
                assertThat(nodes.exec(node, "systemctl is-active fleet.socket").ok("fleet.socket").text().strip()).isEqualTo("active");
                assertThat(nodes.exec(node, "stat -c '%a %U:%G' /etc/archcore/fleet/etcd-client.key").ok("stat").text().strip())
                        .isEqualTo("600 root:root");
                // the node's own certificate, the CA's, with its own key (the real openssl, on the files as written)
                Path crt = node.root.resolve("etc/archcore/fleet/etcd-client.crt");
                Path key = node.root.resolve("etc/archcore/fleet/etcd-client.key");
                assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
                Tools.run(tmp, "openssl", "verify", "-CAfile", node.root.resolve("etc/archcore/fleet/ca.crt").toString(),
                        "-purpose", "sslclient", crt.toString()).ok("openssl verify");
                assertThat(Tools.run(tmp, "openssl", "x509", "-in", crt.toString(), "-noout", "-subject").ok("x509").text())
                        .contains("CN = " + targets.get(i).name());
                assertThat(Tools.run(tmp, "openssl", "pkey", "-in", key.toString(), "-pubout").ok("pkey").text())
                        .isEqualTo(Tools.run(tmp, "openssl", "x509", "-in", crt.toString(), "-noout", "-pubkey").ok("x509").text());
            }

            // the next window: nothing written, the same fleet process goes on
            List<String> before = nodes.nodes().stream().map(n -> invocation(nodes, n)).toList();
            FleetCredentials.installOnAll(targets, certs, nodes.options(), "/", "systemctl restart fleet.service", log);
            assertThat(nodes.nodes().stream().map(n -> invocation(nodes, n)).toList()).isEqualTo(before);
            assertThat(log.toString()).contains("up to date").doesNotContain(certs.get(0).keyPem().split("\n")[1]);
        }
    }

    private static String show(SystemdNodes nodes, SystemdNodes.Node node) {
        return nodes.exec(node, "systemctl show fleet.service -p ActiveState -p SubState -p ConditionResult -p Result")
                .ok("systemctl show").text();
    }

    private static String invocation(SystemdNodes nodes, SystemdNodes.Node node) {
        return nodes.exec(node, "systemctl show fleet.service -p InvocationID -p MainPID").ok("systemctl show").text();
    }

    private static void write(Path tree, String path, String content, String mode) throws Exception {
        Path f = tree.resolve(path.substring(1));
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(
                mode.endsWith("755") ? "rwxr-xr-x" : mode.endsWith("600") ? "rw-------" : "rw-r--r--"));
    }
}
