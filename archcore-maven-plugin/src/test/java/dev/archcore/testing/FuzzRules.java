package dev.archcore.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

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

    /** A file in the temporary directory of the fuzz run holding {@code data}, overwritten by each input. */
    public static Path file(String name, byte[] data) {
        try {
            Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"),
                    "archcore-fuzz-" + ProcessHandle.current().pid()));
            Path file = dir.resolve(name);
            Files.write(file, data);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
