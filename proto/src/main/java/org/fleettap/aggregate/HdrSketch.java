package org.fleettap.aggregate;

import java.util.Arrays;
import org.HdrHistogram.Histogram;
import org.fleettap.proto.v1.HdrBuckets;

/**
 * Counts of non-negative values in the buckets of an HdrHistogram (lowest discernible value 1,
 * {@value MergeableAggregate#SIGNIFICANT_VALUE_DIGITS} significant digits), kept sparse: only the
 * buckets in use, as sorted parallel arrays of each bucket's lowest value and its count.
 *
 * <p>HdrHistogram itself decides the buckets ({@link Histogram#lowestEquivalentValue} and {@link
 * Histogram#highestEquivalentValue}, which depend only on the precision). Its own histogram classes
 * are not used to hold the counts: they cover every bucket from 0 to the largest value, and
 * encoding, decoding or adding one then walks thousands of buckets (tens of microseconds even for
 * an aggregate of 20 values, measured), while the collector merges and decodes hundreds of
 * thousands of small per-window aggregates a second. Adding two sketches here is a merge of two
 * sorted lists; the counts per bucket are the same as HdrHistogram's, so quantiles are too.
 *
 * <p>Mutable, not thread-safe; owned by its {@link MergeableAggregate}.
 */
final class HdrSketch {
    /** Used only for its bucket arithmetic, which reads fields fixed at construction. */
    private static final Histogram LAYOUT = new Histogram(MergeableAggregate.SIGNIFICANT_VALUE_DIGITS);
    private static final long[] NONE = new long[0];

    /** Lowest value of each bucket in use, ascending. */
    private long[] lows = NONE;
    /** Count of each bucket in use, all positive. */
    private long[] counts = NONE;
    private int size;
    private long total;

    /** The lowest value of the bucket that holds {@code value} (>= 0). */
    static long lowestEquivalent(long value) {
        return LAYOUT.lowestEquivalentValue(value);
    }

    /** The highest value of the bucket that holds {@code value} (>= 0). */
    static long highestEquivalent(long value) {
        return LAYOUT.highestEquivalentValue(value);
    }

    /** Adds one value, which must be >= 0. */
    void record(long value) {
        long low = lowestEquivalent(value);
        int i = Arrays.binarySearch(lows, 0, size, low);
        if (i >= 0) {
            counts[i]++;
        } else {
            insert(-i - 1, low, 1);
        }
        total++;
    }

    /**
     * Adds every count of {@code other} (left unchanged, and not this sketch). Allocates only when
     * {@code other} has buckets this sketch lacks and they do not fit in its spare capacity.
     */
    void add(HdrSketch other) {
        if (other.size == 0) {
            return;
        }
        if (other.size <= size / 16 && addToPresent(other)) {
            return;
        }
        int missing = 0;
        for (int i = 0, j = 0; j < other.size; ) {
            if (i == size || other.lows[j] < lows[i]) {
                missing++;
                j++;
            } else if (lows[i] < other.lows[j]) {
                i++;
            } else {
                i++;
                j++;
            }
        }
        int merged = size + missing;
        if (merged > lows.length) {
            lows = Arrays.copyOf(lows, Math.max(merged, size * 2));
            counts = Arrays.copyOf(counts, lows.length);
        }
        // Merge from the back, so that no bucket is overwritten before it is moved.
        int i = size - 1;
        int j = other.size - 1;
        for (int n = merged - 1; j >= 0; n--) {
            if (i >= 0 && lows[i] > other.lows[j]) {
                lows[n] = lows[i];
                counts[n] = counts[i--];
            } else if (i >= 0 && lows[i] == other.lows[j]) {
                lows[n] = lows[i];
                counts[n] = counts[i--] + other.counts[j--];
            } else {
                lows[n] = other.lows[j];
                counts[n] = other.counts[j--];
            }
        }
        size = merged;
        total += other.total;
    }

    /**
     * Few buckets into many (a window into a running total): if this sketch has every bucket of
     * {@code other}, adds its counts, found by binary search, and returns true; otherwise changes
     * nothing and returns false (inserting the missing ones one by one would shift the arrays once
     * per bucket; the merge in {@link #add} moves each bucket once).
     */
    private boolean addToPresent(HdrSketch other) {
        int[] at = new int[other.size];
        for (int j = 0; j < other.size; j++) {
            int i = Arrays.binarySearch(lows, 0, size, other.lows[j]);
            if (i < 0) {
                return false;
            }
            at[j] = i;
        }
        for (int j = 0; j < other.size; j++) {
            counts[at[j]] += other.counts[j];
        }
        total += other.total;
        return true;
    }

