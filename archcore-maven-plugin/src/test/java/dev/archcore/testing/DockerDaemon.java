package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A private dockerd for the tests, started once per JVM (as test-tools.md says: no bridge, no iptables, vfs
 * storage, its own data root and socket under /tmp) and stopped when the JVM exits.
 */
public final class DockerDaemon {
    private static DockerDaemon instance;

    private final Path dir;
    private final Process process;
    private final String host;

    private DockerDaemon(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
        this.host = "unix://" + dir.resolve("docker.sock");
    }

    public static synchronized DockerDaemon get() {
        if (instance == null) {
            Tools.require("dockerd", "docker");
            instance = start();
        }
        return instance;
    }

    private static DockerDaemon start() {
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "archcore-dockerd");
            Path log = dir.resolve("dockerd.log");
            List<String> cmd = List.of(Tools.which("dockerd").toString(), "--iptables=false", "--ip-masq=false",
                    "--bridge=none", "--storage-driver=vfs", "--data-root", dir.resolve("data").toString(),
                    "--exec-root", dir.resolve("exec").toString(), "--pidfile", dir.resolve("docker.pid").toString(),
                    "-H", "unix://" + dir.resolve("docker.sock"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            DockerDaemon d = new DockerDaemon(dir, p);
            Runtime.getRuntime().addShutdownHook(new Thread(d::stop));
            // wait until the API answers (bounded: the daemon normally takes about a second)
            for (int i = 0; i < 240; i++) {
                if (!p.isAlive()) {
                    fail("dockerd exited:\n" + Files.readString(log));
                }
                if (d.docker("version").exitCode() == 0) {
                    return d;
                }
                Thread.sleep(250);
            }
            fail("dockerd did not answer on " + d.host + ":\n" + Files.readString(log));
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String host() {
        return host;
    }

    public Tools.Output docker(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Tools.which("docker").toString(), "-H", host));
        cmd.addAll(List.of(args));
        return Tools.run(dir, Map.of(), cmd);
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            // dockerd leaves its default network namespace bind-mounted under the exec root
            new ProcessBuilder("umount", dir.resolve("exec/netns/default").toString()).start().waitFor(30, TimeUnit.SECONDS);
            // vfs layers are plain directories: remove the data root with rm (it may hold read-only dirs)
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor(60, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // best effort at JVM exit
        }
    }
}
