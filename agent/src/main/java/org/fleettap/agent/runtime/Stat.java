package org.fleettap.agent.runtime;

import java.util.Arrays;
import java.util.Objects;
import org.fleettap.aggregate.Log2Buckets;
import org.fleettap.aggregate.MergeableAggregate;

/**
 * A statistic fed by {@code <<<}: count, sum, min, max and, if its {@link HistogramSpec} asks, a
 * histogram. Adding a value allocates nothing. Partial statistics (per thread, per CPU, per host,
 * per time window) combine with {@link #merge}, which is associative and commutative: the merged
 * counts, sums (wrapping 64-bit), extremes and buckets do not depend on how the values were split
 * or in which order the parts are merged, exactly as the runtime's per-CPU aggregation
 * ({@code _stp_stat_get}, stat.c).
 */
public final class Stat {
    /** stap's message for {@code @min/@max/@avg} or a histogram of nothing (translate.cxx, STAP_T_06). */
    public static final String EMPTY_AGGREGATE = "empty aggregate";
    /** stap's message for a bucket index outside the histogram (translate.cxx, STAP_T_07). */
    public static final String INDEX_OUT_OF_RANGE = "histogram index out of range";

    private final HistogramSpec spec;
    private final long[] histogram;
    private long count;
    private long sum;
    private long min;
    private long max;
    /** What was added since the last {@link #takeDelta()}, when the statistic is exported; else null. */
    private MergeableAggregate delta;

    public Stat(HistogramSpec spec) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.histogram = spec.buckets() == 0 ? null : new long[spec.buckets()];
    }

    public HistogramSpec spec() {
        return spec;
    }

    /** {@code s <<< value}. */
    public void add(long value) {
        if (count == 0) {
            min = value;
            max = value;
        } else {
            if (value < min) {
                min = value;
            }
            if (value > max) {
                max = value;
            }
        }
        count++;
        sum += value;
        if (histogram != null) {
            histogram[spec.bucketOf(value)]++;
        }
        if (delta != null) {
            delta.record(value);
        }
    }

    /**
     * A {@code @hist_log} statistic holding what {@code a} holds (count, sum, min, max and its log2 buckets): how
     * an aggregate merged by the collector is printed as stap prints a histogram.
     */
    public static Stat ofLog2(MergeableAggregate a) {
        Stat s = new Stat(HistogramSpec.log());
        if (a.isEmpty()) {
            return s;
        }
        s.count = a.count();
        s.sum = a.sum();
        s.min = a.min();
        s.max = a.max();
        for (int i = Log2Buckets.MIN_INDEX; i <= Log2Buckets.MAX_INDEX; i++) {
            s.histogram[Log2Buckets.stapSlot(i)] = a.log2Bucket(i);
        }
        return s;
    }

    /** From now on, keeps what is added since the last {@link #takeDelta()} too (the agent exports it). */
    public void trackDelta() {
        if (delta == null) {
            delta = new MergeableAggregate();
        }
    }

    /** What was added since the last call (empty if nothing), and starts a new delta; null when not tracked. */
    public MergeableAggregate takeDelta() {
        MergeableAggregate d = delta;
        if (d != null && !d.isEmpty()) {
            delta = new MergeableAggregate();
        }
        return d;
    }

    /**
     * Adds everything {@code other} holds into this statistic.
     *
     * @throws IllegalArgumentException if the two keep different histograms
     */
    public void merge(Stat other) {
        if (!spec.equals(other.spec)) {
            throw new IllegalArgumentException("cannot merge " + other.spec + " into " + spec);
        }
        if (other.count == 0) {
            return;
        }
        if (count == 0) {
            min = other.min;
            max = other.max;
        } else {
            min = Math.min(min, other.min);
            max = Math.max(max, other.max);
        }
        count += other.count;
        sum += other.sum;
        if (histogram != null) {
            for (int i = 0; i < histogram.length; i++) {
                histogram[i] += other.histogram[i];
            }
        }
    }

    /** An independent copy. */
    public Stat copy() {
        Stat c = new Stat(spec);
        c.merge(this);
        return c;
    }

    /** Forgets everything ({@code delete s}). */
    public void clear() {
        count = 0;
        sum = 0;
        min = 0;
        max = 0;
        if (histogram != null) {
            Arrays.fill(histogram, 0);
        }
    }

    /** {@code @count}: 0 when empty. */
    public long count() {
        return count;
    }

    /** {@code @sum}: 0 when empty; wraps on overflow. */
    public long sum() {
        return sum;
    }

    /** {@code @min}. @throws StapRuntimeException {@value #EMPTY_AGGREGATE} when empty */
    public long min() {
        requireData();
        return min;
    }

    /** {@code @max}. @throws StapRuntimeException {@value #EMPTY_AGGREGATE} when empty */
    public long max() {
        requireData();
        return max;
    }

    /** {@code @avg}: sum / count truncated toward zero, as C's division. @throws StapRuntimeException when empty */
    public long avg() {
        requireData();
        return sum / count;
    }

    /** Number of histogram buckets (0 without a histogram). */
    public int bucketCount() {
        return histogram == null ? 0 : histogram.length;
    }

    /** {@code @hist_*(s)[index]}. @throws StapRuntimeException {@value #INDEX_OUT_OF_RANGE} */
    public long bucket(int index) {
        if (histogram == null || index < 0 || index >= histogram.length) {
            throw new StapRuntimeException(INDEX_OUT_OF_RANGE);
        }
        return histogram[index];
    }

    /**
     * Appends the histogram as stap prints it ({@code print(@hist_log(s))}), trailing blank line
     * included.
     *
     * @throws StapRuntimeException {@value #EMPTY_AGGREGATE} when nothing was added
     * @throws IllegalStateException when this statistic keeps no histogram
     */
    public void appendHistogram(StringBuilder out) {
        if (histogram == null) {
            throw new IllegalStateException("statistic keeps no histogram");
        }
        requireData();
        HistogramPrinter.print(spec, histogram, out);
    }

    /** The histogram as stap prints it; see {@link #appendHistogram}. */
    public String histogramText() {
        StringBuilder out = new StringBuilder(512);
        appendHistogram(out);
        return out.toString();
    }

    /** True if both hold the same aggregate (count, sum, min, max, buckets, spec). */
    public boolean sameAggregate(Stat other) {
        return spec.equals(other.spec) && count == other.count && sum == other.sum
                && (count == 0 || (min == other.min && max == other.max))
                && Arrays.equals(histogram, other.histogram);
    }

    @Override
    public String toString() {
        return count == 0 ? "Stat[empty " + spec + "]"
                : "Stat[count=" + count + " sum=" + sum + " min=" + min + " max=" + max + " " + spec + "]";
    }

    private void requireData() {
        if (count == 0) {
            throw new StapRuntimeException(EMPTY_AGGREGATE);
        }
    }
}
