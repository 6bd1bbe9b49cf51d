package org.fleettap.collector.store;

import java.time.Duration;

/**
 * The window sizes the store keeps. Batches arrive with (at least) 1 s windows; the store merges
 * each into its second, and, with rollup on, into the minute and the hour that hold the second.
 */
public enum Resolution {
    SECOND(1, Duration.ofSeconds(1)),
    MINUTE(2, Duration.ofMinutes(1)),
    HOUR(3, Duration.ofHours(1));

    /** The byte in aggregate keys; never change (stored data holds it). */
    final int code;
    private final long nanos;

    Resolution(int code, Duration size) {
        this.code = code;
        this.nanos = size.toNanos();
    }

    /** Window length in nanoseconds. */
    public long nanos() {
        return nanos;
    }

    /** Start of the window of this resolution that holds {@code unixNanos}. */
    public long floor(long unixNanos) {
        return Math.floorDiv(unixNanos, nanos) * nanos;
    }

    /** Start of the first window of this resolution that starts at or after {@code unixNanos}. */
    long ceil(long unixNanos) {
        long f = floor(unixNanos);
        return f == unixNanos ? f : f + nanos;
    }

    /** The next finer resolution; SECOND for SECOND. */
    Resolution finer() {
        return this == SECOND ? SECOND : values()[ordinal() - 1];
    }

    static Resolution ofCode(int code) {
        for (Resolution r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown resolution code " + code);
    }
}
