package dev.archcore.provision.digitalocean;

/**
 * The clock and the pauses of retries and polling. Tests pass one that only records the pauses, so
 * a retry-after or a timeout is checked without waiting for it.
 */
public interface Timing {
    long millis();

    void sleep(long millis) throws InterruptedException;

    Timing SYSTEM = new Timing() {
        @Override
        public long millis() {
            return System.currentTimeMillis();
        }

        @Override
        public void sleep(long millis) throws InterruptedException {
            Thread.sleep(millis);
        }
    };
}
