package dev.archcore.testing;

import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The registry units of a master's cloud-config template (every unit whose {@code ExecStart} is a
 * {@code docker run ... registry:...}), each run as this machine's real docker-registry with the configuration the
 * unit gives its container: the Docker Hub image's own {@code /etc/docker/registry/config.yml} (distribution's
 * {@code cmd/registry/config-docker.yml}, written below) overridden by the unit's {@code -e} variables, the unit's
 * {@code -v} folders mapped to folders here (read-only ones mounted read-only in a private mount namespace, as
 * Docker would), and its published port on 127.0.0.1. So a test judges the units the template really has, not a
 * configuration written for the test.
 */
public final class TemplateRegistries implements AutoCloseable {
    /** The Docker Hub registry:2.8.3 image's config.yml (distribution v2.8.3, cmd/registry/config-docker.yml). */
    static final String IMAGE_CONFIG = """
            version: 0.1
            log:
              fields:
                service: registry
            storage:
              cache:
                blobdescriptor: inmemory
              filesystem:
                rootdirectory: /var/lib/registry
            http:
              addr: :5000
              headers:
                X-Content-Type-Options: [nosniff]
            health:
              storagedriver:
                enabled: true
                interval: 10s
                threshold: 3
            """;

    /** A registry unit as its {@code docker run} line says: where it publishes, what it mounts, its environment. */
    public record Unit(String name, String publishHost, int publishedPort, Map<String, String> mounts,
                       List<String> readOnly, Map<String, String> env) {
    }

    /** A unit running as a docker-registry process here. */
    public record Running(Unit unit, Process process, Path logFile) {
        public String host() {
            return "127.0.0.1:" + unit.publishedPort();
        }

