package dev.archcore.registry;

import dev.archcore.util.Log;

import java.util.Locale;

/**
 * Progress of one blob's upload in the style of Maven's transfer log: "Uploading ..." when it starts, a line
 * at each quarter of a large blob (Maven's batch mode prints no live counter either), and "Uploaded ... (size
 * at rate)" at the end. Retried bytes count again, as they are sent again.
 */
final class UploadProgress {
    /** Blobs below this print only their start and end. */
    static final long QUARTERS_FROM = 32L << 20;

    private final Log log;
    private final String what;
    private final long size;
    private final long started = System.nanoTime();
    private long sent;
    private int quarter;

    UploadProgress(Log log, String what, long size) {
        this.log = log;
        this.what = what;
        this.size = size;
    }

    synchronized void sent(long bytes) {
        sent += bytes;
        if (size < QUARTERS_FROM) {
            return;
        }
        int q = (int) Math.min(3, sent * 4 / size);
        if (q > quarter) {
            quarter = q;
            log.info(String.format(Locale.ROOT, "Progress %s: %s/%s (%d%%)", what, RegistryClient.size(Math.min(sent, size)),
                    RegistryClient.size(size), q * 25));
        }
    }

    void done() {
        double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        log.info(String.format(Locale.ROOT, "Uploaded %s (%s at %s/s)", what, RegistryClient.size(size),
                RegistryClient.size((long) (size / seconds))));
    }
}
