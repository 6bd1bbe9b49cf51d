package org.fleettap.collector.control;

import java.time.Clock;
import java.util.random.RandomGenerator;

/**
 * Session ids: 13 characters of lower-case Crockford base32 spelling 44 bits of milliseconds since the epoch (good
 * until the year 2527) and 20 random bits, so ids sort by creation time as strings, and ids made by collectors (or
 * collector runs) at the same millisecond differ with high probability. Within one generator ids strictly increase.
 */
public final class SessionIds {
    private static final char[] DIGITS = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private static final int RANDOM_BITS = 20;
    static final int LENGTH = 13;

    private final Clock clock;
    private final RandomGenerator random;
    private long last; // guarded by this

    public SessionIds(Clock clock, RandomGenerator random) {
        this.clock = clock;
        this.random = random;
    }

    public synchronized String next() {
        long millis = clock.millis();
        if (millis < 0 || millis >= 1L << (64 - RANDOM_BITS)) {
            throw new IllegalStateException("clock out of range for session ids: " + millis + " ms");
        }
        long value = millis << RANDOM_BITS | random.nextInt(1 << RANDOM_BITS);
        if (value <= last) {
            value = last + 1;
        }
        last = value;
        return format(value);
    }

    static String format(long value) {
        char[] out = new char[LENGTH];
        for (int i = LENGTH - 1; i >= 0; i--) {
            out[i] = DIGITS[(int) (value & 31)];
            value >>>= 5;
        }
        return new String(out);
    }
}
