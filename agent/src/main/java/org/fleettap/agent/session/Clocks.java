package org.fleettap.agent.session;

import java.time.Instant;

/**
 * Converts event times (CLOCK_MONOTONIC, as perf records them) to wall-clock time. The offset between the two
 * clocks is taken once at session start (to within a few microseconds).
 */
final class Clocks {
    private final long realtimeMinusMonotonic;

    Clocks(long realtimeMinusMonotonic) {
        this.realtimeMinusMonotonic = realtimeMinusMonotonic;
    }

    /** The system's clocks now: System.nanoTime() is CLOCK_MONOTONIC on Linux. */
    static Clocks system() {
        long mono1 = System.nanoTime();
        Instant now = Instant.now();
        long mono2 = System.nanoTime();
        long real = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        return new Clocks(real - (mono1 + (mono2 - mono1) / 2));
    }

    long toRealtime(long monotonicNanos) {
        return monotonicNanos + realtimeMinusMonotonic;
    }

    long monotonicNow() {
        return System.nanoTime();
    }
}
