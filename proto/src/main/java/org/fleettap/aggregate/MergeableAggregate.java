package org.fleettap.aggregate;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.PackedHistogram;
import org.fleettap.proto.v1.Aggregate;
import org.fleettap.proto.v1.HdrBuckets;
import org.fleettap.proto.v1.QuantileSketch;

/**
 * What a statistic recorded: count, sum, min, max, stap's {@code @hist_log} buckets
 * ({@link Log2Buckets}) and a quantile sketch, mergeable across hosts and time windows.
 *
 * <h2>Merging</h2>
 *
 * {@link #merge} adds counts, sums, buckets and sketch counts and takes the smaller minimum and the
 * larger maximum. Each of these is associative and commutative and exact, so however values are
 * split into aggregates and in whatever order those are merged, the result is equal (by
 * {@link #equals}) to the aggregate of all the values recorded into one, quantiles included.
 *
 * <h2>Ownership</h2>
 *
 * A mutable accumulator, because recording happens per probe hit on the agent's hot path and must
 * not allocate (the sketch allocates only when it grows to a new bucket). It is not thread-safe:
 * one owner at a time records into it, merges into it, or reads it — the handler thread while a
 * window is open, then the exporter once the window is swapped out; the collector's merge loop. Hand
 * it to another thread only through something that orders memory (a queue, a lock). {@link #merge}
 * reads its argument without changing it or keeping any part of it, and {@link #copy} makes an
 * independent aggregate.
 *
 * <h2>Arithmetic</h2>
 *
 * The sum wraps in two's-complement 64 bits, as stap's {@code @sum} does; {@link #avg} divides that
 * sum and truncates toward zero, as stap's {@code @avg}. The count is a {@code long}: merging more
 * than {@code 2^63 - 1} values is not supported.
 *
 * <h2>Empty</h2>
 *
 * A new aggregate is empty: {@link #count} and {@link #sum} are 0, every bucket is 0, and
 * {@link #min}, {@link #max}, {@link #avg}, {@link #quantile} and {@link #summary} throw
 * {@link IllegalStateException} ("empty aggregate", as stap reports {@code @min} of nothing).
 * Merging an empty aggregate changes nothing.
 *
 * <h2>Quantiles</h2>
 *
 * The sketch is an HdrHistogram with {@value #SIGNIFICANT_VALUE_DIGITS} significant value digits
 * (256 sub-buckets per power of two, so a bucket is at most 1/128 of its values wide and values
 * below 256 are exact) for the values {@code >= 0}, and a second one for the magnitudes of the
 * negative values (HdrHistogram takes no negative values; magnitudes above {@code 2^63 - 2}, which
 * only {@code Long.MAX_VALUE} and {@code Long.MIN_VALUE} have, are recorded as {@code 2^63 - 2}, in
 * the same sketch bucket). Both are {@link PackedHistogram}s, whose memory grows with the
 * number of buckets in use rather than with the range of the values, and both are created on first
 * use. {@link #quantile(double) quantile(q)} is the nearest-rank quantile of HdrHistogram's
 * {@code getValueAtPercentile}: the value of rank {@code max(1, ceil(q * count))} in ascending
 * order. Ranks 1 and {@code count} are {@link #min} and {@link #max}, exactly; any other is reported
 * as the largest value of its sketch bucket, clamped into {@code [min, max]}. So a quantile is never
 * below the exact one and exceeds it by less than 1/128 (within {@value #RELATIVE_ERROR}) of the
 * exact quantile's magnitude.
 */
public final class MergeableAggregate {
    /** Precision of the quantile sketch (HdrHistogram's numberOfSignificantValueDigits). */
    public static final int SIGNIFICANT_VALUE_DIGITS = 2;
    /**
     * Bound on the relative error of {@link #quantile}: {@code |estimate - exact| <= 0.01 * |exact|}
     * (in fact below 1/128 of it).
     */
    public static final double RELATIVE_ERROR = 0.01;

    private static final String EMPTY = "empty aggregate";
    /**
     * Largest value given to a sketch. HdrHistogram takes {@code Long.MAX_VALUE} for "no value yet"
     * in its minimum, so that value (and the magnitude of {@code Long.MIN_VALUE}, 2^63) is recorded
     * as this one, which lies in the same sketch bucket.
     */
    private static final long SKETCH_MAX = Long.MAX_VALUE - 1;

