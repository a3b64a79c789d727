package dev.archcore.provision.pki;

import dev.archcore.testing.RecordingLog;
import dev.archcore.testing.RegistryServer;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cluster PKI, judged by openssl, Apache's htpasswd and the real registry serving TLS and htpasswd auth
 * with exactly the files archcore made.
 */
class ClusterPkiTest {
    @TempDir
    Path tmp;

    static String curl(Path dir, String url, String... more) {
        List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--cacert", dir.resolve("ca.crt").toString(), url));
        cmd.addAll(List.of(more));
        return Tools.run(dir, java.util.Map.of(), cmd).ok("curl").text().strip();
    }

    ClusterPki.Request request(Path dir, List<String> names, String password, RecordingLog log) {
        return new ClusterPki.Request(dir, "demo", names, "archcore", password, log);
    }

    @Test
    void makesACaARegistryCertificateAndHtpasswdThatTheRealRegistryServes() throws Exception {
        Tools.require("openssl", "htpasswd", "docker-registry");
        Path dir = tmp.resolve("pki");
        RecordingLog log = new RecordingLog();
        ClusterPki.Material m = ClusterPki.ensure(request(dir, List.of("127.0.0.1", "localhost"), null, log));

        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        for (String secret : List.of("ca.key", "registry.key", "registry.password", "htpasswd", "etcd.key",
                "etcd-archcore.key")) {
            assertThat(Files.getPosixFilePermissions(dir.resolve(secret))).as(secret)
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
        Tools.run(dir, "openssl", "verify", "-CAfile", "ca.crt", "registry.crt").ok("openssl verify");
        String text = Tools.run(dir, "openssl", "x509", "-in", "registry.crt", "-noout", "-ext", "subjectAltName,extendedKeyUsage")
                .ok("openssl x509").text();
        assertThat(text).contains("IP Address:127.0.0.1", "DNS:localhost", "TLS Web Server Authentication");
        assertThat(Tools.run(dir, "openssl", "x509", "-in", "ca.crt", "-noout", "-ext", "basicConstraints").ok("x509").text())
                .contains("CA:TRUE");
        Tools.run(dir, "openssl", "pkey", "-in", "registry.key", "-noout").ok("openssl pkey");
        // etcd's server certificate (also for 127.0.0.1, the tunnel's end) and archcore's client certificate
        Tools.run(dir, "openssl", "verify", "-CAfile", "ca.crt", "etcd.crt", "etcd-archcore.crt").ok("openssl verify");
        assertThat(Tools.run(dir, "openssl", "x509", "-in", "etcd.crt", "-noout", "-ext", "subjectAltName,extendedKeyUsage")
                .ok("x509").text()).contains("IP Address:127.0.0.1", "DNS:localhost", "TLS Web Server Authentication");
        for (String client : List.of("etcd-archcore.crt")) {
            assertThat(Tools.run(dir, "openssl", "x509", "-in", client, "-noout", "-ext", "extendedKeyUsage").ok("x509").text())
                    .as(client).contains("TLS Web Client Authentication").doesNotContain("Server");
        }
        assertThat(m.etcdKeyPem()).isEqualTo(Files.readString(dir.resolve("etcd.key")));
        // no shared fleet key any more: fleet's are one per node (fleetClients)
        assertThat(dir.resolve("etcd-fleet.key")).doesNotExist();

        String password = Files.readString(dir.resolve("registry.password")).strip();
        assertThat(m.htpasswd()).startsWith("archcore:$2y$10$");
        Tools.run(dir, "htpasswd", "-vb", "htpasswd", "archcore", password).ok("htpasswd -v");
        assertThat(Tools.run(dir, "htpasswd", "-vb", "htpasswd", "archcore", "wrong").exitCode()).isNotZero();
        assertThat(log.toString()).doesNotContain(password).contains("registry.password");

        try (RegistryServer registry = RegistryServer.secure(tmp.resolve("registry"), dir.resolve("ca.crt"),
                dir.resolve("registry.crt"), dir.resolve("registry.key"), dir.resolve("htpasswd"))) {
            // curl trusts only our CA: the chain, the IP and the DNS name in the certificate must all be right
            String url = "https://" + registry.host() + "/v2/";
            assertThat(curl(dir, url)).isEqualTo("401");
            assertThat(curl(dir, url, "-u", "archcore:" + password)).isEqualTo("200");
            assertThat(curl(dir, "https://localhost:" + registry.port + "/v2/", "-u", "archcore:" + password)).isEqualTo("200");
            assertThat(curl(dir, url, "-u", "archcore:wrong")).isEqualTo("401");
        }
    }

    @Test
    void laterRunsKeepEverythingAndANewAddressGetsANewCertificateFromTheSameCa() throws Exception {
        Path dir = tmp.resolve("pki");
        ClusterPki.Material first = ClusterPki.ensure(request(dir, List.of("192.0.2.10"), null, new RecordingLog()));
        ClusterPki.Material again = ClusterPki.ensure(request(dir, List.of("192.0.2.10"), null, new RecordingLog()));
        assertThat(again).usingRecursiveComparison().isEqualTo(first);

        RecordingLog log = new RecordingLog();
        ClusterPki.Material moved = ClusterPki.ensure(request(dir, List.of("198.51.100.7"), null, log));
        assertThat(moved.caCertificatePem()).isEqualTo(first.caCertificatePem());
        assertThat(moved.registryCertificatePem()).isNotEqualTo(first.registryCertificatePem());
        assertThat(moved.htpasswd()).isEqualTo(first.htpasswd());
        assertThat(log.toString()).contains("does not name 198.51.100.7");
        Tools.run(dir, "openssl", "verify", "-CAfile", "ca.crt", "registry.crt").ok("openssl verify");
    }

    @Test
    void aPasswordFromSettingsReplacesTheHtpasswdEntryAndIsNeitherStoredNorLogged() throws Exception {
        Path dir = tmp.resolve("pki");
        ClusterPki.ensure(request(dir, List.of("192.0.2.10"), null, new RecordingLog()));
        RecordingLog log = new RecordingLog();
        String secret = "from-settings-Xy9";
        ClusterPki.Material m = ClusterPki.ensure(request(dir, List.of("192.0.2.10"), secret, log));
        Tools.run(dir, "htpasswd", "-vb", "htpasswd", "archcore", secret).ok("htpasswd -v");
        assertThat(log.toString()).doesNotContain(secret);
        assertThat(Files.readString(dir.resolve("registry.password"))).doesNotContain(secret);
        assertThat(m.toString()).doesNotContain(secret).doesNotContain("PRIVATE");
        assertThat(ClusterPki.ensure(request(dir, List.of("192.0.2.10"), secret, new RecordingLog())).htpasswd())
                .isEqualTo(m.htpasswd());
    }

    @Test
    void aBadUserNameOrADamagedKeyIsOneClearError() throws Exception {
        Path dir = tmp.resolve("pki");
        assertThatThrownBy(() -> ClusterPki.ensure(new ClusterPki.Request(dir, "demo", List.of("192.0.2.10"), "a:b", null, null)))
                .isInstanceOf(PkiException.class).hasMessageContaining("'a:b'");
        ClusterPki.ensure(request(dir, List.of("192.0.2.10"), null, new RecordingLog()));
        Files.writeString(dir.resolve("ca.key"), "garbage");
        assertThatThrownBy(() -> ClusterPki.ensure(request(dir, List.of("192.0.2.10"), null, new RecordingLog())))
                .isInstanceOf(PkiException.class).hasMessageContaining(dir.toString()).hasMessageContaining("archcore.pkiDirectory");
    }

    /**
     * fleet's etcd client certificates: one per node, common name the node's name, each verified by openssl against
     * the CA, its key 0600 and its own; reused on the next run; a name that cannot be a file name is refused.
     */
    @Test
    void issuesOneFleetClientCertificatePerNodeNamedAfterIt() throws Exception {
        Tools.require("openssl");
        Path dir = tmp.resolve("pki");
        ClusterPki.Request r = request(dir, List.of("192.0.2.10"), null, new RecordingLog());
        ClusterPki.ensure(r);
        List<ClusterPki.ClientCertificate> certs = ClusterPki.fleetClients(r, List.of("registry", "slave", "192.0.2.11"));
        assertThat(certs).extracting(ClusterPki.ClientCertificate::node).containsExactly("registry", "slave", "192.0.2.11");
        for (ClusterPki.ClientCertificate c : certs) {
            Path crt = ClusterPki.fleetEtcdCertificate(dir, c.node());
            Path key = ClusterPki.fleetEtcdKey(dir, c.node());
            assertThat(Files.readString(crt)).isEqualTo(c.certificatePem());
            assertThat(Files.readString(key)).isEqualTo(c.keyPem());
            assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            Tools.run(dir, "openssl", "verify", "-CAfile", "ca.crt", crt.toString()).ok("openssl verify");
            assertThat(Tools.run(dir, "openssl", "x509", "-in", crt.toString(), "-noout", "-subject", "-ext",
                    "extendedKeyUsage").ok("x509").text()).contains("CN = " + c.node(), "TLS Web Client Authentication")
                    .doesNotContain("Server");
            // the key is the certificate's
            String fromKey = Tools.run(dir, "openssl", "pkey", "-in", key.toString(), "-pubout").ok("pkey").text();
            String fromCert = Tools.run(dir, "openssl", "x509", "-in", crt.toString(), "-noout", "-pubkey").ok("x509").text();
            assertThat(fromKey).isEqualTo(fromCert);
        }
        assertThat(certs.stream().map(ClusterPki.ClientCertificate::keyPem).distinct()).hasSize(3);
        assertThat(certs.get(0).toString()).doesNotContain("PRIVATE");

        // the next run reuses them
        assertThat(ClusterPki.fleetClients(r, List.of("slave")).get(0).keyPem()).isEqualTo(certs.get(1).keyPem());

        assertThatThrownBy(() -> ClusterPki.fleetClients(r, List.of("../ca"))).isInstanceOf(PkiException.class)
                .hasMessageContaining("'../ca'").hasMessageContaining("nodes.json");
        assertThatThrownBy(() -> ClusterPki.fleetClients(request(tmp.resolve("empty"), List.of("192.0.2.10"), null,
                new RecordingLog()), List.of("slave"))).isInstanceOf(PkiException.class).hasMessageContaining("archcore:iso");
    }
}
