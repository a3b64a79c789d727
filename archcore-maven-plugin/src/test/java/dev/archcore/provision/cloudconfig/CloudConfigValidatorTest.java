package dev.archcore.provision.cloudconfig;

import dev.archcore.provision.cloudconfig.CloudConfigValidator.Finding;
import dev.archcore.provision.cloudconfig.CloudConfigValidator.Severity;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every rule of coreos-cloudinit's validator (formats.md 3.3), with its severity, message and line. */
class CloudConfigValidatorTest {
    static List<Finding> validate(String... lines) {
        return CloudConfigValidator.validate(String.join("\n", lines) + "\n");
    }

    static Finding f(Severity s, int line, String message) {
        return new Finding(s, line, message);
    }

    @Test
    void aCleanConfigHasNoFindings() {
        assertThat(validate("#cloud-config", "hostname: h", "ssh_authorized_keys:", "  - ssh-ed25519 AAAA k",
                "coreos:", "  units:", "    - name: a.service", "      command: start", "      enable: true",
                "  update:", "    reboot_strategy: etcd-lock", "  locksmith:", "    window_start: Sun 1:00",
                "    window_length: 2h", "write_files:", "  - path: /etc/x", "    permissions: '0644'",
                "    encoding: base64", "    content: aGVsbG8=")).isEmpty();
    }

    @Test
    void yamlSyntaxErrorIsAnErrorWithItsLine() {
        List<Finding> r = validate("#cloud-config", "hostname: h", "coreos:", "  units: [a, b", "write_files: x");
        assertThat(r).hasSize(1);
        assertThat(r.get(0).severity()).isEqualTo(Severity.ERROR);
        assertThat(r.get(0).line()).isBetween(4, 5);
    }

    @Test
    void userDataMustBeCloudConfigOrAScript() {
        assertThat(validate("hostname: h")).containsExactly(f(Severity.ERROR, 1, "must be \"#cloud-config\" or begin with \"#!\""));
        assertThat(validate("#!/bin/sh", "echo hi")).isEmpty();
    }

    @Test
    void unknownKeyIsAWarning() {
        assertThat(validate("#cloud-config", "hostname: h", "coreos:", "  unitz: []"))
                .containsExactly(f(Severity.WARNING, 4, "unrecognized key \"unitz\""));
    }

    @Test
    void wrongTypesAreWarningsWithCloudinitsCompatibility() {
        assertThat(validate("#cloud-config", "hostname: [a]")).containsExactly(
                f(Severity.WARNING, 2, "incorrect type for \"hostname\" (want string)"));
        assertThat(validate("#cloud-config", "coreos:", "  units:", "    - name: a", "      enable: \"yes\"")).containsExactly(
                f(Severity.WARNING, 5, "incorrect type for \"enable\" (want bool)"));
        assertThat(validate("#cloud-config", "ssh_authorized_keys: k")).containsExactly(
                f(Severity.WARNING, 2, "incorrect type for \"ssh_authorized_keys\" (want []string)"));
        // a string takes an int or a bool
        assertThat(validate("#cloud-config", "hostname: 42", "manage_etc_hosts: true")).isEmpty();
        // a float takes an int; an int does not take a float
        assertThat(validate("#cloud-config", "coreos:", "  fleet:", "    etcd_request_timeout: 1", "    verbosity: 1.5"))
                .contains(f(Severity.WARNING, 5, "incorrect type for \"verbosity\" (want int)"))
                .noneMatch(x -> x.message().contains("etcd_request_timeout"));
    }

    @Test
    void deprecatedKeysAreWarnings() {
        assertThat(validate("#cloud-config", "coreos:", "  etcd2:", "    name: m", "  fleet:", "    metadata: a=b",
                "users:", "  - name: u", "    coreos_ssh_import_github: someone")).containsExactly(
                f(Severity.WARNING, 3, "deprecated key \"etcd2\" (etcd2 is no longer shipped in Container Linux)"),
                f(Severity.WARNING, 5, "deprecated key \"fleet\" (fleet is no longer shipped in Container Linux)"),
                f(Severity.WARNING, 9, "deprecated key \"coreos_ssh_import_github\" (it's a security risk)"));
    }