    private long count;
    private long sum;
    /** Long.MAX_VALUE while empty: the identity of min, so merging needs no special case. */
    private long min = Long.MAX_VALUE;
    /** Long.MIN_VALUE while empty: the identity of max. */
    private long max = Long.MIN_VALUE;
    /** Counts per log2 bucket, by {@link Log2Buckets#stapSlot}. */
    private final long[] log2 = new long[Log2Buckets.COUNT];
    /** Values >= 0; null until one is recorded. */
    private PackedHistogram nonNegative;
    /** Magnitudes of values < 0; null until one is recorded. */
    private PackedHistogram negativeMagnitudes;

    /** An empty aggregate. */
    public MergeableAggregate() {}

    /** Adds one value ({@code s <<< value}). */
    public void record(long value) {
        count++;
        sum += value;
        if (value < min) {
            min = value;
        }
        if (value > max) {
            max = value;
        }
        log2[Log2Buckets.indexOf(value) - Log2Buckets.MIN_INDEX]++;
        if (value >= 0) {
            if (nonNegative == null) {
                nonNegative = newSketch();
            }
            nonNegative.recordValue(Math.min(value, SKETCH_MAX));
        } else {
            if (negativeMagnitudes == null) {
                negativeMagnitudes = newSketch();
            }
            negativeMagnitudes.recordValue(value == Long.MIN_VALUE ? SKETCH_MAX : Math.min(-value, SKETCH_MAX));
        }
    }

    /**
     * Adds everything {@code other} recorded to this aggregate. {@code other} is left as it was;
     * merging an aggregate into itself doubles it.
     */
    public void merge(MergeableAggregate other) {
        Objects.requireNonNull(other, "other");
        MergeableAggregate source = other == this ? copy() : other;
        count += source.count;
        sum += source.sum;
        min = Math.min(min, source.min);
        max = Math.max(max, source.max);
        for (int i = 0; i < log2.length; i++) {
            log2[i] += source.log2[i];
        }
        nonNegative = mergeSketch(nonNegative, source.nonNegative);
        negativeMagnitudes = mergeSketch(negativeMagnitudes, source.negativeMagnitudes);
    }

    /** An independent aggregate equal to this one. */
    public MergeableAggregate copy() {
        MergeableAggregate c = new MergeableAggregate();
        c.count = count;
        c.sum = sum;
        c.min = min;
        c.max = max;
        System.arraycopy(log2, 0, c.log2, 0, log2.length);
        c.nonNegative = nonNegative == null ? null : nonNegative.copy();
        c.negativeMagnitudes = negativeMagnitudes == null ? null : negativeMagnitudes.copy();
        return c;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** Number of values recorded ({@code @count}); 0 when empty. */
    public long count() {
        return count;
    }

    /** Sum of the values, wrapping in 64 bits ({@code @sum}); 0 when empty. */
    public long sum() {
        return sum;
    }

    /** Smallest value ({@code @min}). @throws IllegalStateException when empty */
    public long min() {
        requireValues();
        return min;
    }

    /** Largest value ({@code @max}). @throws IllegalStateException when empty */
    public long max() {
        requireValues();
        return max;
    }

    /**
     * {@code sum / count} truncated toward zero ({@code @avg}).
     *
     * @throws IllegalStateException when empty
     */
    public long avg() {
        requireValues();
        return sum / count;
    }

    /**
     * Number of values in a {@code @hist_log} bucket.
     *
     * @param index a bucket of {@link Log2Buckets}, -64..63
     * @throws IllegalArgumentException if {@code index} is outside -64..63
     */
    public long log2Bucket(int index) {
        return log2[Log2Buckets.stapSlot(index)];
    }

    /**
     * The quantile {@code q} (0.5 for the median): the nearest-rank value of rank
     * {@code max(1, ceil(q * count))}, at most {@value #RELATIVE_ERROR} of its magnitude above it;
     * see the class comment.
     *
     * @throws IllegalArgumentException if {@code q} is not within [0, 1]
     * @throws IllegalStateException when empty
     */
    public long quantile(double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be within [0, 1], got " + q);
        }
        requireValues();
        long rank = rank(q, count);
        if (rank == 1) {
            return min;
        }
        if (rank == count) {
            return max;
        }
        long negatives = negativeMagnitudes == null ? 0 : negativeMagnitudes.getTotalCount();
        long estimate;
        if (rank <= negatives) {
            // Ascending values run through the negative magnitudes in descending order.
            long magnitude = valueAtRank(negativeMagnitudes, negatives - rank + 1);
            estimate = -negativeMagnitudes.lowestEquivalentValue(magnitude);
        } else {
            estimate = valueAtRank(nonNegative, rank - negatives);
        }
        return Math.max(min, Math.min(max, estimate));
    }

    /**
     * count, sum, min, max, avg, p50, p90, p99.
     *
     * @throws IllegalStateException when empty
     */
    public Summary summary() {
        requireValues();
        return new Summary(count, sum, min, max, avg(), quantile(0.5), quantile(0.9), quantile(0.99));
    }

