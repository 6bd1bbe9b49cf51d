package org.fleettap.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.fleettap.collector.store.AggregateQuery;
import org.fleettap.collector.store.AggregateResult;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.Metric;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Top-20 queries over one hour of a 100-host × 100-key statistic. Goal (issue 5): at most 200 ms.
 *
 * <p>The store is filled through {@link Store#applyAll} (rollup on), but not with all 3,600 × 10,000
 * one-second deltas (36 million; minutes to ingest here): each host sends a 1 s window every second
 * of the first and the last minute of the hour (the edges a query off the minute reads at 1 s) and
 * one per minute in between. An hour-aligned query reads the 10,000 hour windows, a minute-aligned
 * one 1 min windows, an unaligned one 1 s windows at its edges; those reads are what they would be
 * with every second filled, except inside the hour's minutes, which are never read at 1 s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class StoreTopQueryBenchmark {
    static final int HOSTS = 100;
    static final int KEYS = 100;
    static final long MINUTE = 60 * StoreFixtures.SECOND;
    static final long HOUR = 60 * MINUTE;

    private Path dir;
    private Store store;
    private AggregateQuery query;

    @Setup(Level.Trial)
    public void fill() throws Exception {
        dir = Files.createTempDirectory("store-query-bench");
        store = Store.open(dir, StoreOptions.defaults());
        List<List<AggregateDelta>> deltas = new ArrayList<>();
        for (int h = 0; h < HOSTS; h++) {
            deltas.add(StoreFixtures.deltas(KEYS, h));
        }
        long[] sequence = new long[HOSTS];
        List<Batch> group = new ArrayList<>();
        long started = System.nanoTime();
        for (int s = 0; s < 3600; s++) {
            boolean edge = s < 60 || s >= 3540;
            if (!edge && s % 60 != 30) {
                continue;
            }
            for (int h = 0; h < HOSTS; h++) {
                group.add(StoreFixtures.batch(h, ++sequence[h], StoreFixtures.T0 + s * StoreFixtures.SECOND,
                        deltas.get(h)));
            }
            if (group.size() >= 10 * HOSTS) {
                store.applyAll(group, Map.of());
                group.clear();
            }
        }
        store.applyAll(group, Map.of());
        System.out.printf("%nfilled %d windows of %d series in %.1f s%n", sequence[0] * KEYS * HOSTS, KEYS * HOSTS,
                (System.nanoTime() - started) / 1e9);
        query = AggregateQuery.of(StoreFixtures.SESSION, StoreFixtures.NAME).withGroupBy(GroupBy.GROUP_BY_KEY)
                .withTop(20, Metric.METRIC_P99);
    }

    @TearDown(Level.Trial)
    public void close() {
        store.close();
        StoreFixtures.delete(dir);
    }

    private AggregateResult run(AggregateQuery q) {
        AggregateResult r = store.aggregates(q);
        if (r.rows().size() != 20) {
            throw new IllegalStateException("expected 20 rows, got " + r.rows().size());
        }
        return r;
    }

    /** The hour [T0, T0 + 1 h): 10,000 hour windows, merged into 100 keys. */
    @Benchmark
    public AggregateResult top20KeysByP99AlignedHour() {
        return run(query.withRange(StoreFixtures.T0, StoreFixtures.T0 + HOUR));
    }

    /** Top 20 (host, key) pairs by count over the same hour. */
    @Benchmark
    public AggregateResult top20HostKeysByCountAlignedHour() {
        return run(query.withRange(StoreFixtures.T0, StoreFixtures.T0 + HOUR)
                .withGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY).withTop(20, Metric.METRIC_COUNT));
    }

    /** [T0 + 30 s, T0 + 59 min 30 s): 30 s of 1 s windows at each edge, 58 minutes of 1 min windows. */
    @Benchmark
    public AggregateResult top20KeysByP99UnalignedRange() {
        return run(query.withRange(StoreFixtures.T0 + 30 * StoreFixtures.SECOND,
                StoreFixtures.T0 + HOUR - 30 * StoreFixtures.SECOND));
    }

    /** The aligned hour, ten hosts only. */
    @Benchmark
    public AggregateResult top20KeysByP99TenHosts() {
        Set<String> hosts = new java.util.HashSet<>();
        for (int h = 0; h < 10; h++) {
            hosts.add(StoreFixtures.host(h * 10));
        }
        return run(query.withRange(StoreFixtures.T0, StoreFixtures.T0 + HOUR).withHosts(hosts));
    }
}
