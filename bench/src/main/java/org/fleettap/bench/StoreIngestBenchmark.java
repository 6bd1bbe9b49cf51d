package org.fleettap.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fleettap.collector.store.ApplyResult;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Ingest into the RocksDB store: aggregate updates (one delta of one key of one host for one
 * window) per second, each written as its 1 s window entry and, with rollup, summed into its 1 min
 * and 1 h windows (written when the host's batches reach the next minute, so the measurement
 * includes those writes once a minute of data), durably (one synced write per group of batches).
 * One operation is one update. Goal (issue 5): at least 200,000 updates/s on this 2-core machine.
 *
 * <p>{@link #groupCommit} writes {@code secondsPerWrite} seconds of a 100-host fleet (100 batches
 * of 100 keys each second) per fsync, as an ingest thread that drains its queue does: one second
 * when it keeps up, more when batches queue up (then rollup windows are written once per write
 * instead of once per second). {@link #syncPerBatch} writes one batch per fsync, bounded by the
 * disk's fsync latency.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class StoreIngestBenchmark {
    static final int HOSTS = 100;
    static final int KEYS = 100;

    @Param({"true", "false"})
    public boolean rollup;

    @Param({"1", "10"})
    public int secondsPerWrite;

    private Path dir;
    private Store store;
    private final List<List<AggregateDelta>> deltas = new ArrayList<>();
    private final List<Batch> pending = new ArrayList<>();
    private long second;
    private int host;

    @Setup(Level.Trial)
    public void open() throws Exception {
        dir = Files.createTempDirectory("store-ingest-bench");
        store = Store.open(dir, StoreOptions.defaults().withRollup(rollup));
        for (int h = 0; h < HOSTS; h++) {
            deltas.add(StoreFixtures.deltas(KEYS, h));
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        store.close();
        StoreFixtures.delete(dir);
    }

    /** The next {@code n} batches: host after host, a new second after the last host. */
    private List<Batch> next(int n) {
        List<Batch> batches = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            batches.add(StoreFixtures.batch(host, second + 1, StoreFixtures.T0 + second * StoreFixtures.SECOND,
                    deltas.get(host)));
            if (++host == HOSTS) {
                host = 0;
                second++;
            }
        }
        return batches;
    }

    /** Measures one second of the fleet; with secondsPerWrite > 1, one invocation in that many writes. */
    @Benchmark
    @OperationsPerInvocation(HOSTS * KEYS)
    public void groupCommit() {
        pending.addAll(next(HOSTS));
        if (pending.size() >= HOSTS * secondsPerWrite) {
            check(store.applyAll(pending, Map.of()));
            pending.clear();
        }
    }

    @Benchmark
    @OperationsPerInvocation(KEYS)
    public void syncPerBatch() {
        check(store.applyAll(next(1), Map.of()));
    }

    private static void check(List<ApplyResult> results) {
        for (ApplyResult r : results) {
            if (r.status() != AckStatus.ACK_STATUS_APPLIED) {
                throw new IllegalStateException("not applied: " + r);
            }
        }
    }
}