    /** This aggregate as the wire message (canonical: equal aggregates give equal messages). */
    public Aggregate toProto() {
        Aggregate.Builder b = Aggregate.newBuilder().setCount(count).setSum(sum);
        if (count == 0) {
            return b.build();
        }
        b.setMin(min).setMax(max);
        int first = Log2Buckets.stapSlot(Log2Buckets.indexOf(min));
        int last = Log2Buckets.stapSlot(Log2Buckets.indexOf(max));
        b.setLog2FirstBucket(first + Log2Buckets.MIN_INDEX);
        for (int slot = first; slot <= last; slot++) {
            b.addLog2Counts(log2[slot]);
        }
        QuantileSketch.Builder sketch = QuantileSketch.newBuilder()
                .setSignificantValueDigits(SIGNIFICANT_VALUE_DIGITS);
        if (nonNegative != null) {
            sketch.setNonNegative(buckets(nonNegative));
        }
        if (negativeMagnitudes != null) {
            sketch.setNegativeMagnitudes(buckets(negativeMagnitudes));
        }
        return b.setQuantiles(sketch).build();
    }

    /**
     * Reads a wire message, checking that its parts agree with each other.
     *
     * @throws InvalidAggregateException if they do not, or the sketch has another precision than
     *     {@value #SIGNIFICANT_VALUE_DIGITS} significant digits
     */
    public static MergeableAggregate fromProto(Aggregate message) throws InvalidAggregateException {
        Objects.requireNonNull(message, "message");
        MergeableAggregate a = new MergeableAggregate();
        if (message.getCount() == 0) {
            if (message.getSum() != 0 || message.hasMin() || message.hasMax() || message.getLog2CountsCount() != 0
                    || message.getLog2FirstBucket() != 0 || message.hasQuantiles()) {
                throw new InvalidAggregateException("empty aggregate (count 0) carries values");
            }
            return a;
        }
        if (message.getCount() < 0) {
            throw new InvalidAggregateException(
                    "count " + Long.toUnsignedString(message.getCount()) + " is too large");
        }
        if (!message.hasMin() || !message.hasMax()) {
            throw new InvalidAggregateException("count is " + message.getCount() + " but min or max is missing");
        }
        if (message.getMin() > message.getMax()) {
            throw new InvalidAggregateException("min " + message.getMin() + " is above max " + message.getMax());
        }
        a.count = message.getCount();
        a.sum = message.getSum();
        a.min = message.getMin();
        a.max = message.getMax();
        long negatives = a.readLog2(message);
        if (!message.hasQuantiles()) {
            throw new InvalidAggregateException("count is " + a.count + " but the quantile sketch is missing");
        }
        QuantileSketch sketch = message.getQuantiles();
        if (sketch.getSignificantValueDigits() != SIGNIFICANT_VALUE_DIGITS) {
            throw new InvalidAggregateException("quantile sketch has " + sketch.getSignificantValueDigits()
                    + " significant value digits; this reader uses " + SIGNIFICANT_VALUE_DIGITS);
        }
        a.nonNegative = readSketch("non-negative", sketch.hasNonNegative(), sketch.getNonNegative(),
                a.count - negatives);
        a.negativeMagnitudes = readSketch("negative", sketch.hasNegativeMagnitudes(),
                sketch.getNegativeMagnitudes(), negatives);
        return a;
    }

    /** True if {@code o} is an aggregate of the same count, sum, min, max, buckets and sketches. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MergeableAggregate a
                && count == a.count && sum == a.sum && min == a.min && max == a.max
                && Arrays.equals(log2, a.log2)
                && Objects.equals(nonNegative, a.nonNegative)
                && Objects.equals(negativeMagnitudes, a.negativeMagnitudes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(count, sum, min, max, Arrays.hashCode(log2));
    }

    @Override
    public String toString() {
        return count == 0 ? "MergeableAggregate[empty]"
                : "MergeableAggregate[count=" + count + " sum=" + sum + " min=" + min + " max=" + max + "]";
    }

    /** Rank of quantile q among n values: HdrHistogram's, a ulp below q so that q * n = k gives k. */
    static long rank(double q, long n) {
        long r = (long) Math.ceil(Math.nextDown(q) * n);
        return Math.min(n, Math.max(1, r));
    }

