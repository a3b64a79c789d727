package dev.archcore.provision.cloudconfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a rendered cloud-config keeps the seed's lock-down: every way of loosening it is one {@link Loosening},
 * reported with its line unless the user allowed it by name.
 */
public final class LockdownLint {
    /** One loosening found, with the line it is on. */
    public record Finding(Loosening loosening, int line, String message) {
        @Override
        public String toString() {
            return "line " + line + ": " + message + " (to allow it anyway: archcore." + loosening.parameter() + "=true)";
        }
    }

    private static final Pattern URL_HOST = Pattern.compile("^[a-z+]+://(\\[[^]]*]|[^:/,]*)");
    private static final Set<String> STARTING = Set.of("start", "restart", "try-restart", "reload-or-restart",
            "reload-or-try-restart");

    private final List<Finding> findings = new ArrayList<>();
    private final YamlNode root;
    private final int sshPort;

    private LockdownLint(YamlNode root, int sshPort) {
        this.root = root;
        this.sshPort = sshPort;
    }

    /** The loosenings of {@code root} not in {@code allowed}; {@code sshPort} is the configured SSH port. */
    public static List<Finding> check(YamlNode root, int sshPort, Set<Loosening> allowed) {
        LockdownLint lint = new LockdownLint(root, sshPort);
        lint.ssh();
        lint.time();
        lint.etcd();
        lint.etcdClients();
        lint.fleet();
        lint.updateOnlyServices();
        lint.registry();
        return lint.findings.stream().filter(f -> !allowed.contains(f.loosening())).toList();
    }

    /**
     * A private key in the user data, with the line it is on. Refused whatever is allowed: user data is served to
     * every process on a droplet by the cloud's metadata service and printed by the provision dry run, and archcore
     * writes every key a node needs over SSH when the update window opens, so no opt-out is needed.
     */
    public record PrivateKey(int line, String marker) {
    }

    /** PEM (PKCS#1, SEC 1, PKCS#8, encrypted or not), OpenSSH's and OpenPGP's armour. */
    private static final Pattern PRIVATE_KEY = Pattern.compile("-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----");

