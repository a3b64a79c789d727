package dev.archcore.cluster;

import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.SshServer;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SSH to a real OpenSSH server on 127.0.0.1 and a non-default port: keys, agent, known_hosts, TOFU. */
class SshTunnelTest {
    @TempDir
    static Path dir;
    static SshServer sshd;

    @BeforeAll
    static void start() {
        sshd = SshServer.start(dir.resolve("sshd"));
    }

    @AfterAll
    static void stop() {
        sshd.close();
    }

    private static SshOptions options(Path key, String passphrase) {
        return sshd.options().withIdentity(key, passphrase);
    }

    private static SshEndpoint endpoint() {
        return sshd.sshEndpoint();
    }

    @Test
    void keyAuthOnCustomPortRunsCommands() {
        assertThat(sshd.port).isNotEqualTo(22);
        try (SshTunnel ssh = SshTunnel.connect(endpoint(), options(sshd.clientKey, null), new RecordingLog())) {
            SshTunnel.ExecResult r = ssh.exec("echo hello from $(id -un); exit 3", Duration.ofSeconds(10));
            assertThat(r.output()).isEqualTo("hello from " + sshd.user);
            assertThat(r.exitCode()).isEqualTo(3);
        }
    }

    @Test
    void aKeyTheServerDoesNotKnowIsRefused() {
        Path stranger = sshd.newKey("stranger", "");
        assertThatThrownBy(() -> SshTunnel.connect(endpoint(), options(stranger, null), new RecordingLog()))
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("refused the SSH key")
                .hasMessageContaining(stranger.toString());
    }