    HdrSketch copy() {
        HdrSketch c = new HdrSketch();
        c.add(this);
        return c;
    }

    long total() {
        return total;
    }

    /** The lowest value of the bucket holding the value of 1-based {@code rank} in ascending order. */
    long lowestAtRank(long rank) {
        long seen = 0;
        for (int i = 0; i < size; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return lows[i];
            }
        }
        throw new IllegalStateException("quantile sketch holds " + total + " values, rank " + rank + " asked");
    }

    /** The highest value of the bucket holding the value of 1-based {@code rank} in ascending order. */
    long highestAtRank(long rank) {
        return highestEquivalent(lowestAtRank(rank));
    }

    /** The buckets in use as the wire message: lowest values as deltas, ascending. */
    HdrBuckets toProto() {
        HdrBuckets.Builder b = HdrBuckets.newBuilder();
        long previous = 0;
        for (int i = 0; i < size; i++) {
            b.addLowestValueDeltas(lows[i] - previous).addCounts(counts[i]);
            previous = lows[i];
        }
        return b.build();
    }

    /**
     * Reads the buckets of one part of a wire sketch, which must hold {@code expected} values.
     *
     * @param part "non-negative" or "negative", for messages
     */
    static HdrSketch fromWire(String part, AggregateWire.Buckets buckets, long expected)
            throws InvalidAggregateException {
        HdrSketch s = new HdrSketch();
        if (expected == 0) {
            if (buckets.present) {
                throw new InvalidAggregateException("quantile sketch has " + part + " buckets but no "
                        + part + " value was recorded");
            }
            return s;
        }
        int n = buckets.counts.size;
        if (n == 0 || buckets.deltas.size != n) {
            throw new InvalidAggregateException("quantile sketch " + part + " part has "
                    + buckets.deltas.size + " values and " + n + " counts, " + expected + " recorded");
        }
        // The lists are this sketch's own: the deltas become the lowest values in place.
        long[] lows = buckets.deltas.values;
        long[] counts = buckets.counts.values;
        long value = 0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            long delta = lows[i];
            if (delta < 0 || (i > 0 && delta == 0) || value + delta < value) {
                throw new InvalidAggregateException("quantile sketch " + part + " bucket " + i + ": value delta "
                        + Long.toUnsignedString(delta) + " after " + value + " is out of order or range");
            }
            value += delta;
            if (lowestEquivalent(value) != value) {
                throw new InvalidAggregateException("quantile sketch " + part + " bucket " + i + ": " + value
                        + " is not where a bucket starts");
            }
            long c = counts[i];
            if (c <= 0) {
                throw new InvalidAggregateException("quantile sketch " + part + " bucket " + i + ": count "
                        + Long.toUnsignedString(c) + " is not positive or too large");
            }
            if (total + c < 0) {
                throw new InvalidAggregateException(
                        "quantile sketch " + part + " counts add up to more than " + Long.MAX_VALUE);
            }
            lows[i] = value;
            total += c;
        }
        if (total != expected) {
            throw new InvalidAggregateException("quantile sketch " + part + " counts add up to " + total
                    + ", the log2 buckets hold " + expected);
        }
        s.lows = lows;
        s.counts = counts.length == lows.length ? counts : Arrays.copyOf(counts, lows.length);
        s.size = n;
        s.total = total;
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HdrSketch s
                && total == s.total
                && Arrays.equals(lows, 0, size, s.lows, 0, s.size)
                && Arrays.equals(counts, 0, size, s.counts, 0, s.size);
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(total);
        for (int i = 0; i < size; i++) {
            h = 31 * (31 * h + Long.hashCode(lows[i])) + Long.hashCode(counts[i]);
        }
        return h;
    }

    private void insert(int at, long low, long count) {
        if (size == lows.length) {
            int capacity = Math.max(8, size * 2);
            lows = Arrays.copyOf(lows, capacity);
            counts = Arrays.copyOf(counts, capacity);
        }
        System.arraycopy(lows, at, lows, at + 1, size - at);
        System.arraycopy(counts, at, counts, at + 1, size - at);
        lows[at] = low;
        counts[at] = count;
        size++;
    }
}
