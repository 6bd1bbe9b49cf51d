package org.fleettap.collector.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.aggregate.Summary;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.Metric;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;

/**
 * The read path of aggregate queries: a skip scan over one statistic's series.
 *
 * <p>For each series (key, host) under the statistic's prefix that the host filter lets through,
 * it seeks to each segment of the {@link RangePlan} (unless the iterator is already there) and
 * merges the windows there into the series' group; then it seeks past the series unless the
 * iterator already left it (as it does when the last segment reaches the series' last windows, the
 * hour windows of an hour-aligned range). So it reads the windows of the range and about one seek
 * per segment and series, never the statistic's other windows. Everything is read from one snapshot, so a query
 * that runs during ingest sees each batch wholly or not at all; the rollup windows' deltas that
 * ingest has not yet written ({@link PendingRollups}) are merged in as the snapshot is taken, under
 * the store's write lock. Safe to call from any thread.
 */
final class AggregateQueries {
    private final RocksDB db;
    private final ColumnFamilyHandle aggregates;
    private final ColumnFamilyHandle rollups;
    private final boolean rollup;
    /** The store's write lock: held, nothing is written, and the pending rollups match the database. */
    private final Object writeLock;
    private final Ingest ingest;

    AggregateQueries(RocksDB db, ColumnFamilyHandle aggregates, ColumnFamilyHandle rollups, boolean rollup,
            Object writeLock, Ingest ingest) {
        this.db = db;
        this.aggregates = aggregates;
        this.rollups = rollups;
        this.rollup = rollup;
        this.writeLock = writeLock;
        this.ingest = ingest;
    }

    /** A group's identity (encoded host and key, empty when not grouped by them) and what it merged. */
    private static final class Group {
        final byte[] host;
        final byte[] key;
        final String hostId;
        final List<KeyPart> keyParts;
        final MergeableAggregate aggregate = new MergeableAggregate();
        Summary summary;

        Group(byte[] host, byte[] key, String hostId, List<KeyPart> keyParts) {
            this.host = host;
            this.key = key;
            this.hostId = hostId;
            this.keyParts = keyParts;
        }
    }

    private static final Comparator<Group> BY_HOST_THEN_KEY = (a, b) -> {
        int c = Arrays.compareUnsigned(a.host, b.host);
        return c != 0 ? c : Arrays.compareUnsigned(a.key, b.key);
    };

    AggregateResult run(AggregateQuery q) {
        List<RangePlan.Segment> segments = RangePlan.segments(q.fromUnixNanos(), q.toUnixNanos(), rollup);
        // 1 s segments are read series by series, in key order (start), so the iterator only moves forward.
        List<RangePlan.Segment> seconds = new ArrayList<>();
        List<RangePlan.Segment> rollupSegments = new ArrayList<>();
        for (RangePlan.Segment s : segments) {
            (s.resolution() == Resolution.SECOND ? seconds : rollupSegments).add(s);
        }
        seconds.sort(Comparator.comparingLong(RangePlan.Segment::from));
        byte[] statistic = AggregateKeys.statistic(q.session(), q.name());
        List<byte[]> hostFilter = q.hosts().stream().map(h -> new OrderedKey.Writer().putString(h).toBytes())
                .sorted(Arrays::compareUnsigned).toList();
        Map<ByteKey, Group> groups = new HashMap<>();
        Snapshot snapshot;
        synchronized (writeLock) {
            snapshot = db.getSnapshot();
            try {
                if (!rollupSegments.isEmpty()) {
                    mergePending(q, rollupSegments, statistic, hostFilter, groups);
                }
            } catch (RuntimeException e) {
                db.releaseSnapshot(snapshot);
                throw e;
            }
        }
        try {
            for (RangePlan.Segment s : rollupSegments) {
                readRollups(q, s, statistic, hostFilter, groups, snapshot);
            }
            if (!seconds.isEmpty()) {
                readSeconds(q, seconds, statistic, hostFilter, groups, snapshot);
            }
        } finally {
            db.releaseSnapshot(snapshot);
        }
        return rows(q, groups);
    }