    /**
     * The private keys in a rendered cloud-config: in its text, and in {@code write_files} contents encoded as
     * base64 (cloud-config's {@code encoding: b64}, {@code gz+b64} and their long names), which a text search would miss.
     */
    public static List<PrivateKey> privateKeys(String text, YamlNode root) {
        List<PrivateKey> found = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = PRIVATE_KEY.matcher(lines[i]);
            if (m.find()) {
                found.add(new PrivateKey(i + 1, m.group()));
            }
        }
        for (YamlNode f : root.get("write_files").items()) {
            String encoding = f.get("encoding").text("").toLowerCase(Locale.ROOT);
            YamlNode content = f.get("content");
            if (!content.exists() || !encoding.matches("(gz\\+|gzip\\+)?(b64|base64)")) {
                continue;
            }
            try {
                byte[] bytes = java.util.Base64.getMimeDecoder().decode(content.text(""));
                if (encoding.startsWith("gz")) {
                    try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
                        bytes = in.readAllBytes();
                    }
                }
                Matcher m = PRIVATE_KEY.matcher(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1));
                if (m.find()) {
                    found.add(new PrivateKey(content.line, m.group() + " (" + encoding + "-encoded, in "
                            + f.get("path").text("?") + ")"));
                }
            } catch (IllegalArgumentException | java.io.IOException e) {
                // not decodable: coreos-cloudinit would fail to write it; the validator reports such content
            }
        }
        return found;
    }

    private void add(Loosening l, int line, String message) {
        findings.add(new Finding(l, line, message));
    }

    private List<YamlNode> units() {
        return root.get("coreos").get("units").items();
    }

    private record TextLine(int line, String text) {
    }

    /** Every line of a unit's content and its drop-ins. */
    private static List<TextLine> unitLines(YamlNode unit) {
        List<TextLine> lines = new ArrayList<>(lines(unit.get("content")));
        for (YamlNode d : unit.get("drop_ins").items()) {
            lines.addAll(lines(d.get("content")));
        }
        return lines;
    }

    private static List<TextLine> lines(YamlNode scalar) {
        List<TextLine> out = new ArrayList<>();
        if (scalar.exists() && scalar.value != null) {
            String[] split = scalar.value.split("\n", -1);
            for (int k = 0; k < split.length; k++) {
                out.add(new TextLine(scalar.textLine(k), split[k].strip()));
            }
        }
        return out;
    }

    private void ssh() {
        boolean passwordOff = false;
        boolean rootOff = false;
        int firstConfigLine = 0;
        for (YamlNode f : root.get("write_files").items()) {
            String path = f.get("path").text("");
            if (!path.equals("/etc/ssh/sshd_config") && !path.startsWith("/etc/ssh/sshd_config.d/")) {
                continue;
            }
            firstConfigLine = firstConfigLine == 0 ? f.get("path").line : firstConfigLine;
            for (TextLine t : lines(f.get("content"))) {
                String[] kv = t.text().split("\\s+", 2);
                if (kv.length < 2 || kv[0].startsWith("#")) {
                    continue;
                }
                String key = kv[0].toLowerCase(Locale.ROOT);
                String value = kv[1].strip().toLowerCase(Locale.ROOT);
                switch (key) {
                    case "passwordauthentication" -> {
                        if (value.equals("no")) {
                            passwordOff = true;
                        } else {
                            add(Loosening.PASSWORD_LOGIN, t.line(), path + " allows password login (" + t.text() + ")");
                        }
                    }
                    case "kbdinteractiveauthentication", "challengeresponseauthentication", "permitemptypasswords" -> {
                        if (!value.equals("no")) {
                            add(Loosening.PASSWORD_LOGIN, t.line(), path + " allows password login (" + t.text() + ")");
                        }
                    }
                    case "permitrootlogin" -> {
                        if (value.equals("no")) {
                            rootOff = true;
                        } else {
                            add(Loosening.ROOT_LOGIN, t.line(), path + " allows root login (" + t.text() + ")");
                        }
                    }
                    case "port" -> {
                        if (value.equals("22") && sshPort != 22) {
                            add(Loosening.SSH_PORT_22, t.line(), path + " sets Port 22 but the SSH port is " + sshPort);
                        }
                    }
                    default -> {
                    }
                }
            }
        }
        if (!passwordOff) {
            add(Loosening.PASSWORD_LOGIN, firstConfigLine == 0 ? 1 : firstConfigLine,
                    "no sshd_config written by write_files says 'PasswordAuthentication no'");
        }
        if (!rootOff) {
            add(Loosening.ROOT_LOGIN, firstConfigLine == 0 ? 1 : firstConfigLine,
                    "no sshd_config written by write_files says 'PermitRootLogin no'");
        }
        for (YamlNode u : root.get("users").items()) {
            YamlNode passwd = u.get("passwd");
            if (passwd.exists()) {
                add(Loosening.PASSWORD_LOGIN, passwd.line, "user " + u.get("name").text("?") + " gets a password");
            }
        }
        if (sshPort == 22) {
            // the lock-down moves sshd off the port every scanner tries; 22 itself is what allowSshPort22 allows
            int line = units().stream().filter(u -> u.get("name").text("").equals("sshd.socket"))
                    .map(u -> u.get("name").line).findFirst().orElse(1);
            add(Loosening.SSH_PORT_22, line, "the SSH port ($SSH_PORT, archcore.sshPort) is 22: choose another port");
            return;
        }
        boolean moved = false;
        boolean reset = false;
        for (YamlNode u : units()) {
            if (!u.get("name").text("").equals("sshd.socket")) {
                continue;
            }
            for (TextLine t : unitLines(u)) {
                if (!t.text().startsWith("ListenStream=")) {
                    continue;
                }
                String listen = t.text().substring("ListenStream=".length()).strip();
                if (listen.isEmpty()) {
                    reset = true;
                } else if (listen.equals("22") || listen.endsWith(":22")) {
                    add(Loosening.SSH_PORT_22, t.line(), "sshd.socket listens on port 22 (" + t.text()
                            + ") but the SSH port is " + sshPort);
                } else if (listen.equals(String.valueOf(sshPort)) || listen.endsWith(":" + sshPort)) {
                    moved = reset;
                }
            }
        }
        if (!moved) {
            add(Loosening.SSH_PORT_22, 1, "sshd.socket keeps port 22: no drop-in resets 'ListenStream=' and then "
                    + "sets 'ListenStream=" + sshPort + "'");
        }
    }

    private void time() {
        boolean masked = false;
        boolean timesyncd = false;
        for (YamlNode u : units()) {
            String name = u.get("name").text("");
            if (name.equals("ntpd.service")) {
                masked = u.get("mask").isTrue();
                String command = u.get("command").text("");
                if (u.get("enable").isTrue() || STARTING.contains(command)) {
                    add(Loosening.NTPD, u.get("name").line, "ntpd.service is started or enabled");
                    masked = false;
                } else if (!masked) {
                    add(Loosening.NTPD, u.get("name").line, "ntpd.service is not masked (mask: true)");
                }
            } else if (name.equals("systemd-timesyncd.service")) {
                timesyncd = u.get("enable").isTrue() || STARTING.contains(u.get("command").text(""));
                if (!timesyncd) {
                    add(Loosening.NTPD, u.get("name").line, "systemd-timesyncd.service is neither enabled nor started");
                }
            }
        }
        if (!masked && findings.stream().noneMatch(f -> f.loosening() == Loosening.NTPD)) {
            add(Loosening.NTPD, 1, "ntpd.service is not masked: add the unit ntpd.service with mask: true and command: stop");
        }
        if (!timesyncd && findings.stream().noneMatch(f -> f.message().startsWith("systemd-timesyncd"))) {
            add(Loosening.NTPD, 1, "systemd-timesyncd.service is not enabled: add it with enable: true and command: start");
        }
    }

    private void etcd() {
        for (String section : List.of("etcd2", "etcd")) {
            YamlNode e = root.get("coreos").get(section);
            for (String key : List.of("listen_peer_urls", "initial_advertise_peer_urls", "peer_addr", "peer_bind_addr")) {
                YamlNode v = e.get(key);
                if (v.exists()) {
                    offHostPeers(v.line, "coreos." + section + "." + key, v.text(""));
                }
            }
        }
        for (YamlNode u : units()) {
            if (!u.get("name").text("").startsWith("etcd")) {
                continue;
            }
            for (TextLine t : unitLines(u)) {
                Matcher m = Pattern.compile("(ETCD_LISTEN_PEER_URLS|ETCD_INITIAL_ADVERTISE_PEER_URLS|--listen-peer-urls"
                        + "|--initial-advertise-peer-urls)[= ]\"?([^\"\\s]+)").matcher(t.text());
                while (m.find()) {
                    offHostPeers(t.line(), u.get("name").text("") + " " + m.group(1), m.group(2));
                }
            }
        }
    }

    private void offHostPeers(int line, String what, String urls) {
        for (String url : urls.split(",")) {
            String u = url.strip();
            if (u.startsWith("unix://") || u.startsWith("unixs://")) {
                continue;
            }
            Matcher m = URL_HOST.matcher(u);
            String host = m.find() ? m.group(1) : u.replaceFirst(":.*", "");
            if (!(host.startsWith("127.") || host.equals("localhost") || host.equals("[::1]"))) {
                add(Loosening.ETCD_PEER, line, what + " = " + u + " is reachable from other hosts");
            }
        }
    }

    /** etcd URLs clients use: plain HTTP only on loopback; an off-host https listener must ask for client certificates. */
    private static final Pattern CLIENT_URLS = Pattern.compile("(ETCD_LISTEN_CLIENT_URLS|ETCD_ADVERTISE_CLIENT_URLS"
            + "|FLEET_ETCD_SERVERS|--listen-client-urls|--advertise-client-urls|-?-etcd[_-]servers)[= ]\"?([^\"\\s]+)");
    private static final Pattern CERT_AUTH = Pattern.compile("(ETCD_CLIENT_CERT_AUTH=\"?true|--client-cert-auth(=true)?(\\s|\"|$))");
    private static final Pattern TRUSTED_CA = Pattern.compile("(ETCD_TRUSTED_CA_FILE|--trusted-ca-file)[= ]\"?[^\"\\s]+");

    private void etcdClients() {
        YamlNode coreos = root.get("coreos");
        for (String section : List.of("etcd2", "etcd")) {
            YamlNode e = coreos.get(section);
            boolean listensOffHostTls = false;
            int listenLine = 0;
            for (String key : List.of("listen_client_urls", "advertise_client_urls")) {
                YamlNode v = either(e, key);
                if (v.exists()) {
                    plainOffHost(v.line, "coreos." + section + "." + key, v.text(""));
                    if (key.startsWith("listen") && offHostTls(v.text(""))) {
                        listensOffHostTls = true;
                        listenLine = v.line;
                    }
                }
            }
            if (listensOffHostTls && (!either(e, "client_cert_auth").isTrue() || !either(e, "trusted_ca_file").exists())) {
                add(Loosening.INSECURE_ETCD, listenLine, "coreos." + section + " listens for clients on other hosts without "
                        + "client_cert_auth: true and a trusted_ca_file: anyone who reaches it may use it");
            }
        }
        YamlNode fleetServers = either(coreos.get("fleet"), "etcd_servers");
        if (fleetServers.exists()) {
            plainOffHost(fleetServers.line, "coreos.fleet.etcd_servers", fleetServers.text(""));
        }
        for (YamlNode u : units()) {
            String name = u.get("name").text("");
            List<TextLine> lines = unitLines(u);
            int tlsListener = 0;
            for (TextLine t : lines) {
                Matcher m = CLIENT_URLS.matcher(t.text());
                while (m.find()) {
                    plainOffHost(t.line(), name + " " + m.group(1), m.group(2));
                    if (m.group(1).contains("LISTEN") || m.group(1).contains("listen")) {
                        tlsListener = tlsListener == 0 && offHostTls(m.group(2)) ? t.line() : tlsListener;
                    }
                }
            }
            if (tlsListener != 0) {
                boolean certAuth = lines.stream().anyMatch(t -> CERT_AUTH.matcher(t.text()).find());
                boolean trustedCa = lines.stream().anyMatch(t -> TRUSTED_CA.matcher(t.text()).find());
                if (!certAuth || !trustedCa) {
                    add(Loosening.INSECURE_ETCD, tlsListener, name + " lets etcd answer clients on other hosts without "
                            + (certAuth ? "" : "ETCD_CLIENT_CERT_AUTH=true" + (trustedCa ? "" : " and "))
                            + (trustedCa ? "" : "ETCD_TRUSTED_CA_FILE") + ": TLS alone lets anyone who reaches it use it; "
                            + "ask for client certificates from the cluster CA");
                }
            }
        }
    }

    /** {@code key}, or the same with '-' for '_' (coreos-cloudinit reads both). */
    private static YamlNode either(YamlNode map, String key) {
        YamlNode v = map.get(key);
        return v.exists() ? v : map.get(key.replace('_', '-'));
    }

    /** Each plain-HTTP URL in {@code urls} that is not on loopback is a finding. */
    private void plainOffHost(int line, String what, String urls) {
        for (String url : urls.split(",")) {
            String u = url.strip();
            if (u.regionMatches(true, 0, "http://", 0, 7) && !loopback(u)) {
                add(Loosening.INSECURE_ETCD, line, what + " = " + u + " is plain HTTP reachable from other hosts: use "
                        + "https:// with etcd's certificate from the cluster CA and client certificates (ETCD_CERT_FILE, "
                        + "ETCD_KEY_FILE, ETCD_TRUSTED_CA_FILE, ETCD_CLIENT_CERT_AUTH=true; fleet's FLEET_ETCD_CAFILE, "
                        + "FLEET_ETCD_CERTFILE, FLEET_ETCD_KEYFILE), as the archetype's templates do");
            }
        }
    }

    private static boolean offHostTls(String urls) {
        for (String url : urls.split(",")) {
            String u = url.strip();
            if (u.regionMatches(true, 0, "https://", 0, 8) && !loopback(u)) {
                return true;
            }
        }
        return false;
    }

    private static boolean loopback(String url) {
        Matcher m = URL_HOST.matcher(url.toLowerCase(Locale.ROOT));
        String host = m.find() ? m.group(1) : "";
        return host.startsWith("127.") || host.equals("localhost") || host.equals("[::1]");
    }

    private void fleet() {
        for (YamlNode u : units()) {
            if (!u.get("name").text("").equals("fleet.socket")) {
                continue;
            }
            for (TextLine t : unitLines(u)) {
                if (t.text().startsWith("ListenStream=")) {
                    String listen = t.text().substring("ListenStream=".length()).strip();
                    if (!listen.isEmpty() && !listen.startsWith("/") && !listen.startsWith("@")) {
                        add(Loosening.FLEET_TCP, t.line(), "fleet.socket listens on TCP (" + t.text() + ")");
                    }
                }
            }
        }
    }

    static boolean updateOnly(String unitName) {
        return unitName.startsWith("etcd") || (unitName.contains("registry") && !unitName.contains("-tls"));
    }

    private void updateOnlyServices() {
        for (YamlNode u : units()) {
            String name = u.get("name").text("");
            if (!updateOnly(name)) {
                continue;
            }
            String command = u.get("command").text("");
            if (STARTING.contains(command)) {
                add(Loosening.START_AT_BOOT, u.get("command").line, name + " is started at boot (command: " + command + ")");
            }
            if (u.get("enable").isTrue()) {
                add(Loosening.START_AT_BOOT, u.get("enable").line, name + " is enabled (enable: true)");
            }
            boolean install = false;
            for (TextLine t : lines(u.get("content"))) {
                if (t.text().equals("[Install]")) {
                    install = true;
                } else if (t.text().startsWith("[")) {
                    install = false;
                } else if (install && t.text().matches("(WantedBy|RequiredBy|UpheldBy)=.+")) {
                    add(Loosening.START_AT_BOOT, t.line(), name + " has an [Install] " + t.text());
                }
            }
        }
    }

    private void registry() {
        for (YamlNode f : root.get("write_files").items()) {
            if (f.get("path").text("").equals("/etc/docker/daemon.json")) {
                for (TextLine t : lines(f.get("content"))) {
                    if (t.text().contains("insecure-registries")) {
                        add(Loosening.INSECURE_REGISTRY, t.line(), "/etc/docker/daemon.json lists insecure-registries: "
                                + "give Docker the cluster CA instead (/etc/docker/certs.d/<registry>/ca.crt)");
                    }
                }
            }
        }
        for (YamlNode u : units()) {
            String name = u.get("name").text("");
            if (!name.contains("registry") || name.contains("-tls")) {
                continue;
            }
            List<TextLine> lines = unitLines(u);
            boolean runsRegistry = lines.stream().anyMatch(t -> t.text().startsWith("ExecStart=") && t.text().contains("registry"));
            if (!runsRegistry) {
                continue;
            }
            String all = String.join("\n", lines.stream().map(TextLine::text).toList());
            int line = u.get("name").line;
            if (!all.contains("REGISTRY_HTTP_TLS_CERTIFICATE") || !all.contains("REGISTRY_HTTP_TLS_KEY")) {
                add(Loosening.INSECURE_REGISTRY, line, name + " runs the registry without TLS "
                        + "(REGISTRY_HTTP_TLS_CERTIFICATE and REGISTRY_HTTP_TLS_KEY)");
            }
            if (!all.contains("REGISTRY_AUTH=htpasswd") || !all.contains("REGISTRY_AUTH_HTPASSWD_PATH")) {
                add(Loosening.INSECURE_REGISTRY, line, name + " runs the registry without htpasswd authentication "
                        + "(REGISTRY_AUTH=htpasswd and REGISTRY_AUTH_HTPASSWD_PATH)");
            }
            // docker-registry's htpasswd auth gives every user it knows every right: where the network reaches a
            // registry, the nodes' pull login (on every node) could push unless that registry is read-only
            String published = networkPublished(lines);
            if (published != null && !READ_ONLY.matcher(all).find()) {
                add(Loosening.INSECURE_REGISTRY, line, name + " lets the network reach a registry that accepts pushes ("
                        + published + "): its htpasswd users can all push, so the nodes' pull login could replace the "
                        + "image the cluster runs. Make it read-only (-e 'REGISTRY_STORAGE_MAINTENANCE={\"readonly\": "
                        + "{\"enabled\": true}}') and push to a registry published on 127.0.0.1 only, as the "
                        + "archetype's archcore-registry and archcore-registry-push units do");
            }
        }
    }

    /** storage.maintenance.readonly.enabled: true, as the whole maintenance section or its readonly key from the environment. */
    private static final java.util.regex.Pattern READ_ONLY = java.util.regex.Pattern.compile(
            "REGISTRY_STORAGE_MAINTENANCE=.*\"?readonly\"?\\s*:\\s*\\{\\s*\"?enabled\"?\\s*:\\s*true"
                    + "|REGISTRY_STORAGE_MAINTENANCE_READONLY=['\"]?\\{\\s*\"?enabled\"?\\s*:\\s*true");

    /**
     * How a registry unit's {@code docker run} lets the network reach it: a {@code -p}/{@code --publish} not bound to
     * loopback, or the host's network; null when only 127.0.0.1 (or nothing) reaches it.
     */
    static String networkPublished(List<TextLine> lines) {
        for (TextLine t : lines) {
            if (!t.text().startsWith("ExecStart=")) {
                continue;
            }
            String[] words = t.text().split("\\s+");
            for (int i = 0; i < words.length; i++) {
                String w = words[i];
                if (w.equals("--network=host") || w.equals("--net=host")
                        || ((w.equals("--network") || w.equals("--net")) && i + 1 < words.length && words[i + 1].equals("host"))) {
                    return w.contains("=") ? w : w + " host";
                }
                String value = null;
                if ((w.equals("-p") || w.equals("--publish")) && i + 1 < words.length) {
                    value = words[i + 1];
                } else if (w.startsWith("--publish=")) {
                    value = w.substring("--publish=".length());
                } else if (w.startsWith("-p") && w.length() > 2 && !w.startsWith("-p=")) {
                    value = w.substring(2);
                }
                if (value != null && !(value.startsWith("127.") || value.startsWith("[::1]:") || value.startsWith("localhost:"))) {
                    return "-p " + value;
                }
            }
        }
        return null;
    }
}
