package org.fleettap.aggregate;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;

/**
 * The oracle for quantiles: the nearest-rank quantile of the raw values, the value of rank
 * {@code max(1, ceil(q * n))} in ascending order (the rank HdrHistogram's getValueAtPercentile
 * looks up), with q taken as the decimal it is written as and the product computed exactly.
 */
final class ExactQuantile {
    private final long[] sorted;

    ExactQuantile(long[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        this.sorted = values.clone();
        Arrays.sort(sorted);
    }

    long at(BigDecimal q) {
        long rank = q.multiply(BigDecimal.valueOf(sorted.length)).setScale(0, RoundingMode.CEILING).longValueExact();
        return sorted[(int) Math.max(1, rank) - 1];
    }
}
