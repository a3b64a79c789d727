package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real etcd (v2 API on, as fleet used it) for the update-window tests, started and stopped through shell
 * scripts the way the master's systemctl would: {@link #startCommand()} / {@link #stopCommand()} run over SSH.
 * Ports are chosen free on 127.0.0.1; data under {@code dir}. With a cluster PKI folder (what archcore:iso makes),
 * it answers clients as the archetype's master does: TLS with etcd's certificate, only clients with a certificate
 * from the cluster CA.
 */
public final class EtcdServer implements AutoCloseable {
    public final Path dir;
    public final int clientPort;
    private final Path start;
    private final Path stop;

    public EtcdServer(Path dir) {
        this(dir, null);
    }

    /** TLS and client-certificate authentication with {@code pki}'s etcd.crt, etcd.key and ca.crt; plain HTTP when null. */
    public EtcdServer(Path dir, Path pki) {
        Tools.require("etcd");
        try {
            this.dir = Files.createDirectories(dir);
            this.clientPort = RegistryServer.freePort();
            int peerPort = RegistryServer.freePort();
            String client = (pki == null ? "http" : "https") + "://127.0.0.1:" + clientPort;
            String tls = pki == null ? "" : " --cert-file " + pki.resolve("etcd.crt") + " --key-file " + pki.resolve("etcd.key")
                    + " --trusted-ca-file " + pki.resolve("ca.crt") + " --client-cert-auth";
            String peer = "http://127.0.0.1:" + peerPort;
            start = dir.resolve("start-etcd.sh");
            stop = dir.resolve("stop-etcd.sh");
            Files.writeString(start, "#!/bin/sh\nset -e\ncd " + dir + "\n"
                    + "setsid etcd --name t --data-dir " + dir.resolve("data") + " --enable-v2=true"
                    + " --listen-client-urls " + client + " --advertise-client-urls " + client
                    + " --listen-peer-urls " + peer + " --initial-advertise-peer-urls " + peer
                    + " --initial-cluster t=" + peer + tls + " > etcd.log 2>&1 < /dev/null &\necho $! > etcd.pid\n");
            Files.writeString(stop, "#!/bin/sh\ncd " + dir + "\n[ -f etcd.pid ] || exit 0\n"
                    + "pid=$(cat etcd.pid); kill $pid 2>/dev/null; rm -f etcd.pid\n"
                    + "i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n");
            start.toFile().setExecutable(true);
            stop.toFile().setExecutable(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String startCommand() {
        return start.toString();
    }

    public String stopCommand() {
        return stop.toString();
    }

    /** Its process runs (the start script's pid file is there and the process is alive). */
    public boolean running() {
        return Processes.alive(dir.resolve("etcd.pid"));
    }

    @Override
    public void close() {
        Tools.run(dir, "sh", stop.toString());
    }
}
