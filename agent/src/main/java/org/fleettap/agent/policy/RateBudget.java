package org.fleettap.agent.policy;

/**
 * A per-second budget: counts what is added in windows of one second (the first starting at the first addition)
 * and says when a window's count passes the limit, as the rate measured so far in that window. Not thread-safe.
 */
final class RateBudget {
    static final long SECOND = 1_000_000_000L;
    /** The shortest time a rate is measured over, so that a burst at one instant reads as a rate, not infinity. */
    static final long MIN_SPAN = 1_000_000L;

    private final long max;
    private long windowStart = Long.MIN_VALUE;
    private long count;

    RateBudget(long max) {
        if (max <= 0) {
            throw new IllegalArgumentException("max must be positive: " + max);
        }
        this.max = max;
    }

    /**
     * Adds {@code n} at {@code nowNanos} (a monotonic time); returns -1 while the window stays within the limit,
     * else the window's rate per second (above the limit: its count over at most one second).
     */
    long add(long n, long nowNanos) {
        if (windowStart == Long.MIN_VALUE || nowNanos - windowStart >= SECOND) {
            windowStart = nowNanos;
            count = 0;
        }
        count += n;
        if (count <= max) {
            return -1;
        }
        long span = Math.max(MIN_SPAN, nowNanos - windowStart);
        return Math.max(count, (long) (count * ((double) SECOND / span)));
    }
}
