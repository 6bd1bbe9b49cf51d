package org.fleettap.agent.runtime;

/**
 * Which histogram a statistic keeps, with stap's bucket layout (runtime/stat.h, stat-common.c).
 *
 * <ul>
 *   <li>{@code @hist_log}: 128 buckets. Bucket 64 holds 0; bucket {@code 65+k} holds
 *       {@code [2^k, 2^(k+1))}; bucket {@code 63-k} holds {@code (-2^(k+1), -2^k]}; bucket 0 holds
 *       {@code Long.MIN_VALUE}. A bucket is labelled by its value of smallest magnitude.
 *   <li>{@code @hist_linear(start, stop, interval)}: {@code (stop-start)/interval + 3} buckets
 *       (3..128): bucket 0 counts values below {@code start}, bucket {@code i} (1..n) counts
 *       {@code [start+(i-1)*interval, start+i*interval)}, and the last bucket counts the rest.
 *       Bounds are C {@code int}s as in the runtime's {@code struct _Hist}; {@code value - start} is
 *       computed in wrapping 64-bit arithmetic, as the runtime does.
 * </ul>
 */
public final class HistogramSpec {
    /** Kind of histogram. */
    public enum Kind {
        NONE,
        LOG,
        LINEAR
    }

    /** HIST_LOG_BUCKETS. */
    static final int LOG_BUCKETS = 128;
    /** HIST_LOG_BUCKET0: the bucket of value 0. */
    static final int LOG_BUCKET0 = 64;
    /** STP_MAX_BUCKETS: most buckets a linear histogram may have, including under- and overflow. */
    static final int MAX_LINEAR_BUCKETS = 128;

    private static final HistogramSpec NONE = new HistogramSpec(Kind.NONE, 0, 0, 1, 0);
    private static final HistogramSpec LOG = new HistogramSpec(Kind.LOG, 0, 0, 1, LOG_BUCKETS);

    private final Kind kind;
    private final int start;
    private final int stop;
    private final int interval;
    private final int buckets;

    private HistogramSpec(Kind kind, int start, int stop, int interval, int buckets) {
        this.kind = kind;
        this.start = start;
        this.stop = stop;
        this.interval = interval;
        this.buckets = buckets;
    }

    /** No histogram: only count, sum, min, max. */
    public static HistogramSpec none() {
        return NONE;
    }

    /** {@code @hist_log}. */
    public static HistogramSpec log() {
        return LOG;
    }

    /**
     * {@code @hist_linear(start, stop, interval)}.
     *
     * @throws IllegalArgumentException when a bound is outside C's int, the interval is not positive,
     *     or the histogram would not have 1..126 regular buckets (stap's rule, stat-common.c).
     */
    public static HistogramSpec linear(long start, long stop, long interval) {
        if (start != (int) start || stop != (int) stop || interval != (int) interval) {
            throw new IllegalArgumentException(
                    "histogram: start, stop and interval must fit in 32 bits: " + start + ", " + stop + ", " + interval);
        }
        if (interval <= 0) {
            throw new IllegalArgumentException("histogram: interval must be positive, got " + interval);
        }
        int n = ((int) stop - (int) start) / (int) interval + 3;
        if (n > MAX_LINEAR_BUCKETS || n < 3) {
            throw new IllegalArgumentException("histogram: Number of buckets must be between 1 and "
                    + (MAX_LINEAR_BUCKETS - 2) + "; Number_of_buckets = (stop - start) / interval = "
                    + (n - 3));
        }
        return new HistogramSpec(Kind.LINEAR, (int) start, (int) stop, (int) interval, n);
    }

    public Kind kind() {
        return kind;
    }

    /** Number of buckets, 0 without a histogram. */
    public int buckets() {
        return buckets;
    }

    int start() {
        return start;
    }

    int interval() {
        return interval;
    }

    /** The bucket that counts {@code value}. */
    int bucketOf(long value) {
        if (kind == Kind.LOG) {
            return logBucket(value);
        }
        long offset = value - start;
        long index;
        if (offset < 0) {
            index = 0;
        } else {
            index = offset / interval + 1;
        }
        return index >= buckets - 1 ? buckets - 1 : (int) index;
    }

    private static int logBucket(long value) {
        if (value == 0) {
            return LOG_BUCKET0;
        }
        if (value > 0) {
            return LOG_BUCKET0 + 1 + (63 - Long.numberOfLeadingZeros(value));
        }
        long magnitude = -value; // Long.MIN_VALUE stays 2^63 read as unsigned
        return LOG_BUCKET0 - 1 - (63 - Long.numberOfLeadingZeros(magnitude));
    }

    /** The label of a log bucket: 0, {@code 2^k} or {@code -2^k} ({@code _stp_bucket_to_val}). */
    static long logBucketValue(int bucket) {
        if (bucket == LOG_BUCKET0) {
            return 0;
        }
        if (bucket < LOG_BUCKET0) {
            return Long.MIN_VALUE >> bucket;
        }
        return 1L << (bucket - LOG_BUCKET0 - 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HistogramSpec h
                && h.kind == kind && h.start == start && h.stop == stop && h.interval == interval;
    }

    @Override
    public int hashCode() {
        return ((kind.hashCode() * 31 + start) * 31 + stop) * 31 + interval;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "none";
            case LOG -> "@hist_log";
            case LINEAR -> "@hist_linear(" + start + ", " + stop + ", " + interval + ")";
        };
    }
}
