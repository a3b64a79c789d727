package dev.archcore.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Runs pacman (or pacman-conf) with stdout and stderr kept apart: results on stdout, errors on stderr. */
public final class PacmanCli {
    private PacmanCli() {
    }

    public record Output(int exitCode, String stdout, String stderr) {
        public List<String> lines() {
            return stdout.isEmpty() ? List.of() : List.of(stdout.split("\n"));
        }

        public Output ok(String what) {
            if (exitCode != 0) {
                fail(what + " exited " + exitCode + ":\n" + stdout + stderr);
            }
            return this;
        }
    }

    public static Output run(Path workDir, List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
            pb.environment().put("LC_ALL", "C");
            pb.environment().put("no_proxy", "127.0.0.1,localhost");
            pb.environment().remove("http_proxy");
            pb.environment().remove("HTTP_PROXY");
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            String out = read(p.getInputStream());
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail(command + " did not finish");
            }
            return new Output(p.exitValue(), out, err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Output run(Path workDir, String... command) {
        return run(workDir, List.of(command));
    }

    public static List<String> command(String... parts) {
        return new ArrayList<>(List.of(parts));
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
