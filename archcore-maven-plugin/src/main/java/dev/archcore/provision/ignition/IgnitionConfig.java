package dev.archcore.provision.ignition;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.archcore.provision.cloudconfig.YamlNode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * The intent of a cloud-config as Ignition spec 3.3.0 JSON for Flatcar (what Butane {@code variant: flatcar}
 * 1.0.0 produces): {@code ssh_authorized_keys} and {@code users} become {@code passwd.users} (core gets the
 * keys), {@code hostname} and {@code write_files} become {@code storage.files} (decoded, mode and owner kept,
 * replacing what the image has), {@code coreos.units} become {@code systemd.units} with their drop-ins; a unit
 * the cloud-config starts or enables is {@code enabled}, a masked one {@code mask}. A unit that names a release file
 * by {@code ARCHCORE_FETCH_URL}/{@code _HASH}/{@code _FILE} also gets that file as a remote {@code storage.files}
 * entry with {@code verification.hash}, fetched and checked by Ignition itself.
 * <p>
 * Ignition fills in nothing: {@code $public_ipv4}/{@code $private_ipv4} are replaced by the given addresses,
 * and a unit or file line that still names one is left out (fleet then finds its address itself).
 * Output is compact, keys in a fixed order: the same cloud-config gives the same bytes.
 */
public final class IgnitionConfig {
    public static final String SPEC_VERSION = "3.3.0";
    private static final ObjectMapper JSON = new ObjectMapper();

    private IgnitionConfig() {
    }

    /**
     * @param cloudConfig the parsed, rendered cloud-config
     * @param publicIpv4  the node's public address, or null when not known yet
     * @param privateIpv4 the node's private address, or null
     */
    public static String fromCloudConfig(YamlNode cloudConfig, String publicIpv4, String privateIpv4) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("ignition", Map.of("version", SPEC_VERSION));

        List<Object> users = new ArrayList<>();
        List<String> coreKeys = new ArrayList<>();
        cloudConfig.get("ssh_authorized_keys").items().forEach(k -> coreKeys.add(k.text("")));
        boolean coreListed = false;
        for (YamlNode u : cloudConfig.get("users").items()) {
            Map<String, Object> user = new LinkedHashMap<>();
            String name = u.get("name").text("");
            user.put("name", name);
            List<String> keys = new ArrayList<>();
            u.get("ssh_authorized_keys").items().forEach(k -> keys.add(k.text("")));
            if (name.equals("core")) {
                keys.addAll(0, coreKeys);
                coreListed = true;
            }
            putIf(user, "passwordHash", u.get("passwd").text(null));
            if (!keys.isEmpty()) {
                user.put("sshAuthorizedKeys", keys);
            }
            putIf(user, "gecos", u.get("gecos").text(null));
            putIf(user, "homeDir", u.get("homedir").text(null));
            putIf(user, "primaryGroup", u.get("primary_group").text(null));
            putIf(user, "shell", u.get("shell").text(null));
            List<String> groups = u.get("groups").items().stream().map(g -> g.text("")).toList();
            if (!groups.isEmpty()) {
                user.put("groups", groups);
            }
            for (String flag : List.of("no_create_home", "no_user_group", "system", "no_log_init")) {
                if (u.get(flag).isTrue()) {
                    user.put(camel(flag), true);
                }
            }
            users.add(user);
        }
        if (!coreListed && !coreKeys.isEmpty()) {
            Map<String, Object> core = new LinkedHashMap<>();
            core.put("name", "core");
            core.put("sshAuthorizedKeys", coreKeys);
            users.add(0, core);
        }
        if (!users.isEmpty()) {
            root.put("passwd", Map.of("users", users));
        }

        List<Object> files = new ArrayList<>();
        String hostname = cloudConfig.get("hostname").text(null);
        if (hostname != null && !hostname.isEmpty()) {
            files.add(file("/etc/hostname", 0644, null, (hostname.split("\\.", 2)[0] + "\n").getBytes(StandardCharsets.UTF_8)));
        }
        for (YamlNode f : cloudConfig.get("write_files").items()) {
            byte[] content = decode(f.get("content").text(""), f.get("encoding").text(""));
            if (f.get("encoding").text("").isEmpty()) {
                content = addresses(new String(content, StandardCharsets.UTF_8), publicIpv4, privateIpv4)
                        .getBytes(StandardCharsets.UTF_8);
            }
            String permissions = f.get("permissions").text("0644");
            files.add(file(f.get("path").text(""), Integer.parseInt(permissions, 8), f.get("owner").text(null), content));
        }
        for (YamlNode u : cloudConfig.get("coreos").get("units").items()) {
            Map<String, Object> fetched = fetchedFile(u.get("content").text(""));
            if (fetched != null) {
                files.add(fetched);
            }
        }
        if (!files.isEmpty()) {
            root.put("storage", Map.of("files", files));
        }

