package org.fleettap.agent.transport;

import java.time.Duration;
import java.util.Objects;
import java.util.Random;

/**
 * Exponential backoff with jitter: the n-th delay after a success is drawn uniformly from [d/2, d]
 * with d = min(initial * 2^n, max). Not thread-safe (each transport's thread owns one).
 */
final class Backoff {
    private final long initialNanos;
    private final long maxNanos;
    private final Random random;
    private long next;

    Backoff(Duration initial, Duration max, Random random) {
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.random = Objects.requireNonNull(random, "random");
        if (initialNanos <= 0 || maxNanos < initialNanos) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
        }
        this.next = initialNanos;
    }

    /** The delay before the next attempt, in nanoseconds; each call doubles the next ceiling. */
    long nextDelayNanos() {
        long ceiling = next;
        next = Math.min(maxNanos, next > maxNanos / 2 ? maxNanos : next * 2);
        long half = ceiling / 2;
        return ceiling - half + random.nextLong(half + 1);
    }

    /** After a success: the next delay starts from the initial one again. */
    void reset() {
        next = initialNanos;
    }
}
