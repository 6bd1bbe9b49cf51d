package org.fleettap.collector.store;

import java.util.Objects;
import java.util.Set;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.Metric;

/**
 * A statistic of a session merged over the windows that start in {@code [from, to)}.
 *
 * <p>Windows are stored at 1 s granularity (a window counts by the second it starts in), so a bound
 * inside a second excludes that second's window from the start and includes it at the end only if
 * the bound is past its start. Use {@link Long#MIN_VALUE} and {@link Long#MAX_VALUE} for an open
 * range (the wire's {@code 0} means "since the session started" and "up to now": the query service
 * maps it).
 *
 * @param session the session id
 * @param name the statistic (AggregateDelta.name)
 * @param fromUnixNanos inclusive start of the range
 * @param toUnixNanos exclusive end, after {@code fromUnixNanos}
 * @param hosts only these hosts; empty for all
 * @param groupBy how rows are formed (UNSPECIFIED is KEY, as on the wire)
 * @param orderBy the figure top-N orders by (UNSPECIFIED is COUNT)
 * @param topN with {@code topN > 0}, only the {@code topN} rows with the largest {@code orderBy}
 *     figure (ties: by host id, then key); with 0, all rows ordered by host id, then key
 */
public record AggregateQuery(String session, String name, long fromUnixNanos, long toUnixNanos, Set<String> hosts,
        GroupBy groupBy, Metric orderBy, int topN) {
    public AggregateQuery {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(name, "name");
        hosts = Set.copyOf(Objects.requireNonNull(hosts, "hosts"));
        Objects.requireNonNull(groupBy, "groupBy");
        Objects.requireNonNull(orderBy, "orderBy");
        if (fromUnixNanos >= toUnixNanos) {
            throw new IllegalArgumentException("empty range: from " + fromUnixNanos + " is not before to " + toUnixNanos);
        }
        if (groupBy == GroupBy.UNRECOGNIZED) {
            throw new IllegalArgumentException("unknown group-by");
        }
        if (orderBy == Metric.UNRECOGNIZED) {
            throw new IllegalArgumentException("unknown order-by metric");
        }
        if (topN < 0) {
            throw new IllegalArgumentException("negative top-N " + topN);
        }
    }

    /** All hosts and keys of a statistic over all time, one row per key, ordered by host and key. */
    public static AggregateQuery of(String session, String name) {
        return new AggregateQuery(session, name, Long.MIN_VALUE, Long.MAX_VALUE, Set.of(), GroupBy.GROUP_BY_KEY,
                Metric.METRIC_COUNT, 0);
    }

    public AggregateQuery withRange(long from, long to) {
        return new AggregateQuery(session, name, from, to, hosts, groupBy, orderBy, topN);
    }

    public AggregateQuery withHosts(Set<String> h) {
        return new AggregateQuery(session, name, fromUnixNanos, toUnixNanos, h, groupBy, orderBy, topN);
    }

    public AggregateQuery withGroupBy(GroupBy g) {
        return new AggregateQuery(session, name, fromUnixNanos, toUnixNanos, hosts, g, orderBy, topN);
    }

    public AggregateQuery withTop(int n, Metric by) {
        return new AggregateQuery(session, name, fromUnixNanos, toUnixNanos, hosts, groupBy, by, n);
    }

    boolean byHost() {
        return groupBy == GroupBy.GROUP_BY_HOST || groupBy == GroupBy.GROUP_BY_HOST_AND_KEY;
    }

    boolean byKey() {
        return groupBy == GroupBy.GROUP_BY_KEY || groupBy == GroupBy.GROUP_BY_HOST_AND_KEY
                || groupBy == GroupBy.GROUP_BY_UNSPECIFIED;
    }
}
