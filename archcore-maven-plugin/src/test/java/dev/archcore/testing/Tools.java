package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real tools the tests judge our output with. A missing tool fails the test (never skips it): CI installs
 * everything with scripts/setup, and a developer runs the same script.
 */
public final class Tools {
    private Tools() {
    }

    public record Output(int exitCode, String text) {
        public Output ok(String what) {
            if (exitCode != 0) {
                fail(what + " exited " + exitCode + ":\n" + text);
            }
            return this;
        }
    }

    public static void require(String... tools) {
        for (String tool : tools) {
            if (which(tool) == null) {
                fail(tool + " not found: run scripts/setup (installs Debian's pacman-package-manager, makepkg, "
                        + "libarchive-tools and the other test tools)");
            }
        }
    }

    public static Path which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    public static Output run(Path dir, String... command) {
        return run(dir, Map.of(), List.of(command));
    }

    public static Output run(Path dir, Map<String, String> env, List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().putAll(env);
            pb.environment().put("LC_ALL", "C.UTF-8");
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail(command + " timed out");
            }
            return new Output(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Commands that need root (pacman -U) run in a user namespace when we are not root. */
    public static List<String> asRoot(String... command) {
        List<String> full = new ArrayList<>();
        if (!isRoot()) {
            full.addAll(List.of("unshare", "-r"));
        }
        full.addAll(List.of(command));
        return full;
    }
}