    /** Merges the rollup windows of one segment: one range of the {@code rollups} family. */
    private void readRollups(AggregateQuery q, RangePlan.Segment s, byte[] statistic, List<byte[]> hostFilter,
            Map<ByteKey, Group> groups, Snapshot snapshot) {
        try (Slice upper = new Slice(RollupKeys.from(statistic, s.resolution(), s.to()));
                ReadOptions ro = new ReadOptions().setSnapshot(snapshot).setIterateUpperBound(upper);
                RocksIterator it = db.newIterator(rollups, ro)) {
            for (it.seek(RollupKeys.from(statistic, s.resolution(), s.from())); it.isValid(); it.next()) {
                byte[] k = it.key();
                RollupKeys.Parsed p = RollupKeys.parse(k, statistic.length);
                byte[] host = Arrays.copyOfRange(k, p.hostStart(), k.length);
                if (!hostFilter.isEmpty() && !contains(hostFilter, host)) {
                    continue;
                }
                group(groups, q, k, p.keyStart(), p.hostStart(), host).aggregate
                        .merge(StoredAggregates.readRollup(k, it.value()));
            }
            checkIterator(it, q);
        }
    }

    /** Merges the 1 s windows of the segments: a skip scan over the statistic's series. */
    private void readSeconds(AggregateQuery q, List<RangePlan.Segment> segments, byte[] statistic,
            List<byte[]> hostFilter, Map<ByteKey, Group> groups, Snapshot snapshot) {
        try (Slice upper = new Slice(OrderedKey.prefixEnd(statistic));
                ReadOptions ro = new ReadOptions().setSnapshot(snapshot).setIterateUpperBound(upper);
                RocksIterator it = db.newIterator(aggregates, ro)) {
            it.seek(statistic);
            while (it.isValid()) {
                byte[] k = it.key();
                AggregateKeys.Parsed p = AggregateKeys.parse(k, statistic.length);
                byte[] host = Arrays.copyOfRange(k, p.hostStart(), p.seriesEnd());
                if (!hostFilter.isEmpty() && !contains(hostFilter, host)) {
                    byte[] next = nextHost(hostFilter, host);
                    byte[] tuple = Arrays.copyOf(k, p.hostStart());
                    it.seek(next == null ? OrderedKey.prefixEnd(tuple) : concat(tuple, next));
                    continue;
                }
                byte[] series = Arrays.copyOf(k, p.seriesEnd());
                Group g = group(groups, q, k, p.keyStart(), p.hostStart(), host);
                byte[] at = AggregateKeys.seriesAt(series, Resolution.SECOND);
                for (RangePlan.Segment s : segments) {
                    byte[] from = AggregateKeys.window(series, Resolution.SECOND, s.from());
                    // The iterator is at the first key after what was read: if that is at or past
                    // `from`, nothing lies between, and seeking would land where it is.
                    if (!it.isValid() || Arrays.compareUnsigned(it.key(), from) < 0) {
                        it.seek(from);
                    }
                    while (it.isValid()) {
                        byte[] wk = it.key();
                        if (!OrderedKey.startsWith(wk, at)) {
                            break;
                        }
                        long start = new OrderedKey.Reader(wk, at.length).getLong();
                        if (start >= s.to()) {
                            break;
                        }
                        g.aggregate.merge(StoredAggregates.read(wk, it.value()));
                        it.next();
                    }
                }
                if (it.isValid() && OrderedKey.startsWith(it.key(), series)) {
                    it.seek(OrderedKey.prefixEnd(series));
                }
            }
            checkIterator(it, q);
        }
    }

