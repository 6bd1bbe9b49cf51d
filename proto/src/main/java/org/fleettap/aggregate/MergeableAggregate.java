package org.fleettap.aggregate;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Arrays;
import java.util.Objects;
import org.fleettap.proto.v1.Aggregate;
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
 * not allocate (the sketch allocates only when it grows by a bucket). It is not thread-safe:
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
 * The sketch counts values in the buckets of an HdrHistogram with {@value #SIGNIFICANT_VALUE_DIGITS}
 * significant value digits (256 sub-buckets per power of two, so a bucket is at most 1/128 of its
 * values wide and values below 256 are exact), one sketch for the values {@code >= 0} and one for
 * the magnitudes of the negative values (HdrHistogram's buckets take no negative values;
 * {@code Long.MIN_VALUE} counts as magnitude {@code 2^63 - 1}). Only buckets in use take memory (16
 * bytes each); see {@link HdrSketch} for why HdrHistogram's own histogram classes do not hold the
 * counts. {@link #quantile(double) quantile(q)} is the nearest-rank quantile of HdrHistogram's
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
    private static final long[] NO_COUNTS = new long[0];
    /** Slots allocated beyond the one needed when the range of log2 counts grows while recording. */
    private static final int LOG2_SLACK = 2;

    private long count;
    private long sum;
    /** Long.MAX_VALUE while empty: the identity of min, so merging needs no special case. */
    private long min = Long.MAX_VALUE;
    /** Long.MIN_VALUE while empty: the identity of max. */
    private long max = Long.MIN_VALUE;
    /**
     * Counts per log2 bucket of the slots (by {@link Log2Buckets#stapSlot}) {@code log2Base} to
     * {@code log2Base + log2.length - 1}; the other slots hold 0. Only the range in use is
     * allocated: most aggregates span a few buckets, and the collector decodes and merges hundreds
     * of thousands of them a second.
     */
    private long[] log2 = NO_COUNTS;
    private int log2Base;
    /** Values >= 0. */
    private final HdrSketch nonNegative;
    /** Magnitudes of values < 0. */
    private final HdrSketch negativeMagnitudes;

    /** An empty aggregate. */
    public MergeableAggregate() {
        this(new HdrSketch(), new HdrSketch());
    }

    private MergeableAggregate(HdrSketch nonNegative, HdrSketch negativeMagnitudes) {
        this.nonNegative = nonNegative;
        this.negativeMagnitudes = negativeMagnitudes;
    }

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
        int slot = Log2Buckets.indexOf(value) - Log2Buckets.MIN_INDEX;
        if (slot < log2Base || slot >= log2Base + log2.length) {
            growLog2(Math.max(0, slot - LOG2_SLACK), Math.min(Log2Buckets.COUNT - 1, slot + LOG2_SLACK));
        }
        log2[slot - log2Base]++;
        if (value >= 0) {
            nonNegative.record(value);
        } else {
            negativeMagnitudes.record(value == Long.MIN_VALUE ? Long.MAX_VALUE : -value);
        }
    }

    /**
     * Adds everything {@code other} recorded to this aggregate. {@code other} is left as it was;
     * merging an aggregate into itself doubles it.
     */
    public void merge(MergeableAggregate other) {
        Objects.requireNonNull(other, "other");
        MergeableAggregate source = other == this ? copy() : other;
        if (source.count == 0) {
            return;
        }
        // The source's counts lie in the buckets of its min to its max.
        int first = slotOf(source.min);
        int last = slotOf(source.max);
        if (first < log2Base || last >= log2Base + log2.length) {
            growLog2(first, last);
        }
        for (int slot = first; slot <= last; slot++) {
            log2[slot - log2Base] += source.log2Count(slot);
        }
        count += source.count;
        sum += source.sum;
        min = Math.min(min, source.min);
        max = Math.max(max, source.max);
        nonNegative.add(source.nonNegative);
        negativeMagnitudes.add(source.negativeMagnitudes);
    }

    /** An independent aggregate equal to this one. */
    public MergeableAggregate copy() {
        MergeableAggregate c = new MergeableAggregate(nonNegative.copy(), negativeMagnitudes.copy());
        c.count = count;
        c.sum = sum;
        c.min = min;
        c.max = max;
        c.log2 = log2.length == 0 ? NO_COUNTS : log2.clone();
        c.log2Base = log2Base;
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
        return log2Count(Log2Buckets.stapSlot(index));
    }

    private long log2Count(int slot) {
        int i = slot - log2Base;
        return i >= 0 && i < log2.length ? log2[i] : 0;
    }

    private static int slotOf(long value) {
        return Log2Buckets.indexOf(value) - Log2Buckets.MIN_INDEX;
    }

    /** Makes the allocated range of log2 counts cover the slots {@code first} to {@code last} too. */
    private void growLog2(int first, int last) {
        int base = log2.length == 0 ? first : Math.min(first, log2Base);
        int end = log2.length == 0 ? last + 1 : Math.max(last + 1, log2Base + log2.length);
        long[] grown = new long[end - base];
        if (log2.length > 0) {
            System.arraycopy(log2, 0, grown, log2Base - base, log2.length);
        }
        log2 = grown;
        log2Base = base;
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
        long negatives = negativeMagnitudes.total();
        long estimate;
        if (rank <= negatives) {
            // Ascending values run through the negative magnitudes in descending order.
            estimate = -negativeMagnitudes.lowestAtRank(negatives - rank + 1);
        } else {
            estimate = nonNegative.highestAtRank(rank - negatives);
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
            b.addLog2Counts(log2Count(slot));
        }
        QuantileSketch.Builder sketch = QuantileSketch.newBuilder()
                .setSignificantValueDigits(SIGNIFICANT_VALUE_DIGITS);
        if (nonNegative.total() > 0) {
            sketch.setNonNegative(nonNegative.toProto());
        }
        if (negativeMagnitudes.total() > 0) {
            sketch.setNegativeMagnitudes(negativeMagnitudes.toProto());
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
        byte[] bytes = message.toByteArray();
        try {
            return parse(bytes, 0, bytes.length);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a serialized Aggregate does not parse: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a serialized {@code fleettap.v1.Aggregate} ({@code bytes[offset, offset + length)})
     * straight into an aggregate, with the checks of {@link #fromProto}, and without building the
     * message: the collector reads hundreds of thousands of these a second.
     *
     * @throws InvalidProtocolBufferException if the bytes are not a protobuf message
     * @throws InvalidAggregateException if its parts do not agree, as {@link #fromProto}
     */
    public static MergeableAggregate parse(byte[] bytes, int offset, int length)
            throws InvalidProtocolBufferException, InvalidAggregateException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        AggregateWire m = AggregateWire.read(bytes, offset, length);
        if (m.count == 0) {
            if (m.sum != 0 || m.hasMin || m.hasMax || m.log2Counts.size != 0 || m.log2First != 0 || m.hasQuantiles) {
                throw new InvalidAggregateException("empty aggregate (count 0) carries values");
            }
            return new MergeableAggregate();
        }
        if (m.count < 0) {
            throw new InvalidAggregateException("count " + Long.toUnsignedString(m.count) + " is too large");
        }
        if (!m.hasMin || !m.hasMax) {
            throw new InvalidAggregateException("count is " + m.count + " but min or max is missing");
        }
        if (m.min > m.max) {
            throw new InvalidAggregateException("min " + m.min + " is above max " + m.max);
        }
        long negatives = checkLog2(m);
        if (!m.hasQuantiles) {
            throw new InvalidAggregateException("count is " + m.count + " but the quantile sketch is missing");
        }
        if (m.digits != SIGNIFICANT_VALUE_DIGITS) {
            throw new InvalidAggregateException("quantile sketch has " + m.digits
                    + " significant value digits; this reader uses " + SIGNIFICANT_VALUE_DIGITS);
        }
        MergeableAggregate a = new MergeableAggregate(
                HdrSketch.fromWire("non-negative", m.nonNegative, m.count - negatives),
                HdrSketch.fromWire("negative", m.negative, negatives));
        a.count = m.count;
        a.sum = m.sum;
        a.min = m.min;
        a.max = m.max;
        a.log2 = m.log2Counts.size == m.log2Counts.values.length
                ? m.log2Counts.values : Arrays.copyOf(m.log2Counts.values, m.log2Counts.size);
        a.log2Base = Log2Buckets.stapSlot(m.log2First);
        return a;
    }

    /** True if {@code o} is an aggregate of the same count, sum, min, max, buckets and sketches. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MergeableAggregate a
                && count == a.count && sum == a.sum && min == a.min && max == a.max
                && log2Equals(a)
                && nonNegative.equals(a.nonNegative)
                && negativeMagnitudes.equals(a.negativeMagnitudes);
    }

    /** With equal min and max: equal log2 counts (all in the buckets of min to max). */
    private boolean log2Equals(MergeableAggregate a) {
        if (count == 0) {
            return true;
        }
        for (int slot = slotOf(min); slot <= slotOf(max); slot++) {
            if (log2Count(slot) != a.log2Count(slot)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(count, sum, min, max);
        if (count > 0) {
            for (int slot = slotOf(min); slot <= slotOf(max); slot++) {
                h = 31 * h + Long.hashCode(log2Count(slot));
            }
        }
        return h;
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

    /** Checks the log2 buckets against count, min and max; returns how many values they hold below 0. */
    private static long checkLog2(AggregateWire m) throws InvalidAggregateException {
        int n = m.log2Counts.size;
        int first = m.log2First;
        int expectedFirst = Log2Buckets.indexOf(m.min);
        int expectedLast = Log2Buckets.indexOf(m.max);
        if (first != expectedFirst || n != expectedLast - expectedFirst + 1) {
            throw new InvalidAggregateException("log2 buckets " + first + ".." + (first + n - 1)
                    + " do not span the buckets of min and max, " + expectedFirst + ".." + expectedLast);
        }
        long total = 0;
        long negatives = 0;
        for (int i = 0; i < n; i++) {
            long c = m.log2Counts.values[i];
            int index = first + i;
            if (c < 0) {
                throw new InvalidAggregateException(
                        "log2 bucket " + index + " count " + Long.toUnsignedString(c) + " is too large");
            }
            if (c == 0 && (index == expectedFirst || index == expectedLast)) {
                throw new InvalidAggregateException("log2 bucket " + index + " of min or max is empty");
            }
            total = addCounts(total, c, "log2 counts");
            if (index < 0) {
                negatives += c;
            }
        }
        if (total != m.count) {
            throw new InvalidAggregateException("log2 counts add up to " + total + ", count is " + m.count);
        }
        return negatives;
    }

    private static long addCounts(long total, long c, String what) throws InvalidAggregateException {
        long t = total + c;
        if (t < 0) {
            throw new InvalidAggregateException(what + " add up to more than " + Long.MAX_VALUE);
        }
        return t;
    }

    private void requireValues() {
        if (count == 0) {
            throw new IllegalStateException(EMPTY);
        }
    }
}
