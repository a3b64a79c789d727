package dev.archcore.provision.iso;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.archcore.util.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * An OpenStack config drive (formats.md 3.5) as coreos-cloudinit and Ignition read it: an ISO 9660 volume labelled
 * {@code config-2} with {@code openstack/latest/user_data} and {@code openstack/latest/meta_data.json}.
 */
public final class ConfigDrive {
    public static final String VOLUME_ID = "config-2";
    public static final String USER_DATA = "openstack/latest/user_data";
    public static final String META_DATA = "openstack/latest/meta_data.json";

    /** RFC 4122 appendix C: the name space for DNS names, so the uuid is uuid3(NAMESPACE_DNS, hostname). */
    private static final UUID NAMESPACE_DNS = UUID.fromString("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    private static final Pattern HOSTNAME = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private ConfigDrive() {
    }

    public static void write(Path out, String hostname, List<String> sshPublicKeys, byte[] userData,
                             Instant timestamp) throws IOException {
        byte[] image = bytes(hostname, sshPublicKeys, userData, timestamp);
        AtomicFiles.write(out, o -> o.write(image));
    }

    public static byte[] bytes(String hostname, List<String> sshPublicKeys, byte[] userData, Instant timestamp) {
        if (userData == null) {
            throw new IsoException("Config drive for \"" + hostname + "\" has no user data: render the "
                    + "cloud-config first.");
        }
        return new IsoWriter(VOLUME_ID, timestamp)
                .addFile(USER_DATA, userData)
                .addFile(META_DATA, metaData(hostname, sshPublicKeys))
                .toBytes();
    }

    /**
     * The fields coreos-cloudinit reads from meta_data.json ({@code hostname}, the {@code public_keys} map of key
     * name to key; datasource/configdrive/configdrive.go) plus {@code name} and {@code uuid}, as OpenStack's
     * metadata service writes them (cloud-init's test_configdrive.py OSTACK_META). Keys are named key-1, key-2,
     * ... in the order given; compact JSON with sorted keys, so the bytes depend on nothing else.
     */
    static byte[] metaData(String hostname, List<String> sshPublicKeys) {
        if (hostname == null || !HOSTNAME.matcher(hostname).matches()) {
            throw new IsoException("Config drive hostname \"" + hostname + "\" is not a valid host name (RFC 1123: "
                    + "letters, digits and '-', labels of 1 to 63 characters separated by '.'): rename the host.");
        }
        Map<String, String> keys = new TreeMap<>();
        List<String> given = sshPublicKeys == null ? List.of() : sshPublicKeys;
        for (int i = 0; i < given.size(); i++) {
            String key = given.get(i);
            if (key == null || key.isBlank() || key.contains("\n") || key.contains("\r")) {
                throw new IsoException("Config drive for \"" + hostname + "\": SSH public key " + (i + 1) + " of "
                        + given.size() + " is " + (key == null || key.isBlank() ? "empty" : "more than one line")
                        + ": give each key as one line of a .pub file (type, base64, comment).");
            }
            keys.put("key-" + (i + 1), key.strip());
        }
        Map<String, Object> meta = new TreeMap<>();
        meta.put("hostname", hostname);
        meta.put("name", hostname);
        meta.put("public_keys", keys);
        meta.put("uuid", uuid(hostname).toString());
        try {
            return JSON.writeValueAsBytes(meta);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A name-based (version 3) UUID, so the same host gets the same instance id on every build. */
    static UUID uuid(String hostname) {
        byte[] name = hostname.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(16 + name.length)
                .putLong(NAMESPACE_DNS.getMostSignificantBits())
                .putLong(NAMESPACE_DNS.getLeastSignificantBits())
                .put(name);
        return UUID.nameUUIDFromBytes(b.array());
    }
}
