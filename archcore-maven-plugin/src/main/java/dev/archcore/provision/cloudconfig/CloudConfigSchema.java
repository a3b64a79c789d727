package dev.archcore.provision.cloudconfig;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * coreos-cloudinit's {@code config.CloudConfig} structure (final release, 2018), as its validator walks it:
 * each key's type, its {@code valid} regex and its {@code deprecated} message.
 */
final class CloudConfigSchema {
    enum Type { STRING, INT, FLOAT, BOOL, LIST, STRUCT }

    record Field(Type type, Pattern valid, String deprecated, Field element, Map<String, Field> fields) {
        Field deprecate(String message) {
            return new Field(type, valid, message, element, fields);
        }

        /** The name coreos-cloudinit's HumanType prints. */
        String human() {
            return switch (type) {
                case STRING -> "string";
                case INT -> "int";
                case FLOAT -> "float64";
                case BOOL -> "bool";
                case LIST -> "[]" + element.human();
                case STRUCT -> "struct";
            };
        }
    }

    private static final Field STR = new Field(Type.STRING, null, null, null, null);
    private static final Field INT = new Field(Type.INT, null, null, null, null);
    private static final Field FLOAT = new Field(Type.FLOAT, null, null, null, null);
    private static final Field BOOL = new Field(Type.BOOL, null, null, null, null);

    private static Field str(String regex) {
        return new Field(Type.STRING, Pattern.compile(regex), null, null, null);
    }

    private static Field list(Field element) {
        return new Field(Type.LIST, null, null, element, null);
    }

    private static Field struct(Object... nameAndField) {
        Map<String, Field> fields = new LinkedHashMap<>();
        for (int i = 0; i < nameAndField.length; i += 2) {
            fields.put((String) nameAndField[i], (Field) nameAndField[i + 1]);
        }
        return new Field(Type.STRUCT, null, null, null, Map.copyOf(fields));
    }

    private static Object[] strings(String... names) {
        Object[] out = new Object[names.length * 2];
        for (int i = 0; i < names.length; i++) {
            out[2 * i] = names[i];
            out[2 * i + 1] = STR;
        }
        return out;
    }