    @Test
    void valuesFailingTheirValidRegexAreErrors() {
        assertThat(validate("#cloud-config",
                "coreos:",
                "  units:",
                "    - name: a",
                "      command: begin",
                "  update:",
                "    reboot_strategy: best-effort",
                "  locksmith:",
                "    window_start: Sun 25:00",
                "    window_length: two hours",
                "  etcd2:",
                "    proxy: maybe",
                "write_files:",
                "  - path: /etc/a",
                "    permissions: '0999'",
                "    encoding: rot13",
                "    content: x"))
                .filteredOn(x -> x.severity() == Severity.ERROR)
                .extracting(Finding::line, Finding::message)
                .contains(org.assertj.core.groups.Tuple.tuple(5, "invalid value begin"),
                        org.assertj.core.groups.Tuple.tuple(7, "invalid value best-effort"),
                        org.assertj.core.groups.Tuple.tuple(9, "invalid value Sun 25:00"),
                        org.assertj.core.groups.Tuple.tuple(10, "invalid value two hours"),
                        org.assertj.core.groups.Tuple.tuple(12, "invalid value maybe"),
                        org.assertj.core.groups.Tuple.tuple(15, "invalid value 0999"),
                        org.assertj.core.groups.Tuple.tuple(16, "invalid value rot13"));
    }

    @Test
    void contentThatDoesNotDecodeIsAnError() throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write("hello".getBytes());
        }
        String good = Base64.getEncoder().encodeToString(gz.toByteArray());
        assertThat(validate("#cloud-config", "write_files:", "  - path: /etc/a", "    encoding: gzip+base64",
                "    content: " + good)).isEmpty();
        assertThat(validate("#cloud-config", "write_files:", "  - path: /etc/a", "    encoding: base64",
                "    content: '!!not base64'")).containsExactly(f(Severity.ERROR, 5, "content cannot be decoded as \"base64\""));
        assertThat(validate("#cloud-config", "write_files:", "  - path: /etc/a", "    encoding: gz+b64",
                "    content: aGVsbG8=")).containsExactly(f(Severity.ERROR, 5, "content cannot be decoded as \"gz+b64\""));
    }

    @Test
    void filesUnderUsrAreErrors() {
        assertThat(validate("#cloud-config", "write_files:", "  - path: /usr/bin/x", "    content: y"))
                .containsExactly(f(Severity.ERROR, 3, "file cannot be written to a read-only filesystem"));
    }

    @Test
    void writeFilesUnderCoreosIsAnInfo() {
        assertThat(validate("#cloud-config", "coreos:", "  write_files: []")).contains(
                f(Severity.INFO, 3, "write_files doesn't belong under coreos"),
                f(Severity.WARNING, 3, "unrecognized key \"write_files\""));
    }

    @Test
    void anInvalidDiscoveryUrlIsAWarning() {
        assertThat(validate("#cloud-config", "coreos:", "  etcd:", "    discovery: not a url"))
                .contains(f(Severity.WARNING, 4, "discovery URL is not valid"));
        assertThat(validate("#cloud-config", "coreos:", "  etcd:", "    discovery: https://discovery.etcd.io/abc"))
                .noneMatch(x -> x.message().contains("discovery"));
    }

    @Test
    void dashedKeysAreNormalizedWithAnInfo() {
        assertThat(validate("#cloud-config", "coreos:", "  update:", "    reboot-strategy: off"))
                .containsExactly(f(Severity.INFO, 4, "\"reboot-strategy\" uses '-' instead of '_'"));
    }

    @Test
    void userDataOver64KiBIsAnErrorOnTheLineThatPassesTheLimit() {
        StringBuilder b = new StringBuilder("#cloud-config\nwrite_files:\n  - path: /etc/big\n    content: |\n");
        for (int i = 0; i < 1200; i++) {
            b.append("      ").append("x".repeat(60)).append('\n');
        }
        List<Finding> r = CloudConfigValidator.validate(b.toString());
        assertThat(r).hasSize(1);
        assertThat(r.get(0).severity()).isEqualTo(Severity.ERROR);
        assertThat(r.get(0).message()).contains("over DigitalOcean's limit of 65536 bytes");
        // 4 header lines of 61 bytes, then 67 bytes a line: byte 65536 (0-based) is on line 4 + floor((65536 - 61) / 67) + 1
        assertThat(r.get(0).line()).isEqualTo(4 + (65536 - 61) / 67 + 1);
    }
}
