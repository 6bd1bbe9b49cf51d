package org.fleettap.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.transport.GrpcTransport;
import org.fleettap.agent.transport.Spool;
import org.fleettap.agent.transport.SpoolConfig;
import org.fleettap.agent.transport.TransportSettings;
import org.fleettap.agent.transport.TransportStats;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.ingest.IngestStats;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;

/**
 * Collector ingest through gRPC, end to end: the fleet of {@link StoreIngestBenchmark} (100 hosts x 100 keys, one
 * batch per host per second) sent by the agent's own {@link GrpcTransport}s (each through its spool, with its window
 * of unacknowledged batches) over loopback to a real {@link Collector} (IngestService, one writer with group commit,
 * RocksDB store with rollups), timed from the first submit until the collector has applied every batch; each
 * repetition with a fresh collector and store, and checked: exactly the batches sent applied, once each.
 *
 * <p>{@code java -Dseconds=60 -Dreps=3 -Dtransports=4 -cp bench/target/benchmarks.jar
 * org.fleettap.bench.GrpcIngestBench}
 */
public final class GrpcIngestBench {
    private static final int HOSTS = StoreIngestBenchmark.HOSTS;
    private static final int KEYS = StoreIngestBenchmark.KEYS;
    private static final Duration DEADLINE = Duration.ofMinutes(10);

    private final int seconds = Integer.getInteger("seconds", 60);
    private final int reps = Integer.getInteger("reps", 3);
    private final int transports = Integer.getInteger("transports", 4);
    private final boolean rollup = Boolean.parseBoolean(System.getProperty("rollup", "true"));
    private final Path work;
    private final List<List<AggregateDelta>> deltas = new ArrayList<>();

    private GrpcIngestBench(Path work) {
        this.work = work;
        for (int h = 0; h < HOSTS; h++) {
            deltas.add(StoreFixtures.deltas(KEYS, h));
        }
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("grpc-ingest-bench");
        try {
            new GrpcIngestBench(work).run();
        } finally {
            StoreFixtures.delete(work);
        }
    }

    private void run() throws Exception {
        long total = (long) seconds * HOSTS;
        System.out.printf("gRPC ingest: %d hosts x %d keys, %d s of the fleet = %d batches = %d updates (%d bytes per"
                        + " batch); %d transports; rollup %s; %d CPUs%n", HOSTS, KEYS, seconds, total, total * KEYS,
                batch(0, 1).getSerializedSize(), transports, rollup, Runtime.getRuntime().availableProcessors());
        for (int r = 1; r <= reps; r++) {
            Path dir = Files.createTempDirectory(work, "rep-" + r);
            Collector collector = new Collector(CollectorConfig.of("127.0.0.1", 0, dir.resolve("store"))
                    .withStore(StoreOptions.defaults().withRollup(rollup))).start();
            try {
                long start = System.nanoTime();
                List<GrpcTransport> ts = send(dir, "127.0.0.1:" + collector.port());
                IngestStats s = collector.ingestStats();
                long deadline = start + DEADLINE.toNanos();
                while (s.applied() + s.duplicates() + s.rejected() + s.failed() < total) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("not every batch applied within " + DEADLINE + ": " + s);
                    }
                    Thread.sleep(1);
                    s = collector.ingestStats();
                }
                long nanos = System.nanoTime() - start;
                for (GrpcTransport t : ts) {
                    t.flush(DEADLINE);
                    TransportStats ts1 = t.stats();
                    if (ts1.intakeDropped() + ts1.rejected() != 0) {
                        throw new IllegalStateException("a transport dropped batches: " + ts1);
                    }
                    t.close();
                }
                if (s.applied() != total || s.duplicates() + s.rejected() + s.failed() != 0) {
                    throw new IllegalStateException("expected exactly " + total + " batches applied: " + s);
                }
                for (int h = 0; h < HOSTS; h++) {
                    long last = collector.store().appliedSequence(StoreFixtures.host(h), StoreFixtures.SESSION)
                            .orElse(0);
                    if (last != seconds) {
                        throw new IllegalStateException(StoreFixtures.host(h) + " applied up to " + last);
                    }
                }
                System.out.printf("repetition %d: %d batches in %.2f s: %,.0f updates/s%n", r, total, nanos / 1e9,
                        total * (double) KEYS / (nanos / 1e9));
            } finally {
                collector.close();
                StoreFixtures.delete(dir);
            }
        }
    }

    /** Starts the transports submitting the fleet's seconds, each every transports-th host, as fast as they take. */
    private List<GrpcTransport> send(Path dir, String address) throws Exception {
        int perTransport = seconds * ((HOSTS + transports - 1) / transports);
        TransportSettings settings = TransportSettings.defaults().withIntakeCapacity(perTransport);
        List<GrpcTransport> ts = new ArrayList<>();
        for (int p = 0; p < transports; p++) {
            ts.add(GrpcTransport.connect(address, Spool.open(SpoolConfig.of(dir.resolve("spool-" + p), 1L << 30)),
                    settings));
        }
        for (int p = 0; p < transports; p++) {
            GrpcTransport t = ts.get(p);
            int first = p;
            Thread submitter = new Thread(() -> {
                for (long s = 1; s <= seconds; s++) {
                    for (int h = first; h < HOSTS; h += transports) {
                        t.submit(batch(h, s));
                    }
                }
            }, "bench-submit-" + p);
            submitter.start();
        }
        return ts;
    }

    private Batch batch(int host, long second) {
        return StoreFixtures.batch(host, second, StoreFixtures.T0 + (second - 1) * StoreFixtures.SECOND,
                deltas.get(host));
    }
}
