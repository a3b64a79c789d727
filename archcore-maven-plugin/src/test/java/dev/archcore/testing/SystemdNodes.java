package dev.archcore.testing;

import dev.archcore.cluster.SshEndpoint;
import dev.archcore.cluster.SshOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real systemd machines for the deploy tests: Debian 12 roots booted by {@code systemd-nspawn} with systemd as PID 1,
 * each with its own network (a network namespace and a veth pair), reached over SSH as {@code root} on port 22 of
 * its own address, like a droplet.
 *
 * <p>The root is built once by {@code mmdebstrap --variant=minbase --include=<packages> bookworm} and cached under
 * {@code ~/.cache/archcore-test/debian-bookworm-systemd-<hash of the package list>} (or {@code $ARCHCORE_TEST_CACHE}),
 * shared by every test class and the it/ builds; it is built into a temp dir and renamed, under a file lock, so a
 * failed or concurrent build never leaves half a root. Each node is an overlay on it (its own writable upper dir;
 * the cache stays read-only; {@code cp -a} where overlayfs is refused) with its own client key in
 * {@code /root/.ssh/authorized_keys}, ed25519 host key, hostname ({@code node1}, ...) and machine-id, booted with
 * {@code setsid systemd-nspawn --register=no --keep-unit --network-namespace-path=... -D ROOT -M ... -b
 * --console=pipe} (there is no systemd on the test machines' host, hence no machine registration), and ready when
 * {@code ssh root@node systemctl is-system-running} says {@code running} (or {@code degraded}: the failed units
 * are printed and kept in {@link Node#failedUnits}).
 *
 * <p>Network: node {@code i} of slot {@code k} is {@code 10.231.k.2/30}, the host's end {@code 10.231.k.1}
 * ({@link Node#hostAddress}: where a node reaches a service on the host, which must then listen there or on
 * 0.0.0.0, not on 127.0.0.1). So every node has port 22 and the app's port to itself, as real machines do: one
 * unit with one {@code APP_PORT} runs on all of them. Slots are claimed under {@code /run/archcore-test-nodes/lock}
 * so concurrent JVMs never share one; a slot whose owner died is reclaimed. The nodes reach nothing beyond the host
 * (no NAT): what they need comes over SSH.
 *
 * <p>Measured on the 2-core test machine (2026-12): the root cold (mmdebstrap from deb.debian.org, 224 MB) 42 s idle,
 * 114 to 136 s under a load of 18 (other builds); from the cache, three nodes 3.5 to 7 s under that load (the
 * overlay mount is instant, the boot to {@code running} about 1 s each); {@link #close()} about 1 s. A {@code cp -a}
 * per node instead cost 1 s idle but 18 s under that load, hence the overlay (reflinks are not supported by the test
 * machines' filesystem).
 *
 * <p>Needs root (as CI runs) and scripts/setup's {@code systemd-container}, {@code mmdebstrap} and {@code iproute2};
 * without them it fails, never skips. {@link #close()} stops each node by its own process ids (SIGKILL to the
 * machine's init, the child of its systemd-nspawn: that ends every process of the machine, and systemd-nspawn with
 * it), then removes its network and root. Never by name: other JVMs may run nodes at the same time.
 */
public final class SystemdNodes implements AutoCloseable {
    /** What every node has: systemd as init, sshd, D-Bus (systemctl show needs it), curl for HTTP checks on the node. */
    public static final List<String> PACKAGES = List.of("systemd", "systemd-sysv", "openssh-server", "dbus", "curl");
    static final String SUITE = "bookworm";
    /** Bump when the way the root is made changes, so caches of the old recipe are not used. */
    private static final String RECIPE = "1";
    private static final String SUBNET = "10.231.";
    static final Path SLOTS = Path.of("/run/archcore-test-nodes");
    private static final Duration BOOT_LIMIT = Duration.ofSeconds(120);

    public final Path dir;
    /** The key every node's root accepts (no passphrase). */
    public final Path clientKey;
    /** A known_hosts file with every node's host key, as ssh-keyscan writes it (port 22: the bare address). */
    public final Path knownHosts;
    private final List<Node> nodes;
    private final Thread hook = new Thread(this::close);
    private boolean closed;

    /** A booted node. Its files are under {@link #root} on the host (e.g. to place a file before a test). */
    public static final class Node {
        public final String name;
        public final String address;
        /** The host's address as this node sees it. */
        public final String hostAddress;
        public final int port = 22;
        public final String user = "root";
        public final Path root;
        /** root (the machine's files), and its overlay's upper and work dirs. */
        final Path home;
        final int slot;
        final String machine;
        final Path log;
        Process nspawn;
        ProcessHandle init;
        String state;
        List<String> failedUnits = List.of();

        Node(String name, int slot, Path home, Path log) {
            this.name = name;
            this.slot = slot;
            this.address = SUBNET + slot + ".2";
            this.hostAddress = SUBNET + slot + ".1";
            this.home = home;
            this.root = home.resolve("root");
            this.log = log;
            this.machine = "archcore-node-" + slot;
        }

        /** {@code root@address:22}, as archcore.cluster or a node list is written. */
        public String endpoint() {
            return user + "@" + address + ":" + port;
        }

        public SshEndpoint sshEndpoint() {
            return SshEndpoint.parse(endpoint());
        }

        /** {@code running} or {@code degraded}, what {@code systemctl is-system-running} said when it booted. */
        public String bootState() {
            return state;
        }

        /** The units {@code systemctl --failed} listed at boot (empty when it was {@code running}). */
        public List<String> failedUnits() {
            return failedUnits;
        }

        /** Its machine runs (its systemd-nspawn and its init are alive). */
        public boolean alive() {
            return nspawn != null && nspawn.isAlive() && init != null && init.isAlive();
        }

        /** The machine's console output (systemd's boot messages), for failure messages. */
        public String console() {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return name + " (" + endpoint() + ")";
        }
    }

    private SystemdNodes(Path dir, Path clientKey, Path knownHosts, List<Node> nodes) {
        this.dir = dir;
        this.clientKey = clientKey;
        this.knownHosts = knownHosts;
        this.nodes = nodes;
    }

    /** {@code count} nodes with {@link #PACKAGES}, booted and reachable over SSH; their files under {@code dir}. */
    public static SystemdNodes boot(Path dir, int count) {
        return boot(dir, count, List.of());
    }

    /** With {@code extraPackages} (Debian names) in the root as well: another cached root per package list. */
    public static SystemdNodes boot(Path dir, int count, List<String> extraPackages) {
        requireRootAndTools();
        List<String> packages = new ArrayList<>(PACKAGES);
        packages.addAll(extraPackages);
        Path base = debianRoot(packages);
        List<Node> nodes = new ArrayList<>();
        SystemdNodes all = null;
        try {
            Files.createDirectories(dir);
            Path clientKey = dir.resolve("client_ed25519");
            keygen(dir, clientKey);
            for (int i = 1; i <= count; i++) {
                Path home = dir.resolve("node" + i);
                Node node = new Node("node" + i, claimSlot(home), home, dir.resolve("node" + i + ".console.log"));
                nodes.add(node);
                network(node);
                prepare(base, node, dir, clientKey);
            }
            StringBuilder known = new StringBuilder();
            for (Node node : nodes) {
                String[] pub = Files.readString(node.root.resolve("etc/ssh/ssh_host_ed25519_key.pub")).trim().split(" ");
                known.append(node.address).append(' ').append(pub[0]).append(' ').append(pub[1]).append('\n');
            }
            Path knownHosts = dir.resolve("known_hosts");
            Files.writeString(knownHosts, known.toString());
            all = new SystemdNodes(dir, clientKey, knownHosts, List.copyOf(nodes));
            Runtime.getRuntime().addShutdownHook(all.hook);
            for (Node node : nodes) {
                start(node);
            }
            for (Node node : nodes) {
                all.awaitBoot(node);
            }
            return all;
        } catch (IOException e) {
            undo(all, nodes);
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            undo(all, nodes);
            throw e;
        }
    }

    /** A boot that failed half way leaves no machine, network or root behind. */
    private static void undo(SystemdNodes all, List<Node> nodes) {
        if (all != null) {
            all.close();
        } else {
            nodes.forEach(SystemdNodes::removeNetwork);
            nodes.forEach(SystemdNodes::removeRoot);
        }
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** The {@code i}-th node, from 1 (its name is {@code node<i>}). */
    public Node node(int i) {
        return nodes.get(i - 1);
    }

    /** {@code root@address:22} of every node, in order. */
    public List<String> endpoints() {
        return nodes.stream().map(Node::endpoint).toList();
    }

    /** How the project's SSH client logs in to every node: {@link #clientKey}, {@link #knownHosts}, a 10 s timeout. */
    public SshOptions options() {
        return new SshOptions(knownHosts, false, clientKey, null, null, List.of(), Duration.ofSeconds(10));
    }

    /**
     * Runs {@code command} on {@code node} through OpenSSH's client (the node's host key checked against
     * {@link #knownHosts}): an independent path to the node for assertions.
     */
    public Tools.Output exec(Node node, String command) {
        return Tools.run(dir, Map.of(), List.of("ssh", "-i", clientKey.toString(), "-p", String.valueOf(node.port),
                "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", node.user + "@" + node.address, command));
    }

    /**
     * Copies the directory {@code local} to {@code remoteDir} on {@code node} as a tar stream over OpenSSH (what
     * a target that ships an image's layers over its SSH connection does), with owners and modes kept.
     */
    public Tools.Output send(Node node, Path local, String remoteDir) {
        String ssh = String.join(" ", "ssh", "-i", clientKey.toString(), "-p", String.valueOf(node.port),
                "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", node.user + "@" + node.address);
        return Tools.run(dir, Map.of(), List.of("bash", "-o", "pipefail", "-c", "tar -C '" + local + "' -cf - . | "
                + ssh + " 'mkdir -p " + remoteDir + " && tar -C " + remoteDir + " --same-owner -xpf -'"));
    }

    /**
     * Stops {@code node} as a power cut would: SIGKILL to its init (which ends every process of the machine and
     * with them its systemd-nspawn). Killing only systemd-nspawn would leave the machine running.
     */
    public void kill(Node node) {
        ProcessHandle init = node.init != null ? node.init : node.nspawn.toHandle().children().findFirst().orElse(null);
        if (init != null) {
            init.destroyForcibly();
        }
        try {
            if (!node.nspawn.waitFor(30, TimeUnit.SECONDS)) {
                node.nspawn.destroyForcibly();
                node.nspawn.waitFor(30, TimeUnit.SECONDS);
            }
            if (init != null) {
                init.onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            fail(node + ": its init (pid " + init.pid() + ") did not end after SIGKILL");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // the JVM is exiting, or the hook was never added (boot failed before)
            }
        }
        // the machines are disposable: SIGKILL to each one's init ends all its processes at once (a halt through
        // SIGTERM to systemd-nspawn takes seconds to minutes on a loaded machine)
        for (Node node : nodes) {
            if (node.nspawn != null) {
                kill(node);
            }
        }
        for (Node node : nodes) {
            // a slot another JVM has taken since (this one was thought dead) is its own now
            if (ownsSlot(node)) {
                removeCgroups(node);
                removeNetwork(node);
            }
            removeRoot(node);
        }
    }

    /** Forgets the nodes without stopping them, as a JVM killed by a timeout would: for the clean-up test. */
    synchronized void abandon() {
        closed = true;
        Runtime.getRuntime().removeShutdownHook(hook);
    }

    private static boolean ownsSlot(Node node) {
        try {
            Path owner = SLOTS.resolve(node.slot + ".owner");
            return Files.exists(owner) && Files.readAllLines(owner).equals(List.of(
                    String.valueOf(ProcessHandle.current().pid()), node.home.toAbsolutePath().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- the cached root ---

    /** The Debian root with {@code packages}, built once and cached (see the class comment). */
    public static synchronized Path debianRoot(List<String> packages) {
        requireRootAndTools();
        TreeSet<String> sorted = new TreeSet<>(packages);
        String key = sha256(RECIPE + " " + SUITE + " minbase " + String.join(",", sorted)).substring(0, 12);
        String name = "debian-" + SUITE + "-systemd-" + key;
        try {
            Path cache = Files.createDirectories(cacheDir());
            Path root = cache.resolve(name);
            if (Files.isDirectory(root)) {
                return root;
            }
            try (FileChannel channel = FileChannel.open(cache.resolve(name + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
                if (Files.isDirectory(root)) {
                    return root; // another JVM built it while we waited
                }
                // leftovers of a build that died: nobody else builds now (we hold the lock)
                try (Stream<Path> stale = Files.list(cache)) {
                    for (Path p : stale.filter(p -> p.getFileName().toString().startsWith(name + ".tmp-")).toList()) {
                        rmTree(p);
                    }
                }
                Path tmp = cache.resolve(name + ".tmp-" + ProcessHandle.current().pid());
                long start = System.nanoTime();
                Tools.Output out = Tools.run(cache, Map.of(), List.of("mmdebstrap", "--variant=minbase",
                        "--include=" + String.join(",", sorted), SUITE, tmp.toString()));
                if (out.exitCode() != 0) {
                    rmTree(tmp);
                    fail("mmdebstrap could not build the Debian " + SUITE + " root for the systemd nodes (it needs "
                            + "deb.debian.org; " + cache + " is unchanged), exit " + out.exitCode() + ":\n" + out.text());
                }
                // every node gets its own host key; none is shared through the cache
                try (Stream<Path> keys = Files.list(tmp.resolve("etc/ssh"))) {
                    for (Path k : keys.filter(p -> p.getFileName().toString().startsWith("ssh_host_")).toList()) {
                        Files.delete(k);
                    }
                }
                Files.move(tmp, root, StandardCopyOption.ATOMIC_MOVE);
                System.out.printf("SystemdNodes: built %s in %.1f s%n", root, (System.nanoTime() - start) / 1e9);
                return root;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path cacheDir() {
        String env = System.getenv("ARCHCORE_TEST_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "archcore-test");
    }

    private static void requireRootAndTools() {
        if (!Tools.isRoot()) {
            fail("the systemd node tests boot machines with systemd-nspawn and need root (CI runs as root); "
                    + "run them as root after scripts/setup");
        }
        Tools.require("systemd-nspawn", "mmdebstrap", "ip", "ssh", "ssh-keygen");
    }

    // --- one node ---

    private static void prepare(Path base, Node node, Path dir, Path clientKey) throws IOException {
        // an overlay on the cached root: instant, and the cache (its read-only lower layer) never changes; where
        // overlayfs refuses (an upper dir on overlayfs, as in a container) a copy
        Files.createDirectories(node.root);
        Files.createDirectories(node.home.resolve("upper"));
        Files.createDirectories(node.home.resolve("work"));
        boolean overlay = Tools.run(dir, "mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + base + ",upperdir="
                + node.home.resolve("upper") + ",workdir=" + node.home.resolve("work"), node.root.toString()).exitCode() == 0;
        if (!overlay) {
            Files.delete(node.root);
            Tools.run(dir, "cp", "-a", "--reflink=auto", base.toString(), node.root.toString()).ok("cp -a " + base);
        }
        Path ssh = Files.createDirectories(node.root.resolve("root/.ssh"));
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
        Path authorized = ssh.resolve("authorized_keys");
        Files.copy(Path.of(clientKey + ".pub"), authorized, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(authorized, PosixFilePermissions.fromString("rw-------"));
        keygen(dir, node.root.resolve("etc/ssh/ssh_host_ed25519_key"));
        Files.writeString(node.root.resolve("etc/ssh/sshd_config.d/archcore-test.conf"),
                "HostKey /etc/ssh/ssh_host_ed25519_key\nPasswordAuthentication no\n");
        Files.writeString(node.root.resolve("etc/hostname"), node.name + "\n");
        Files.writeString(node.root.resolve("etc/hosts"), "127.0.0.1 localhost\n127.0.1.1 " + node.name + "\n");
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        Files.writeString(node.root.resolve("etc/machine-id"), HexFormat.of().formatHex(id) + "\n");
    }

    private static void start(Node node) throws IOException {
        // Its own cgroup first: without a systemd on the host, systemd-nspawn --keep-unit puts the machine's systemd
        // in the caller's cgroup, and machines sharing one break each other's units (219/CGROUP at boot). Then
        // setsid execs in place (sh is no group leader), so the Process is systemd-nspawn itself.
        StringBuilder enter = new StringBuilder();
        for (Path d : cgroups(node)) {
            enter.append("mkdir -p ").append(d).append(" && echo $$ > ").append(d.resolve("cgroup.procs")).append(" || exit 125; ");
        }
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", enter + "exec setsid \"$@\"", "sh", "systemd-nspawn",
                "--register=no", "--keep-unit", "--network-namespace-path=/run/netns/" + node.machine,
                "-D", node.root.toString(), "-M", node.machine, "-b", "--console=pipe"));
        node.nspawn = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(node.log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
    }

    /** The node's cgroup in each hierarchy systemd uses: name=systemd and unified (hybrid, cgroup v1), or cgroup v2's. */
    private static List<Path> cgroups(Node node) {
        Path fs = Path.of("/sys/fs/cgroup");
        if (Files.exists(fs.resolve("cgroup.controllers"))) {
            return List.of(fs.resolve(node.machine));
        }
        return Stream.of("systemd", "unified").map(fs::resolve).filter(Files::isDirectory)
                .map(h -> h.resolve(node.machine)).toList();
    }

    /** cgroups are removed by rmdir, deepest first (their files go with them); only once the machine is gone. */
    private static void removeCgroups(Node node) {
        for (Path d : cgroups(node)) {
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(d)) {
                for (Path p : walk.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            } catch (IOException e) {
                System.out.println("SystemdNodes: could not remove the cgroup " + d + ": " + e);
            }
        }
    }

    private void awaitBoot(Node node) {
        long until = System.nanoTime() + BOOT_LIMIT.toNanos();
        String state = "";
        while (System.nanoTime() < until) {
            if (!node.nspawn.isAlive()) {
                fail(node + ": systemd-nspawn exited " + node.nspawn.exitValue() + " while booting:\n" + node.console());
            }
            Tools.Output out = exec(node, "systemctl is-system-running");
            state = out.text().strip();
            if (state.equals("running") || state.equals("degraded")) {
                node.state = state;
                node.init = node.nspawn.toHandle().children().findFirst().orElse(null);
                if (state.equals("degraded")) {
                    node.failedUnits = exec(node, "systemctl --failed --no-legend --plain").text().lines()
                            .map(l -> l.strip().split("\\s+")[0]).filter(s -> !s.isEmpty()).toList();
                    StringBuilder why = new StringBuilder();
                    for (String unit : node.failedUnits) {
                        why.append(exec(node, "journalctl -b --no-pager -n 20 -u " + unit).text());
                    }
                    System.out.println("SystemdNodes: " + node + " booted degraded, failed units: " + node.failedUnits
                            + "\n" + why);
                }
                if (node.init == null) {
                    fail(node + ": booted but systemd-nspawn has no child process");
                }
                return;
            }
            sleep(200);
        }
        fail(node + " did not boot within " + BOOT_LIMIT.toSeconds() + " s (last answer: " + state + "):\n" + node.console());
    }

    // --- network: one namespace and veth pair per node ---

    /**
     * A free slot 1..250, claimed for this JVM under a lock shared by every JVM on the machine. The owner file
     * names the JVM and the node's directory, so a slot whose JVM died (killed by a timeout, say) is cleaned up
     * when it is taken again: its machine killed by the process ids in its cgroups, its network, cgroups, overlay
     * and files removed.
     */
    private static int claimSlot(Path home) throws IOException {
        Files.createDirectories(SLOTS);
        synchronized (SystemdNodes.class) {
            try (FileChannel channel = FileChannel.open(SLOTS.resolve("lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
                for (int slot = 1; slot <= 250; slot++) {
                    Path owner = SLOTS.resolve(slot + ".owner");
                    List<String> lines = Files.exists(owner) ? Files.readAllLines(owner) : List.of();
                    Optional<ProcessHandle> p = parsePid(lines.isEmpty() ? "" : lines.get(0)).flatMap(ProcessHandle::of);
                    if (p.isPresent() && p.get().isAlive()) {
                        continue;
                    }
                    // free, but a JVM that died may have left its machine, network or cgroups there
                    scrub(slot, lines.size() > 1 ? Path.of(lines.get(1)) : null);
                    Files.writeString(owner, ProcessHandle.current().pid() + "\n" + home.toAbsolutePath() + "\n");
                    return slot;
                }
                fail("all 250 systemd node slots under " + SLOTS + " are taken by running JVMs");
                return -1;
            }
        }
    }

    private static void scrub(int slot, Path home) {
        Node stale = new Node("stale", slot, home != null ? home : SLOTS.resolve("none"), SLOTS.resolve("none"));
        if (cgroups(stale).stream().anyMatch(Files::isDirectory)) {
            System.out.println("SystemdNodes: cleaning slot " + slot + " left by a JVM that is gone (" + home + ")");
        }
        for (Path cgroup : cgroups(stale)) {
            if (!Files.isDirectory(cgroup)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(cgroup)) {
                for (Path procs : walk.filter(f -> f.getFileName().toString().equals("cgroup.procs")).toList()) {
                    for (String pid : Files.readAllLines(procs)) {
                        parsePid(pid).flatMap(ProcessHandle::of).ifPresent(h -> {
                            h.destroyForcibly();
                            h.onExit().orTimeout(30, TimeUnit.SECONDS).join();
                        });
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        removeCgroups(stale);
        removeNetwork(stale);
        Tools.run(SLOTS, "ip", "link", "del", "acn" + slot);
        if (home != null) {
            removeRoot(stale);
        }
    }

    private static void network(Node node) {
        String ns = node.machine;
        String veth = "acn" + node.slot;
        Tools.run(SLOTS, "ip", "netns", "del", ns); // a leftover of a dead owner, if any
        for (List<String> cmd : List.of(
                List.of("ip", "netns", "add", ns),
                List.of("ip", "link", "add", veth, "type", "veth", "peer", "name", "host0", "netns", ns),
                List.of("ip", "addr", "add", node.hostAddress + "/30", "dev", veth),
                List.of("ip", "link", "set", veth, "up"),
                List.of("ip", "-n", ns, "addr", "add", node.address + "/30", "dev", "host0"),
                List.of("ip", "-n", ns, "link", "set", "host0", "up"),
                List.of("ip", "-n", ns, "link", "set", "lo", "up"),
                List.of("ip", "-n", ns, "route", "add", "default", "via", node.hostAddress))) {
            Tools.run(SLOTS, Map.of(), cmd).ok(String.join(" ", cmd));
        }
    }

    private static void removeNetwork(Node node) {
        // deleting the namespace deletes both ends of the veth pair
        Tools.run(SLOTS, "ip", "netns", "del", node.machine);
        try {
            Files.deleteIfExists(SLOTS.resolve(node.slot + ".owner"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void removeRoot(Node node) {
        try {
            String root = node.root.toAbsolutePath().normalize().toString();
            if (mountPoints().contains(root)) {
                Tools.run(node.home.getParent(), "umount", root).ok("umount " + root);
            }
            // never rm -rf through a mount
            String home = node.home.toAbsolutePath().normalize().toString();
            if (mountPoints().stream().anyMatch(m -> m.equals(home) || m.startsWith(home + "/"))) {
                fail(node + ": something is still mounted under " + home + "; not removing it");
            }
            rmTree(node.home);
            rmTree(Path.of("/run/systemd/nspawn/propagate", node.machine));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- small things ---

    private static List<String> mountPoints() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4]).toList();
    }

    private static void keygen(Path dir, Path key) throws IOException {
        Files.deleteIfExists(key);
        Files.deleteIfExists(Path.of(key + ".pub"));
        Tools.run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "archcore-test", "-f", key.toString())
                .ok("ssh-keygen");
    }

    private static void rmTree(Path p) {
        if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Tools.run(p.getParent(), "rm", "-rf", "--one-file-system", p.toString()).ok("rm -rf " + p);
        }
    }

    private static Optional<Long> parsePid(String text) {
        try {
            return Optional.of(Long.parseLong(text.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