    private static Object[] concat(Object[] a, Object... b) {
        Object[] out = new Object[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static final String ENCODINGS = "^(base64|b64|gz|gzip|gz\\+base64|gzip\\+base64|gz\\+b64|gzip\\+b64)$";

    private static final Field ETCD = struct(concat(strings("addr", "bind_addr", "ca_file", "cert_file", "cors",
                    "data_dir", "discovery", "graphite_host", "key_file", "name", "peer_addr", "peer_bind_addr",
                    "peer_ca_file", "peer_cert_file", "peer_key_file", "peers", "peers_file"),
            "cluster_active_size", INT, "cluster_remove_delay", FLOAT, "cluster_sync_interval", FLOAT,
            "http_read_timeout", FLOAT, "http_write_timeout", FLOAT, "max_result_buffer", INT,
            "max_retry_attempts", INT, "peer_election_timeout", INT, "peer_heartbeat_interval", INT,
            "retry_interval", FLOAT, "snapshot", BOOL, "snapshot_count", INT, "strtrace", BOOL, "trace", BOOL,
            "verbose", BOOL, "very_verbose", BOOL))
            .deprecate("etcd is no longer shipped in Container Linux");

    private static final Field ETCD2 = struct(concat(strings("advertise_client_urls", "cert_file", "cors", "data_dir",
                    "discovery", "discovery_fallback", "discovery_srv", "discovery_proxy", "initial_advertise_peer_urls",
                    "initial_cluster", "initial_cluster_state", "initial_cluster_token", "key_file", "listen_client_urls",
                    "listen_peer_urls", "log_package_levels", "name", "peer_cert_file", "peer_key_file",
                    "peer_trusted_ca_file", "trusted_ca_file", "wal_dir"),
            "ca_file", STR.deprecate("ca_file obsoleted by trusted_ca_file and client_cert_auth"),
            "peer_ca_file", STR.deprecate("peer_ca_file obsoleted peer_trusted_ca_file and peer_client_cert_auth"),
            "client_cert_auth", BOOL, "debug", BOOL, "enable_pprof", BOOL, "force_new_cluster", BOOL,
            "peer_client_cert_auth", BOOL, "strict_reconfig_check", BOOL, "election_timeout", INT,
            "heartbeat_interval", INT, "max_snapshots", INT, "max_wals", INT, "proxy", str("^(on|off|readonly)$"),
            "proxy_dial_timeout", INT, "proxy_failure_wait", INT, "proxy_read_timeout", INT,
            "proxy_refresh_interval", INT, "proxy_write_timeout", INT, "snapshot_count", INT))
            .deprecate("etcd2 is no longer shipped in Container Linux");

    private static final Field FLEET = struct(concat(strings("agent_ttl", "authorized_keys_file", "etcd_cafile",
                    "etcd_certfile", "etcd_keyfile", "etcd_key_prefix", "etcd_servers", "etcd_username",
                    "etcd_password", "metadata", "public_ip"),
            "disable_engine", BOOL, "engine_reconcile_interval", FLOAT, "etcd_request_timeout", FLOAT,
            "token_limit", INT, "verbosity", INT, "verify_units", BOOL))
            .deprecate("fleet is no longer shipped in Container Linux");

    private static final Field FLANNEL = struct(strings("etcd_endpoints", "etcd_cafile", "etcd_certfile",
            "etcd_keyfile", "etcd_prefix", "etcd_username", "etcd_password", "ip_masq", "subnet_file", "interface",
            "public_ip"));

    private static final Field LOCKSMITH = struct(concat(strings("endpoint", "etcd_cafile", "etcd_certfile",
                    "etcd_keyfile", "etcd_username", "etcd_password", "group"),
            "window_start", str("^((?i:sun|mon|tue|wed|thu|fri|sat|sun) )?0*([0-9]|1[0-9]|2[0-3]):0*([0-9]|[1-5][0-9])$"),
            "window_length", str("^[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+$")));

    private static final Field OEM = struct(strings("id", "name", "version_id", "home_url", "bug_report_url"));

    private static final Field UPDATE = struct("reboot_strategy", str("^(reboot|etcd-lock|off)$"), "group", STR,
            "server", STR);

    private static final Field UNIT = struct("name", STR, "mask", BOOL, "enable", BOOL, "runtime", BOOL, "content", STR,
            "command", str("^(start|stop|restart|reload|try-restart|reload-or-restart|reload-or-try-restart)$"),
            "drop_ins", list(struct("name", STR, "content", STR)));

    private static final Field FILE = struct("encoding", str(ENCODINGS), "content", STR, "owner", STR, "path", STR,
            "permissions", str("^0?[0-7]{3,4}$"));

    private static final Field USER = struct(concat(strings("name", "passwd", "gecos", "homedir", "primary_group",
                    "shell"),
            "no_create_home", BOOL, "groups", list(STR), "no_user_group", BOOL, "ssh_authorized_keys", list(STR),
            "coreos_ssh_import_github", STR.deprecate("it's a security risk"),
            "coreos_ssh_import_github_users", list(STR).deprecate("it's a security risk"),
            "coreos_ssh_import_url", STR.deprecate("it's a security risk"),
            "system", BOOL, "no_log_init", BOOL));

    static final Field ROOT = struct(
            "ssh_authorized_keys", list(STR),
            "coreos", struct("etcd", ETCD, "etcd2", ETCD2, "flannel", FLANNEL, "fleet", FLEET, "locksmith", LOCKSMITH,
                    "oem", OEM, "update", UPDATE, "units", list(UNIT)),
            "write_files", list(FILE),
            "hostname", STR,
            "users", list(USER),
            "manage_etc_hosts", STR);

    private CloudConfigSchema() {
    }
}
