package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The rule every fuzz target applies: a parser of outside input may refuse it only with one of the project's own
 * clear errors. An exception passes only if it is of a type the target names, was thrown by archcore's code (its
 * top stack frame is in {@code dev.archcore}, so a library's IllegalArgumentException escaping through our code
 * does not count) and carries a message; anything else, and every Error (OutOfMemoryError, StackOverflowError),
 * propagates to Jazzer as a finding. Hangs are cut by the per-input timeout (bench/fuzz.sh, {@code @Timeout}).
 */
public final class FuzzRules {
    /** Inputs longer than this are skipped (bench/fuzz.sh also passes -max_len). */
    public static final int MAX_INPUT = 64 * 1024;

    private FuzzRules() {
    }

    @FunctionalInterface
    public interface Parse {
        void run() throws Exception;
    }

    @SafeVarargs
    public static void onlyClearErrors(Parse parse, Class<? extends Exception>... allowed) {
        try {
            parse.run();
        } catch (Exception e) {
            if (!isClear(e, List.of(allowed))) {
                throw new AssertionError("not one of archcore's clear errors " + Arrays.toString(allowed) + ": " + e, e);
            }
        }
    }

    private static boolean isClear(Exception e, List<Class<? extends Exception>> allowed) {
        StackTraceElement[] trace = e.getStackTrace();
        return allowed.stream().anyMatch(a -> a.isInstance(e))
                && trace.length > 0 && trace[0].getClassName().startsWith("dev.archcore.")
                && e.getMessage() != null && !e.getMessage().isBlank();
    }

    /** A file in this JVM's fuzz directory holding {@code data}, overwritten by each input. */
    public static Path file(String name, byte[] data) {
        try {
            Path file = Holder.DIR.resolve(name);
            Files.write(file, data);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An empty directory in this JVM's fuzz directory (emptied for each input). */
    public static Path emptyDir(String name) {
        try {
            Path dir = Holder.DIR.resolve(name);
            delete(dir);
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Recursively deletes {@code path} if it exists. */
    public static void delete(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> files = Files.walk(path)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The directory, made on first use and removed when the JVM exits. */
    private static final class Holder {
        static final Path DIR = make();

        private static Path make() {
            try {
                Path dir = Files.createTempDirectory("archcore-fuzz-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        delete(dir);
                    } catch (IOException e) {
                        // a temporary directory left behind
                    }
                }));
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