        List<Object> units = new ArrayList<>();
        for (YamlNode u : cloudConfig.get("coreos").get("units").items()) {
            Map<String, Object> unit = new LinkedHashMap<>();
            unit.put("name", u.get("name").text(""));
            String command = u.get("command").text("");
            if (u.get("enable").isTrue() || (!u.get("mask").isTrue() && command.matches("start|restart|try-restart|reload-or-restart|reload-or-try-restart"))) {
                unit.put("enabled", true);
            }
            if (u.get("mask").isTrue()) {
                unit.put("mask", true);
            }
            String content = u.get("content").text(null);
            if (content != null) {
                unit.put("contents", addresses(content, publicIpv4, privateIpv4));
            }
            List<Object> dropins = new ArrayList<>();
            for (YamlNode d : u.get("drop_ins").items()) {
                Map<String, Object> dropin = new LinkedHashMap<>();
                dropin.put("name", d.get("name").text(""));
                dropin.put("contents", addresses(d.get("content").text(""), publicIpv4, privateIpv4));
                dropins.add(dropin);
            }
            if (!dropins.isEmpty()) {
                unit.put("dropins", dropins);
            }
            units.add(unit);
        }
        if (!units.isEmpty()) {
            root.put("systemd", Map.of("units", units));
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> file(String path, int mode, String owner, byte[] content) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("path", path);
        f.put("overwrite", true);
        f.put("contents", Map.of("source", "data:;base64," + Base64.getEncoder().encodeToString(content)));
        f.put("mode", mode);
        if (owner != null && !owner.isEmpty()) {
            String[] ug = owner.split(":", 2);
            f.put("user", Map.of("name", ug[0]));
            if (ug.length > 1 && !ug[1].isEmpty()) {
                f.put("group", Map.of("name", ug[1]));
            }
        }
        return f;
    }

    private static final Pattern FETCH = Pattern.compile(
            "(?m)^Environment=\"?ARCHCORE_FETCH_(URL|HASH|FILE)=([^\"\\s]+)\"?\\s*$");

    /**
     * A unit that sets {@code ARCHCORE_FETCH_URL}, {@code _HASH} and {@code _FILE} (the archetype's fleet-install
     * and etcd-install, which run {@code archcore-fetch}) names a release file: Ignition fetches it into place
     * itself and refuses it unless it has that hash ({@code verification.hash}, sha512- or sha256-), so on Flatcar
     * the unit finds a verified file and needs no download of its own.
     */
    static Map<String, Object> fetchedFile(String unit) {
        Map<String, String> env = new HashMap<>();
        Matcher m = FETCH.matcher(unit);
        while (m.find()) {
            env.put(m.group(1), m.group(2));
        }
        if (!env.keySet().containsAll(List.of("URL", "HASH", "FILE"))) {
            return null;
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("path", env.get("FILE"));
        f.put("overwrite", true);
        // a LinkedHashMap, not Map.of: Map.of's order changes from one JVM to the next, and so would the bytes
        Map<String, Object> contents = new LinkedHashMap<>();
        contents.put("source", env.get("URL"));
        contents.put("verification", Map.of("hash", env.get("HASH")));
        f.put("contents", contents);
        f.put("mode", 0644);
        return f;
    }

    /** Replaces the provider addresses, leaving out lines that name one nobody knows yet. */
    static String addresses(String text, String publicIpv4, String privateIpv4) {
        StringBuilder out = new StringBuilder();
        for (String line : text.split("(?<=\n)")) {
            String l = line;
            if (publicIpv4 != null) {
                l = l.replace("$public_ipv4", publicIpv4);
            }
            if (privateIpv4 != null) {
                l = l.replace("$private_ipv4", privateIpv4);
            }
            if (!l.contains("$public_ipv4") && !l.contains("$private_ipv4")) {
                out.append(l);
            }
        }
        return out.toString();
    }

    private static byte[] decode(String content, String encoding) {
        try {
            return switch (encoding) {
                case "b64", "base64" -> Base64.getDecoder().decode(content.strip());
                case "gz", "gzip" -> gunzip(content.getBytes(StandardCharsets.ISO_8859_1));
                case "gz+base64", "gzip+base64", "gz+b64", "gzip+b64" -> gunzip(Base64.getDecoder().decode(content.strip()));
                default -> content.getBytes(StandardCharsets.UTF_8);
            };
        } catch (IOException e) {
            // the validator has already refused content that does not decode
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] gunzip(byte[] data) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
            return in.readAllBytes();
        }
    }

    private static void putIf(Map<String, Object> map, String key, String value) {
        if (value != null && !value.isEmpty()) {
            map.put(key, value);
        }
    }

    private static String camel(String snake) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                b.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return b.toString();
    }
}
