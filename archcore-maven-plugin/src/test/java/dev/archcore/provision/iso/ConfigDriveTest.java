package dev.archcore.provision.iso;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.archcore.provision.iso.IsoReaders.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Config drives as coreos-cloudinit and Ignition find them: label, paths, and meta_data.json's shape. */
class ConfigDriveTest {
    private static final Instant T = Instant.parse("2024-03-05T06:07:08Z");
    private static final List<String> KEYS = List.of(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop",
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC6AqKvxzQWaJZKwg0I0 bob");
    private static final byte[] USER_DATA = "#cloud-config\nhostname: registry\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    @BeforeAll
    static void tools() {
        IsoReaders.require();
        Tools.require("python3");
    }

    @Test
    void readersFindUserDataAndMetaDataOnAConfig2Volume() throws IOException {
        Path iso = tmp.resolve("registry-config.iso");
        ConfigDrive.write(iso, "registry", KEYS, USER_DATA, T);

        assertThat(IsoReaders.blkid(iso)).contains("LABEL=\"config-2\"", "TYPE=\"iso9660\"");
        assertThat(IsoReaders.isoinfo(iso, "-R", "-l")).contains(" user_data ", " meta_data.json ", " openstack ");
        Map<String, String> expected = IsoReaders.expectedTree(Map.of(
                "openstack/latest/user_data", USER_DATA,
                "openstack/latest/meta_data.json", ConfigDrive.metaData("registry", KEYS)));
        assertThat(tree(IsoReaders.extractWithXorriso(iso, tmp.resolve("x")))).isEqualTo(expected);
        assertThat(tree(IsoReaders.extractWithBsdtar(iso, tmp.resolve("b")))).isEqualTo(expected);
        assertThat(Files.readAllBytes(tmp.resolve("b/openstack/latest/user_data"))).isEqualTo(USER_DATA);
    }

    @Test
    void metaDataHasTheShapeOpenStackWrites() throws IOException {
        byte[] json = ConfigDrive.metaData("registry", KEYS);
        JsonNode meta = new ObjectMapper().readTree(json);
        assertThat(meta.get("hostname").asText()).isEqualTo("registry");
        assertThat(meta.get("name").asText()).isEqualTo("registry");
        assertThat(meta.get("public_keys").get("key-1").asText()).isEqualTo(KEYS.get(0));
        assertThat(meta.get("public_keys").get("key-2").asText()).isEqualTo(KEYS.get(1));
        assertThat(meta.get("public_keys").size()).isEqualTo(2);
        // Python's uuid module is the reference for RFC 4122 name-based UUIDs
        String python = Tools.run(tmp, "python3", "-c",
                "import uuid; print(uuid.uuid3(uuid.NAMESPACE_DNS, 'registry'))").ok("python3").text().strip();
        assertThat(meta.get("uuid").asText()).isEqualTo(python);
        // compact, keys sorted: the same bytes on every machine
        String text = new String(json, StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("\n", " :")
                .startsWith("{\"hostname\":\"registry\",\"name\":\"registry\",\"public_keys\":{\"key-1\":");
        assertThat(text.indexOf("\"uuid\"")).isGreaterThan(text.indexOf("\"public_keys\""));
        assertThat(new ObjectMapper().readTree(ConfigDrive.metaData("worker-1.example.com", List.of()))
                .get("public_keys").size()).isZero();
    }

    @Test
    void theSameHostGivesTheSameBytesAndAnotherHostDiffers() {
        byte[] first = ConfigDrive.bytes("registry", KEYS, USER_DATA, T);
        assertThat(ConfigDrive.bytes("registry", KEYS, USER_DATA, T)).isEqualTo(first);
        assertThat(ConfigDrive.bytes("slave", KEYS, USER_DATA, T)).isNotEqualTo(first);
        assertThat(ConfigDrive.uuid("slave")).isNotEqualTo(ConfigDrive.uuid("registry"));
    }

    @Test
    void badInputIsRefusedAndLeavesThePreviousImage() throws IOException {
        Path iso = tmp.resolve("out/registry-config.iso");
        Files.createDirectories(iso.getParent());
        Files.writeString(iso, "previous good image");
        byte[] secret = "#cloud-config\npassword: hunter2-secret\n".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> ConfigDrive.write(iso, "bad_host", KEYS, secret, T))
                .isInstanceOf(IsoException.class)
                .hasMessageContaining("hostname \"bad_host\" is not a valid host name")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> ConfigDrive.write(iso, "", KEYS, secret, T))
                .isInstanceOf(IsoException.class).hasMessageContaining("hostname \"\"");
        assertThatThrownBy(() -> ConfigDrive.write(iso, "-x", KEYS, secret, T))
                .isInstanceOf(IsoException.class).hasMessageContaining("hostname \"-x\"");
        assertThatThrownBy(() -> ConfigDrive.write(iso, "registry", List.of(KEYS.get(0), "ssh-rsa AAA\nx"), secret, T))
                .isInstanceOf(IsoException.class)
                .hasMessageContaining("SSH public key 2 of 2 is more than one line")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> ConfigDrive.write(iso, "registry", List.of(" "), secret, T))
                .isInstanceOf(IsoException.class).hasMessageContaining("SSH public key 1 of 1 is empty");
        assertThatThrownBy(() -> ConfigDrive.write(iso, "registry", KEYS, null, T))
                .isInstanceOf(IsoException.class).hasMessageContaining("\"registry\" has no user data");

        assertThat(Files.readString(iso)).isEqualTo("previous good image");
        try (var list = Files.list(iso.getParent())) {
            assertThat(list.toList()).containsExactly(iso);
        }
    }
}