    /** Merges the rollup deltas not yet in the snapshot's windows into the groups. */
    private void mergePending(AggregateQuery q, List<RangePlan.Segment> segments, byte[] statistic,
            List<byte[]> hostFilter, Map<ByteKey, Group> groups) {
        ingest.forEachPending(statistic, m -> {
            byte[] k = m.series();
            AggregateKeys.Parsed p = AggregateKeys.parse(AggregateKeys.window(k, Resolution.MINUTE, m.start()),
                    statistic.length);
            byte[] host = Arrays.copyOfRange(k, p.hostStart(), p.seriesEnd());
            if (!hostFilter.isEmpty() && !contains(hostFilter, host)) {
                return;
            }
            // A pending minute counts in its minute window and in its hour window.
            for (RangePlan.Segment s : segments) {
                long start = s.resolution().floor(m.start());
                if (start >= s.from() && start < s.to()) {
                    group(groups, q, k, p.keyStart(), p.hostStart(), host).aggregate.merge(m.sum());
                    return;
                }
            }
        });
    }

    /**
     * The group of a window whose key tuple starts at {@code keyStart} and ends at
     * {@code hostStart} in {@code k}, of host {@code host} (encoded).
     */
    private static Group group(Map<ByteKey, Group> groups, AggregateQuery q, byte[] k, int keyStart, int hostStart,
            byte[] host) {
        byte[] tuple = q.byKey() ? Arrays.copyOfRange(k, keyStart, hostStart) : new byte[0];
        byte[] h = q.byHost() ? host : new byte[0];
        ByteKey id = new ByteKey(concat(h, tuple));
        Group g = groups.get(id);
        if (g == null) {
            String hostId = q.byHost() ? new OrderedKey.Reader(h).getString() : "";
            List<KeyPart> parts = q.byKey() ? new OrderedKey.Reader(tuple).getKey() : List.of();
            g = new Group(h, tuple, hostId, parts);
            groups.put(id, g);
        }
        return g;
    }

    private static AggregateResult rows(AggregateQuery q, Map<ByteKey, Group> groups) {
        List<Group> list = new ArrayList<>(groups.size());
        for (Group g : groups.values()) {
            if (!g.aggregate.isEmpty()) {
                g.summary = g.aggregate.summary();
                list.add(g);
            }
        }
        int total = list.size();
        if (q.topN() > 0) {
            Comparator<Group> byMetric = Comparator.comparingLong((Group g) -> metric(g.summary, q.orderBy())).reversed();
            list.sort(byMetric.thenComparing(BY_HOST_THEN_KEY));
            if (list.size() > q.topN()) {
                list = list.subList(0, q.topN());
            }
        } else {
            list.sort(BY_HOST_THEN_KEY);
        }
        List<Row> rows = new ArrayList<>(list.size());
        for (Group g : list) {
            rows.add(new Row(g.hostId, g.keyParts, g.aggregate, g.summary));
        }
        return new AggregateResult(rows, total);
    }

    static long metric(Summary s, Metric m) {
        return switch (m) {
            case METRIC_UNSPECIFIED, METRIC_COUNT -> s.count();
            case METRIC_SUM -> s.sum();
            case METRIC_MIN -> s.min();
            case METRIC_MAX -> s.max();
            case METRIC_AVG -> s.avg();
            case METRIC_P50 -> s.p50();
            case METRIC_P90 -> s.p90();
            case METRIC_P99 -> s.p99();
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown metric");
        };
    }

    private static boolean contains(List<byte[]> sorted, byte[] host) {
        return Collections.binarySearch(sorted, host, Arrays::compareUnsigned) >= 0;
    }

    /** The smallest filter host above {@code host}, or null. */
    private static byte[] nextHost(List<byte[]> sorted, byte[] host) {
        int i = Collections.binarySearch(sorted, host, Arrays::compareUnsigned);
        int next = i >= 0 ? i + 1 : -i - 1;
        return next < sorted.size() ? sorted.get(next) : null;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static void checkIterator(RocksIterator it, AggregateQuery q) {
        try {
            it.status();
        } catch (org.rocksdb.RocksDBException e) {
            throw new StoreException("reading " + q.name() + " of session " + q.session() + ": " + e.getMessage(), e);
        }
    }
}