        public String log() {
            try {
                return Files.readString(logFile);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final List<Running> running;

    private TemplateRegistries(List<Running> running) {
        this.running = running;
    }

    /** The template's registry units, its {@code $NAME} placeholders replaced by {@code values} first. */
    public static List<Unit> units(Path template, Map<String, String> values) throws IOException {
        String text = Files.readString(template);
        for (Map.Entry<String, String> v : values.entrySet()) {
            text = text.replace("$" + v.getKey(), v.getValue());
        }
        Map<?, ?> root = (Map<?, ?>) new Load(LoadSettings.builder().build()).loadFromString(text);
        List<Unit> units = new ArrayList<>();
        for (Object o : (List<?>) ((Map<?, ?>) root.get("coreos")).get("units")) {
            Map<?, ?> unit = (Map<?, ?>) o;
            Object content = unit.get("content");
            if (content == null) {
                continue;
            }
            for (String line : content.toString().split("\n")) {
                if (line.startsWith("ExecStart=/usr/bin/docker run ") && line.matches(".* \\S*registry:\\S+\\s*$")) {
                    units.add(parse(unit.get("name").toString(), words(line.substring("ExecStart=".length()))));
                }
            }
        }
        return units;
    }

    private static Unit parse(String name, List<String> words) {
        String publishHost = null;
        int port = -1;
        Map<String, String> mounts = new LinkedHashMap<>();
        List<String> readOnly = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 2; i < words.size() - 1; i++) {
            String w = words.get(i);
            switch (w) {
                case "-p" -> {
                    String[] p = words.get(++i).split(":");
                    publishHost = p.length == 3 ? p[0] : "0.0.0.0";
                    port = Integer.parseInt(p[p.length - 2]);
                }
                case "-v" -> {
                    String[] v = words.get(++i).split(":");
                    mounts.put(v[0], v[1]);
                    if (v.length == 3 && v[2].equals("ro")) {
                        readOnly.add(v[0]);
                    }
                }
                case "-e" -> {
                    String e = words.get(++i);
                    env.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
                }
                case "--name" -> i++;
                default -> {
                    // --rm and other flags without a value
                }
            }
        }
        return new Unit(name, publishHost, port, mounts, readOnly, env);
    }

    /** systemd's command-line words: whitespace-separated, a whole word may be in single or double quotes. */
    public static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '\'' || c == '"') {
                int end = line.indexOf(c, i + 1);
                words.add(line.substring(i + 1, end));
                i = end + 1;
            } else {
                int end = i;
                while (end < line.length() && !Character.isWhitespace(line.charAt(end))) {
                    end++;
                }
                words.add(line.substring(i, end));
                i = end;
            }
        }
        return words;
    }

    /**
     * Starts every registry unit of {@code template}; {@code folders} maps the units' host folders (the master's,
     * e.g. {@code /etc/archcore/registry}) to folders here.
     */
    public static TemplateRegistries start(Path template, Map<String, String> values, Map<String, Path> folders, Path dir)
            throws IOException, InterruptedException {
        Tools.require("docker-registry");
        List<Running> running = new ArrayList<>();
        TemplateRegistries all = new TemplateRegistries(running);
        try {
            for (Unit unit : units(template, values)) {
                running.add(run(unit, folders, Files.createDirectories(dir.resolve(unit.name()))));
            }
        } catch (IOException | RuntimeException | InterruptedException | AssertionError e) {
            all.close();
            throw e;
        }
        return all;
    }

    private static Running run(Unit unit, Map<String, Path> folders, Path dir) throws IOException, InterruptedException {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : unit.env().entrySet()) {
            env.put(e.getKey(), local(unit, e.getValue(), folders));
        }
        env.put("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", local(unit, "/var/lib/registry", folders));
        env.put("REGISTRY_HTTP_ADDR", "127.0.0.1:" + unit.publishedPort());
        Path config = dir.resolve("config.yml");
        Files.writeString(config, IMAGE_CONFIG);
        List<String> command = new ArrayList<>();
        if (!unit.readOnly().isEmpty()) {
            // Docker mounts a ":ro" volume read-only: the same in a mount namespace of this process only
            StringBuilder script = new StringBuilder("set -e;");
            for (String host : unit.readOnly()) {
                String local = folders.get(host).toString();
                Files.createDirectories(folders.get(host));
                script.append(" mount --bind '").append(local).append("' '").append(local).append("';")
                        .append(" mount -o remount,bind,ro '").append(local).append("';");
            }
            script.append(" exec \"$0\" serve \"$1\"");
            command.addAll(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script.toString()));
        }
        command.add(Tools.which("docker-registry").toString());
        if (!unit.readOnly().isEmpty()) {
            command.add(config.toString());
        } else {
            command.addAll(List.of("serve", config.toString()));
        }
        Path log = dir.resolve("registry.log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket("127.0.0.1", unit.publishedPort())) {
                return new Running(unit, p, log);
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > until) {
                    p.destroyForcibly();
                    fail(unit.name() + " did not start as docker-registry " + env + ":\n" + Files.readString(log));
                }
                Thread.sleep(50);
            }
        }
    }

    /** A container path of the unit as the folder here: through its mounts, then {@code folders}. */
    private static String local(Unit unit, String value, Map<String, Path> folders) {
        for (Map.Entry<String, String> m : unit.mounts().entrySet()) {
            String inside = m.getValue();
            if (value.equals(inside) || value.startsWith(inside + "/")) {
                Path host = folders.get(m.getKey());
                if (host == null) {
                    fail(unit.name() + " mounts " + m.getKey() + ", which the test maps to no folder");
                }
                return host + value.substring(inside.length());
            }
        }
        return value;
    }

    public List<Running> all() {
        return running;
    }

    /** The unit published on {@code port}. */
    public Optional<Running> publishing(int port) {
        return running.stream().filter(r -> r.unit().publishedPort() == port).findFirst();
    }

    @Override
    public void close() {
        for (Running r : running) {
            r.process().destroy();
            try {
                if (!r.process().waitFor(10, TimeUnit.SECONDS)) {
                    r.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
