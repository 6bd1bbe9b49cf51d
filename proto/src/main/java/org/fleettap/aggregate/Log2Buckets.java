package org.fleettap.aggregate;

/**
 * The buckets of stap's {@code @hist_log}, numbered by a signed index so that the bucket of a value
 * reads as its bit length:
 *
 * <ul>
 *   <li>index 0 holds 0;
 *   <li>index {@code k} in 1..63 holds the positive values with {@code floor(log2(v)) = k - 1}, that
 *       is {@code [2^(k-1), 2^k)}: 1 is in bucket 1, 2 and 3 in bucket 2, 4..7 in bucket 3, and
 *       {@code Long.MAX_VALUE} in bucket 63;
 *   <li>index {@code -k} in -63..-1 mirrors bucket {@code k}: it holds {@code (-2^k, -2^(k-1)]}, so
 *       -1 is in bucket -1 and -2, -3 are in bucket -2;
 *   <li>index -64 holds {@code Long.MIN_VALUE} alone (its magnitude, 2^63, has bit length 64).
 * </ul>
 *
 * <p>This is the layout of SystemTap's runtime ({@code _stp_val_to_bucket} in
 * runtime/stat-common.c: {@code HIST_LOG_BUCKETS} = 128 buckets, value 0 in array slot
 * {@code HIST_LOG_BUCKET0} = 64), shifted so that 0 is index 0: the runtime's slot is
 * {@link #stapSlot(int) index + 64}. stap labels each histogram row with the bucket's value of
 * smallest magnitude ({@code _stp_bucket_to_val}), which is {@link #label(int)}.
 */
public final class Log2Buckets {
    /** The bucket of {@code Long.MIN_VALUE}. */
    public static final int MIN_INDEX = -64;
    /** The bucket of {@code [2^62, Long.MAX_VALUE]}. */
    public static final int MAX_INDEX = 63;
    /** Number of buckets, {@code MAX_INDEX - MIN_INDEX + 1}: stap's {@code HIST_LOG_BUCKETS}. */
    public static final int COUNT = MAX_INDEX - MIN_INDEX + 1;

    private Log2Buckets() {}

    /** The bucket that counts {@code value}: its bit length, negated for negative values. */
    public static int indexOf(long value) {
        if (value >= 0) {
            return Long.SIZE - Long.numberOfLeadingZeros(value);
        }
        // -Long.MIN_VALUE stays Long.MIN_VALUE, whose 64 bits land it in bucket -64.
        return -(Long.SIZE - Long.numberOfLeadingZeros(-value));
    }

    /**
     * The label stap prints for a bucket: 0, {@code 2^(index-1)} for a positive index, and
     * {@code -2^(-index-1)} for a negative one ({@code Long.MIN_VALUE} for index -64).
     *
     * @throws IllegalArgumentException if {@code index} is outside {@link #MIN_INDEX}..{@link #MAX_INDEX}
     */
    public static long label(int index) {
        checkIndex(index);
        if (index == 0) {
            return 0;
        }
        if (index > 0) {
            return 1L << (index - 1);
        }
        return -(1L << (-index - 1)); // index -64: -(1L << 63) == Long.MIN_VALUE
    }

    /**
     * The slot of a bucket in the runtime's 128-entry histogram array, where 0 is slot 64.
     *
     * @throws IllegalArgumentException if {@code index} is outside {@link #MIN_INDEX}..{@link #MAX_INDEX}
     */
    public static int stapSlot(int index) {
        checkIndex(index);
        return index - MIN_INDEX;
    }

    static void checkIndex(int index) {
        if (index < MIN_INDEX || index > MAX_INDEX) {
            throw new IllegalArgumentException(
                    "log2 bucket " + index + " is outside " + MIN_INDEX + ".." + MAX_INDEX);
        }
    }
}