    /** Reads and checks the log2 buckets; returns how many values they hold below 0. */
    private long readLog2(Aggregate message) throws InvalidAggregateException {
        List<Long> counts = message.getLog2CountsList();
        int first = message.getLog2FirstBucket();
        int expectedFirst = Log2Buckets.indexOf(min);
        int expectedLast = Log2Buckets.indexOf(max);
        if (first != expectedFirst || counts.size() != expectedLast - expectedFirst + 1) {
            throw new InvalidAggregateException("log2 buckets " + first + ".." + (first + counts.size() - 1)
                    + " do not span the buckets of min and max, " + expectedFirst + ".." + expectedLast);
        }
        long total = 0;
        long negatives = 0;
        for (int i = 0; i < counts.size(); i++) {
            long c = counts.get(i);
            int index = first + i;
            if (c < 0) {
                throw new InvalidAggregateException(
                        "log2 bucket " + index + " count " + Long.toUnsignedString(c) + " is too large");
            }
            if (c == 0 && (index == expectedFirst || index == expectedLast)) {
                throw new InvalidAggregateException("log2 bucket " + index + " of min or max is empty");
            }
            log2[Log2Buckets.stapSlot(index)] = c;
            total = addCounts(total, c, "log2 counts");
            if (index < 0) {
                negatives += c;
            }
        }
        if (total != count) {
            throw new InvalidAggregateException("log2 counts add up to " + total + ", count is " + count);
        }
        return negatives;
    }

    private static PackedHistogram readSketch(String part, boolean present, HdrBuckets buckets, long expected)
            throws InvalidAggregateException {
        if (expected == 0) {
            if (present) {
                throw new InvalidAggregateException("quantile sketch has " + part + " buckets but no "
                        + part + " value was recorded");
            }
            return null;
        }
        int n = buckets.getCountsCount();
        if (n == 0 || buckets.getLowestValueDeltasCount() != n) {
            throw new InvalidAggregateException("quantile sketch " + part + " part has "
                    + buckets.getLowestValueDeltasCount() + " values and " + n + " counts, "
                    + expected + " recorded");
        }
        PackedHistogram h = newSketch();
        long value = 0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            long delta = buckets.getLowestValueDeltas(i);
            if (delta < 0 || (i > 0 && delta == 0) || value + delta < value) {
                throw new InvalidAggregateException("quantile sketch " + part + " bucket " + i + ": value delta "
                        + Long.toUnsignedString(delta) + " after " + value + " is out of order or range");
            }
            value += delta;
            if (h.lowestEquivalentValue(value) != value) {
                throw new InvalidAggregateException("quantile sketch " + part + " bucket " + i + ": " + value
                        + " is not where a bucket starts");
            }
            long c = buckets.getCounts(i);
            if (c <= 0) {
                throw new InvalidAggregateException("quantile sketch " + part + " bucket " + i + ": count "
                        + Long.toUnsignedString(c) + " is not positive or too large");
            }
            total = addCounts(total, c, "quantile sketch " + part + " counts");
            h.recordValueWithCount(value, c);
        }
        if (total != expected) {
            throw new InvalidAggregateException("quantile sketch " + part + " counts add up to " + total
                    + ", the log2 buckets hold " + expected);
        }
        return h;
    }

    private static long addCounts(long total, long c, String what) throws InvalidAggregateException {
        long t = total + c;
        if (t < 0) {
            throw new InvalidAggregateException(what + " add up to more than " + Long.MAX_VALUE);
        }
        return t;
    }

    private static HdrBuckets buckets(PackedHistogram h) {
        HdrBuckets.Builder b = HdrBuckets.newBuilder();
        long previous = 0;
        for (HistogramIterationValue v : h.recordedValues()) {
            long lowest = h.lowestEquivalentValue(v.getValueIteratedTo());
            b.addLowestValueDeltas(lowest - previous).addCounts(v.getCountAtValueIteratedTo());
            previous = lowest;
        }
        return b.build();
    }

    /** The largest value of the sketch bucket that holds the value of the given 1-based rank. */
    private static long valueAtRank(AbstractHistogram h, long rank) {
        long seen = 0;
        for (HistogramIterationValue v : h.recordedValues()) {
            seen += v.getCountAtValueIteratedTo();
            if (seen >= rank) {
                return v.getValueIteratedTo();
            }
        }
        throw new IllegalStateException("quantile sketch holds " + seen + " values, rank " + rank + " asked");
    }

    private static PackedHistogram mergeSketch(PackedHistogram into, PackedHistogram from) {
        if (from == null) {
            return into;
        }
        if (into == null) {
            return from.copy();
        }
        into.add(from);
        return into;
    }

    private static PackedHistogram newSketch() {
        return new PackedHistogram(SIGNIFICANT_VALUE_DIGITS);
    }

    private void requireValues() {
        if (count == 0) {
            throw new IllegalStateException(EMPTY);
        }
    }
}
