package dev.archcore.provision.cloudconfig;

/**
 * What the lock-down lint refuses, each with the named plugin parameter (and property) that allows it anyway.
 */
public enum Loosening {
    PASSWORD_LOGIN("allowPasswordLogin", "SSH password login (sshd_config must say PasswordAuthentication no, "
            + "KbdInteractiveAuthentication/ChallengeResponseAuthentication no, and no user may get a passwd)"),
    ROOT_LOGIN("allowRootLogin", "SSH root login (sshd_config must say PermitRootLogin no)"),
    SSH_PORT_22("allowSshPort22", "sshd on port 22: archcore.sshPort=22, or port 22 kept beside a custom SSH port "
            + "(sshd.socket needs a drop-in with 'ListenStream=' then 'ListenStream=$SSH_PORT')"),
    NTPD("allowNtpd", "ntpd instead of systemd-timesyncd (ntpd.service must be masked, systemd-timesyncd.service enabled)"),
    ETCD_PEER("allowEtcdPeerUrl", "an etcd peer URL reachable from other hosts (a single-member etcd keeps its peer "
            + "URL on 127.0.0.1)"),
    INSECURE_ETCD("allowInsecureEtcd", "an etcd client URL reachable from other hosts without TLS and client-certificate "
            + "authentication (http:// off 127.0.0.1/::1 in etcd's listen or advertise client URLs or fleet's etcd_servers, "
            + "or an https:// listener without ETCD_CLIENT_CERT_AUTH=true and ETCD_TRUSTED_CA_FILE)"),
    FLEET_TCP("allowFleetTcp", "a fleet TCP listener (fleet.socket must listen on its Unix socket only; fleet's API "
            + "has no authentication)"),
    START_AT_BOOT("allowStartAtBoot", "etcd or the registry started at boot (they run only during an update: no "
            + "command, no enable, no [Install])"),
    INSECURE_REGISTRY("allowInsecureRegistry", "a registry without TLS and htpasswd authentication, one the network "
            + "reaches that accepts pushes (not read-only: every htpasswd user may push, the nodes' pull login too), "
            + "or Docker told to skip TLS checks (insecure-registries)");

    private final String parameter;
    private final String description;

    Loosening(String parameter, String description) {
        this.parameter = parameter;
        this.description = description;
    }

    /** The plugin parameter; the property is {@code archcore.<parameter>}. */
    public String parameter() {
        return parameter;
    }

    public String description() {
        return description;
    }
}
