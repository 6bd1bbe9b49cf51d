/**
 * The mergeable aggregate shared by agent, collector and CLI: {@link
 * org.fleettap.aggregate.MergeableAggregate} (count, sum, min, max, {@code @hist_log} buckets and a
 * quantile sketch, merged associatively and commutatively), the {@code @hist_log} bucket layout
 * {@link org.fleettap.aggregate.Log2Buckets}, and the conversion to and from the wire message
 * {@code fleettap.v1.Aggregate}.
 */
package org.fleettap.aggregate;
