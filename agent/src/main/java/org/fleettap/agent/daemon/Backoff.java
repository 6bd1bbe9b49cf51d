package org.fleettap.agent.daemon;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Delays between attempts: doubling from {@code initial} up to {@code max}, each drawn uniformly from the upper half
 * of its step ("equal jitter"), so that agents that lost the collector together do not come back together, and no
 * delay is ever near zero. Not thread-safe.
 */
final class Backoff {
    private final long initialNanos;
    private final long maxNanos;
    private final RandomGenerator random;
    private long step; // the current un-jittered delay

    Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.random = random;
        this.step = initialNanos;
    }

    /** The delay before the next attempt. */
    Duration next() {
        long half = step / 2;
        long delay = half + random.nextLong(step - half + 1);
        step = step > maxNanos / 2 ? maxNanos : step * 2;
        return Duration.ofNanos(delay);
    }

    /** After a success: the next failure waits the initial delay again. */
    void reset() {
        step = initialNanos;
    }
}
