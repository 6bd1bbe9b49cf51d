package org.fleettap.collector.store;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a {@link Store} keeps data.
 *
 * @param retention how long windows of each resolution are kept, by window start (every resolution
 *     present, each positive)
 * @param outputRetention how long output lines are kept, by the time they were printed
 * @param rollup whether 1 s windows are also merged into 1 min and 1 h windows
 * @param clock the time {@link Store#compactExpired()} measures retention from
 * @param rollupCacheEntries how many rollup windows (1 min, 1 h) ingest keeps decoded in memory, of
 *     those it wrote (so that merging deltas into one it wrote recently needs no read) and of those
 *     whose deltas it has not yet written (when more are pending, it writes them all); about 1.2 KB
 *     each. With fewer entries than series × 2 ingest writes rollup windows more often and reads
 *     them back from RocksDB, correctly but slower; 0 writes them with every write
 */
public record StoreOptions(Map<Resolution, Duration> retention, Duration outputRetention, boolean rollup, Clock clock,
        int rollupCacheEntries) {
    public static final Duration DEFAULT_SECOND_RETENTION = Duration.ofHours(6);
    public static final Duration DEFAULT_MINUTE_RETENTION = Duration.ofDays(7);
    public static final Duration DEFAULT_HOUR_RETENTION = Duration.ofDays(90);
    public static final Duration DEFAULT_OUTPUT_RETENTION = Duration.ofDays(7);
    /** Both rollups of 50,000 series (500 hosts × 100 keys), about 120 MB. */
    public static final int DEFAULT_ROLLUP_CACHE_ENTRIES = 100_000;

    public StoreOptions {
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(outputRetention, "outputRetention");
        Objects.requireNonNull(clock, "clock");
        EnumMap<Resolution, Duration> copy = new EnumMap<>(Resolution.class);
        for (Resolution r : Resolution.values()) {
            Duration d = retention.get(r);
            if (d == null) {
                throw new IllegalArgumentException("no retention for " + r);
            }
            requirePositive(d, "retention of " + r);
            copy.put(r, d);
        }
        requirePositive(outputRetention, "output retention");
        if (rollupCacheEntries < 0) {
            throw new IllegalArgumentException("negative rollup cache size " + rollupCacheEntries);
        }
        retention = java.util.Collections.unmodifiableMap(copy);
    }

    /** 1 s windows for 6 h, 1 min for 7 days, 1 h for 90 days, output for 7 days; rollup on; system clock. */
    public static StoreOptions defaults() {
        return new StoreOptions(Map.of(
                        Resolution.SECOND, DEFAULT_SECOND_RETENTION,
                        Resolution.MINUTE, DEFAULT_MINUTE_RETENTION,
                        Resolution.HOUR, DEFAULT_HOUR_RETENTION),
                DEFAULT_OUTPUT_RETENTION, true, Clock.systemUTC(), DEFAULT_ROLLUP_CACHE_ENTRIES);
    }

    public StoreOptions withRetention(Resolution resolution, Duration d) {
        EnumMap<Resolution, Duration> m = new EnumMap<>(retention);
        m.put(Objects.requireNonNull(resolution, "resolution"), d);
        return new StoreOptions(m, outputRetention, rollup, clock, rollupCacheEntries);
    }

    public StoreOptions withOutputRetention(Duration d) {
        return new StoreOptions(retention, d, rollup, clock, rollupCacheEntries);
    }

    public StoreOptions withRollup(boolean on) {
        return new StoreOptions(retention, outputRetention, on, clock, rollupCacheEntries);
    }

    public StoreOptions withClock(Clock c) {
        return new StoreOptions(retention, outputRetention, rollup, c, rollupCacheEntries);
    }

    public StoreOptions withRollupCacheEntries(int entries) {
        return new StoreOptions(retention, outputRetention, rollup, clock, entries);
    }

    long nowUnixNanos() {
        java.time.Instant now = clock.instant();
        return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
    }

    private static void requirePositive(Duration d, String what) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
    }
}
