package dev.archcore.provision.digitalocean;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A clock that moves only when slept on; every pause is recorded, none is waited for. */
final class FakeTiming implements Timing {
    private long now = 1_800_000_000_000L;
    final List<Long> sleeps = new CopyOnWriteArrayList<>();

    @Override
    public synchronized long millis() {
        return now;
    }

    @Override
    public synchronized void sleep(long millis) {
        sleeps.add(millis);
        now += millis;
    }
}
