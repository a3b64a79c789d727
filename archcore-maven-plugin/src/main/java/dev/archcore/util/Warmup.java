package dev.archcore.util;

/**
 * Runs the first use of heavy library code (Jackson's data binding, the tar and gzip writers) on a background
 * thread while the build thread reads its inputs. A warm image build in a fresh JVM (what {@code mvn package}
 * is) spends more time loading and interpreting such code than doing its work; on a second core that cost
 * overlaps the work instead of preceding it. Best effort: a failure here only means no head start.
 */
public final class Warmup {
    private Warmup() {
    }

    public static void start(Runnable... tasks) {
        Thread thread = new Thread(() -> {
            for (Runnable task : tasks) {
                try {
                    task.run();
                } catch (RuntimeException | LinkageError e) {
                    // the build thread meets the same code and reports whatever is wrong with it
                }
            }
        }, "archcore-warmup");
        thread.setDaemon(true);
        thread.start();
    }
}
