package dev.archcore.cluster;

import dev.archcore.registry.RegistryClient;
import dev.archcore.util.Log;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The update window: etcd (fleet's store) and the cluster registry run on the master only while an update is
 * under way. {@link #open} starts, over SSH, each service that does not answer yet and waits until all answer;
 * {@link #close} stops only the services that {@code open} started, in reverse order.
 */
public final class UpdateWindow {
    private UpdateWindow() {
    }

    /** Does the service answer now? (through the tunnel to the master, or directly) */
    @FunctionalInterface
    public interface Probe {
        boolean answers(SshTunnel ssh);

        /** Why the last {@link #answers} said no, for the message when a service does not answer in time; or null. */
        default String lastProblem() {
            return null;
        }
    }

    /**
     * Brings a service's files up to date on the master before the window opens (its secrets, written over SSH).
     *
     * @return true when they changed, so a running instance must restart to read them
     */
    @FunctionalInterface
    public interface Preparation {
        boolean prepare(SshTunnel ssh);
    }

    /**
     * A service of the window, the commands (run on the master) that start and stop it, and its probe; optionally
     * what brings its files up to date first and the command that restarts it when they changed while it ran.
     */
    public record Service(String name, String startCommand, String stopCommand, Probe probe, String restartCommand,
                          Preparation preparation) {
        public Service(String name, String startCommand, String stopCommand, Probe probe) {
            this(name, startCommand, stopCommand, probe, null, null);
        }
    }

    /** @return the names of the services this call started (to hand to {@link #close}) */
    public static List<String> open(SshTunnel ssh, List<Service> services, Duration timeout, Duration poll, Log log) {
        List<String> started = new ArrayList<>();
        List<Service> waiting = new ArrayList<>();
        try {
            for (Service s : services) {
                boolean changed = s.preparation() != null && s.preparation().prepare(ssh);
                if (s.probe().answers(ssh)) {
                    if (changed && s.restartCommand() != null) {
                        // it runs with the old certificate or htpasswd: restart it, but it stays as it was (running) at close
                        log.info("Update window: restarting " + s.name() + " on " + ssh.endpoint() + " (its secrets "
                                + "changed): " + s.restartCommand());
                        SshTunnel.ExecResult r = ssh.exec(s.restartCommand(), timeout);
                        if (r.exitCode() != 0) {
                            throw new ClusterException("could not restart " + s.name() + " on " + ssh.endpoint() + ": '"
                                    + s.restartCommand() + "' exited " + r.exitCode() + (r.output().isEmpty() ? ""
                                    : ":\n" + r.output()) + "\nCheck the command (archcore.window." + s.name()
                                    + "Restart) and that the user may run it (sudo without a password)");
                        }
                        waiting.add(s);
                    } else {
                        log.info("Update window: " + s.name() + " already runs on " + ssh.endpoint() + " (left as it is)");
                    }
                    continue;
                }
                log.info("Update window: starting " + s.name() + " on " + ssh.endpoint() + ": " + s.startCommand());
                SshTunnel.ExecResult r = ssh.exec(s.startCommand(), timeout);
                if (r.exitCode() != 0) {
                    throw new ClusterException("could not start " + s.name() + " on " + ssh.endpoint() + ": '"
                            + s.startCommand() + "' exited " + r.exitCode() + (r.output().isEmpty() ? "" : ":\n" + r.output())
                            + "\nCheck the command (archcore.window." + s.name() + "Start) and that the user may run it "
                            + "(sudo without a password)");
                }
                started.add(s.name());
                waiting.add(s);
            }
            long until = System.nanoTime() + timeout.toNanos();
            while (!waiting.isEmpty()) {
                waiting.removeIf(s -> s.probe().answers(ssh));
                if (waiting.isEmpty()) {
                    break;
                }
                if (System.nanoTime() > until) {
                    String problems = String.join("; ", waiting.stream().filter(s -> s.probe().lastProblem() != null)
                            .map(s -> s.name() + ": " + s.probe().lastProblem()).toList());
                    throw new ClusterException("started " + names(waiting) + " on " + ssh.endpoint() + " but "
                            + (waiting.size() == 1 ? "it does" : "they do") + " not answer after " + timeout.toSeconds()
                            + " s (archcore.window.timeoutSeconds)" + (problems.isEmpty() ? "" : " (" + problems + ")")
                            + "; look at the service's log on the master (journalctl -u etcd-member -u archcore-registry)");
                }
                sleep(poll);
            }
            if (!started.isEmpty()) {
                log.info("Update window open: " + String.join(" and ", started) + " answer");
            }
            return started;
        } catch (RuntimeException e) {
            close(ssh, services, started, log);
            throw e;
        }
    }

    /** Connects to the master, opens the window and disconnects; the services stay up for the next step. */
    public static List<String> open(SshEndpoint endpoint, SshOptions options, List<Service> services, Duration timeout,
                                    Duration poll, Log log) {
        try (SshTunnel ssh = SshTunnel.connect(endpoint, options, log)) {
            return open(ssh, services, timeout, poll, log);
        }
    }

    /** Connects to the master and stops the services that were started there. */
    public static void close(SshEndpoint endpoint, SshOptions options, List<Service> services, Collection<String> started,
                             Log log) {
        if (started.isEmpty()) {
            return;
        }
        try (SshTunnel ssh = SshTunnel.connect(endpoint, options, log)) {
            close(ssh, services, started, log);
        }
    }

    /**
     * Connects to the master and stops the services that were started there, for a step that failed or stopped
     * early: never throws.
     *
     * @return null when everything started is stopped, else one paragraph saying what still runs, why, and the
     * command that stops it
     */
    public static String closeOrExplain(SshEndpoint endpoint, SshOptions options, List<Service> services,
                                        Collection<String> started, Log log) {
        if (started.isEmpty()) {
            return null;
        }
        try (SshTunnel ssh = SshTunnel.connect(endpoint, options, log)) {
            List<String> left = close(ssh, services, started, log);
            return left.isEmpty() ? null : "The update window could not be closed: " + leftRunning(endpoint, services, left);
        } catch (RuntimeException e) {
            return "The update window could not be closed (" + e.getMessage() + "): "
                    + leftRunning(endpoint, services, started);
        }
    }

    /**
     * Stops the named services (those {@link #open} started), last started first; failures are warnings.
     *
     * @return the names of those still running (their stop command failed)
     */
    public static List<String> close(SshTunnel ssh, List<Service> services, Collection<String> started, Log log) {
        List<Service> reversed = new ArrayList<>(services);
        java.util.Collections.reverse(reversed);
        List<String> left = new ArrayList<>();
        for (Service s : reversed) {
            if (!started.contains(s.name())) {
                continue;
            }
            try {
                SshTunnel.ExecResult r = ssh.exec(s.stopCommand(), Duration.ofMinutes(2));
                if (r.exitCode() == 0) {
                    log.info("Update window: stopped " + s.name() + " on " + ssh.endpoint());
                    continue;
                }
                log.warn("Update window: '" + s.stopCommand() + "' exited " + r.exitCode() + " on " + ssh.endpoint()
                        + (r.output().isEmpty() ? "" : ": " + r.output()) + ". "
                        + leftRunning(ssh.endpoint(), services, List.of(s.name())));
            } catch (ClusterException e) {
                log.warn("Update window: could not stop " + s.name() + " on " + ssh.endpoint() + ": " + e.getMessage()
                        + ". " + leftRunning(ssh.endpoint(), services, List.of(s.name())));
            }
            left.add(s.name());
        }
        return left;
    }

    /**
     * What is left running and the command that stops it, for a message:
     * {@code etcd and registry still run on core@host:2222: stop them with ssh -p 2222 core@host '...; ...'}.
     */
    public static String leftRunning(SshEndpoint endpoint, List<Service> services, Collection<String> names) {
        List<Service> reversed = new ArrayList<>(services);
        java.util.Collections.reverse(reversed);
        List<Service> left = reversed.stream().filter(s -> names.contains(s.name())).toList();
        if (left.isEmpty()) {
            return "";
        }
        String commands = String.join("; ", left.stream().map(Service::stopCommand).toList());
        return names(left) + (left.size() == 1 ? " still runs" : " still run") + " on " + endpoint + ": stop "
                + (left.size() == 1 ? "it" : "them") + " with ssh -p " + endpoint.port() + " " + endpoint.user() + "@"
                + (endpoint.host().contains(":") ? "[" + endpoint.host() + "]" : endpoint.host()) + " '"
                + commands.replace("'", "'\\''") + "'";
    }

    /**
     * etcd answers its v2 keys API (what fleet uses) on {@code port} of the master, reached through the tunnel at
     * 127.0.0.1: over TLS with archcore's client certificate ({@code tls}), or plain HTTP when {@code tls} is null
     * (a master whose node files were made before etcd used TLS).
     */
    public static Probe etcd(int port, EtcdTls tls) {
        return new Probe() {
            private volatile String problem;

            @Override
            public boolean answers(SshTunnel ssh) {
                StreamConnection.Opener opener = tls == null ? () -> ssh.openTcp("127.0.0.1", port)
                        : () -> tls.wrap(ssh.openTcp("127.0.0.1", port), "127.0.0.1", port);
                try (StreamHttpClient http = new StreamHttpClient(opener, "127.0.0.1:" + port)) {
                    int status = http.send("GET", "/v2/keys/", null, null).status();
                    problem = "GET /v2/keys/ answered HTTP " + status;
                    return status == 200;
                } catch (javax.net.ssl.SSLException e) {
                    problem = "TLS with etcd failed (" + e.getMessage() + "): etcd must present the cluster CA's "
                            + "certificate for 127.0.0.1 and accept archcore's client certificate " + tls.source()
                            + "; a master provisioned before etcd used TLS answers plain HTTP: provision it again with "
                            + "archcore:iso's files, or set -Darchcore.etcd.plainHttp=true until then";
                    return false;
                } catch (IOException e) {
                    problem = e.getMessage();
                    return false;
                }
            }

            @Override
            public String lastProblem() {
                return problem;
            }
        };
    }

    /**
     * The registry answers {@code GET /v2/} (200, or 401 before credentials) at {@code host[:port]}, from here, the
     * way archcore:push reaches it: HTTPS trusting the system's CAs and {@code caFile}, or plain HTTP when insecure.
     */
    public static Probe registry(String hostPort, boolean insecure, Path caFile) {
        return registry(hostPort, insecure, caFile, dev.archcore.util.HttpProxies.NONE);
    }

    /** {@link #registry(String, boolean, Path)} through the proxies archcore:push uses. */
    public static Probe registry(String hostPort, boolean insecure, Path caFile, dev.archcore.util.HttpProxies proxies) {
        return registry(hostPort, insecure, caFile, proxies, null);
    }

    /**
     * {@link #registry(String, boolean, Path)} connecting to {@code via} instead (an SSH tunnel's local end), the
     * requests and TLS still for {@code hostPort}; null: directly.
     */
    public static Probe registry(String hostPort, boolean insecure, Path caFile, dev.archcore.util.HttpProxies proxies,
                                 java.net.InetSocketAddress via) {
        OkHttpClient.Builder b = dev.archcore.registry.ConnectVia.applyTo(proxies.applyTo(new OkHttpClient.Builder()), via)
                .connectTimeout(Duration.ofSeconds(5)).readTimeout(Duration.ofSeconds(10)).retryOnConnectionFailure(false);
        if (caFile != null && !insecure) {
            X509TrustManager tm = RegistryClient.trustManager(caFile);
            try {
                SSLContext ssl = SSLContext.getInstance("TLS");
                ssl.init(null, new javax.net.ssl.TrustManager[]{tm}, null);
                b.sslSocketFactory(ssl.getSocketFactory(), tm);
            } catch (GeneralSecurityException e) {
                throw new ClusterException("cannot set up TLS with " + caFile + ": " + e.getMessage(), e);
            }
        }
        OkHttpClient client = b.build();
        String url = (insecure ? "http://" : "https://") + hostPort + "/v2/";
        return new Probe() {
            private volatile String problem;

            @Override
            public boolean answers(SshTunnel ssh) {
                try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
                    problem = "GET " + url + " answered HTTP " + r.code();
                    return r.code() == 200 || r.code() == 401;
                } catch (IOException e) {
                    problem = "GET " + url + ": " + e;
                    return false;
                }
            }

            @Override
            public String lastProblem() {
                return problem;
            }
        };
    }

    private static String names(List<Service> services) {
        return String.join(" and ", services.stream().map(Service::name).toList());
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted", e);
        }
    }
}
