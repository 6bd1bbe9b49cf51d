package org.fleettap.aggregate;

/**
 * The figures of a non-empty aggregate, as a query prints them.
 *
 * @param count values recorded
 * @param sum their sum, wrapping in 64 bits
 * @param min smallest value
 * @param max largest value
 * @param avg {@code sum / count} truncated toward zero (stap's {@code @avg})
 * @param p50 median, from the quantile sketch
 * @param p90 90th percentile, from the quantile sketch
 * @param p99 99th percentile, from the quantile sketch
 * @see MergeableAggregate#quantile(double)
 */
public record Summary(long count, long sum, long min, long max, long avg, long p50, long p90, long p99) {}