    @Test
    void anUnknownHostIsRefusedByDefaultShowingTheFingerprintToCompare() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty_known_hosts"), "");
        SshOptions o = options(sshd.clientKey, null).withKnownHosts(empty, false);
        // what OpenSSH's own tool says the master's key is: "256 SHA256:... comment (ED25519)"
        String fingerprint = Tools.run(dir, "ssh-keygen", "-lf", sshd.hostKey("ed25519").toString()).ok("ssh-keygen -lf")
                .text().trim().split(" ")[1];
        assertThat(fingerprint).startsWith("SHA256:");
        assertThatThrownBy(() -> SshTunnel.connect(endpoint(), o, new RecordingLog()))
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("is not in " + empty)
                .hasMessageContaining(fingerprint)
                .hasMessageContaining("ssh-keygen -lf")
                // no advice to append whatever the network answers to known_hosts unchecked
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(">>").doesNotContain("ssh-keyscan"));
        assertThat(Files.readString(empty)).isEmpty();
    }

    @Test
    void aHostKnownUnderAnotherKeyTypeIsAChangedHostEvenWithTrustOnFirstUse() throws IOException {
        // known_hosts holds only an ECDSA key for the master; the master (or someone in the middle) now offers ed25519
        Path ecdsa = sshd.newKey("recorded_ecdsa_host", "", "ecdsa");
        String[] pub = Files.readString(Path.of(ecdsa + ".pub")).trim().split(" ");
        String line = "[127.0.0.1]:" + sshd.port + " " + pub[0] + " " + pub[1] + "\n";
        assertThat(pub[0]).isEqualTo("ecdsa-sha2-nistp256");
        for (boolean tofu : new boolean[]{true, false}) {
            Path known = Files.writeString(dir.resolve("ecdsa_known_hosts_" + tofu), line);
            RecordingLog log = new RecordingLog();
            SshOptions o = options(sshd.clientKey, null).withKnownHosts(known, tofu);
            assertThatThrownBy(() -> SshTunnel.connect(endpoint(), o, log))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("has CHANGED")
                    .hasMessageContaining("ssh-keygen -R '[127.0.0.1]:" + sshd.port + "'");
            assertThat(Files.readString(known)).isEqualTo(line);
            assertThat(log.lines("WARN")).noneMatch(l -> l.contains("trusted"));
        }
    }

    @Test
    void aHostWithSeveralKeyTypesIsKnownByAnyOfThem() throws IOException {
        try (SshServer both = SshServer.start(dir.resolve("sshd-two-keys"), "ecdsa", "ed25519")) {
            for (String type : new String[]{"ecdsa", "ed25519"}) {
                String[] pub = Files.readString(both.hostKey(type)).trim().split(" ");
                Path known = Files.writeString(dir.resolve("only_" + type + "_known_hosts"),
                        "[127.0.0.1]:" + both.port + " " + pub[0] + " " + pub[1] + "\n");
                // strict: the key type known_hosts has is the one negotiated, as OpenSSH does
                try (SshTunnel ssh = SshTunnel.connect(both.sshEndpoint(), both.options().withKnownHosts(known, false),
                        new RecordingLog())) {
                    assertThat(ssh.exec("echo " + type, Duration.ofSeconds(10)).output()).isEqualTo(type);
                }
            }
        }
    }

    @Test
    void aChangedHostKeyIsRefusedEvenWithTrustOnFirstUse() throws IOException {
        Path other = sshd.newKey("other_host", "");
        String[] pub = Files.readString(Path.of(other + ".pub")).trim().split(" ");
        Path changed = Files.writeString(dir.resolve("changed_known_hosts"), "[127.0.0.1]:" + sshd.port + " " + pub[0] + " " + pub[1] + "\n");
        for (boolean tofu : new boolean[]{false, true}) {
            SshOptions o = options(sshd.clientKey, null).withKnownHosts(changed, tofu);
            assertThatThrownBy(() -> SshTunnel.connect(endpoint(), o, new RecordingLog()))
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining("has CHANGED")
                    .hasMessageContaining("ssh-keygen -R '[127.0.0.1]:" + sshd.port + "'");
        }
    }

    @Test
    void trustOnFirstUseRecordsTheHostThenChecksIt() throws IOException {
        Path file = dir.resolve("tofu/.ssh/known_hosts");
        RecordingLog log = new RecordingLog();
        try (SshTunnel ssh = SshTunnel.connect(endpoint(), options(sshd.clientKey, null).withKnownHosts(file, true), log)) {
            assertThat(ssh.exec("true", Duration.ofSeconds(10)).exitCode()).isZero();
        }
        assertThat(log.lines("WARN")).anyMatch(l -> l.contains("trusted [127.0.0.1]:" + sshd.port + " on first use"));
        String recorded = Files.readString(file);
        String hostKey = Files.readString(sshd.knownHosts).trim().split(" ", 2)[1];
        assertThat(recorded).contains(hostKey);
        // ssh-keygen reads the recorded line as OpenSSH's own
        assertThat(Tools.run(dir, "ssh-keygen", "-F", "[127.0.0.1]:" + sshd.port, "-f", file.toString()).ok("ssh-keygen -F").text())
                .contains("found");
        // from now on strict checking passes with that file
        try (SshTunnel ssh = SshTunnel.connect(endpoint(), options(sshd.clientKey, null).withKnownHosts(file, false), new RecordingLog())) {
            assertThat(ssh.exec("true", Duration.ofSeconds(10)).exitCode()).isZero();
        }
    }

    @Test
    void passphraseProtectedKeys() {
        String passphrase = "correct horse battery staple";
        Path key = sshd.newKey("protected", passphrase);
        sshd.authorize(key);
        try (SshTunnel ssh = SshTunnel.connect(endpoint(), options(key, passphrase), new RecordingLog())) {
            assertThat(ssh.exec("echo ok", Duration.ofSeconds(10)).output()).isEqualTo("ok");
        }
        RecordingLog log = new RecordingLog();
        assertThatThrownBy(() -> SshTunnel.connect(endpoint(), options(key, "wrong-Secret-42"), log))
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("passphrase given for the SSH key " + key + " is wrong")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-Secret-42"));
        assertThat(log.toString()).doesNotContain("wrong-Secret-42");
        assertThatThrownBy(() -> SshTunnel.connect(endpoint(), options(key, null), new RecordingLog()))
                .hasMessageContaining("protected by a passphrase and none was given");
    }

    @Test
    void keysFromAnSshAgent() throws Exception {
        Path sock = dir.resolve("agent.sock");
        Process agent = new ProcessBuilder("ssh-agent", "-D", "-a", sock.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("agent.log").toFile()).start();
        try {
            for (int i = 0; i < 200 && !Files.exists(sock); i++) {
                Thread.sleep(20);
            }
            Tools.run(dir, java.util.Map.of("SSH_AUTH_SOCK", sock.toString()), List.of("ssh-add", sshd.clientKey.toString()))
                    .ok("ssh-add");
            SshOptions o = sshd.options().withIdentity(null, null).withAgent(sock);
            try (SshTunnel ssh = SshTunnel.connect(endpoint(), o, new RecordingLog())) {
                assertThat(ssh.exec("echo agent", Duration.ofSeconds(10)).output()).isEqualTo("agent");
            }
        } finally {
            agent.destroy();
            agent.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void anUnreachableMasterIsNamed() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        SshEndpoint nowhere = SshEndpoint.parse("core@127.0.0.1:" + closed);
        assertThatThrownBy(() -> SshTunnel.connect(nowhere, options(sshd.clientKey, null), new RecordingLog()))
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("cannot reach the master core@127.0.0.1:" + closed);
    }

    @Test
    void endpoints() {
        assertThat(SshEndpoint.parse("core@master.example.com:2222")).isEqualTo(new SshEndpoint("core", "master.example.com", 2222));
        assertThat(SshEndpoint.parse("master")).isEqualTo(new SshEndpoint("core", "master", 22));
        assertThat(SshEndpoint.parse("root@[::1]:2200").hostPort()).isEqualTo("[::1]:2200");
        assertThatThrownBy(() -> SshEndpoint.parse("core@host:99999")).hasMessageContaining("not between 1 and 65535");
        assertThatThrownBy(() -> SshEndpoint.parse("a b")).hasMessageContaining("user@host:port");
    }
}
