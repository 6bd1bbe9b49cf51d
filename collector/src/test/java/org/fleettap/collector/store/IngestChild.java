package org.fleettap.collector.store;

import java.nio.file.Path;
import java.util.List;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.KeyPart;

/**
 * The process {@link CrashRecoveryTest} kills: applies batches one at a time and prints
 * {@code STATUS HOST SEQUENCE} for each after {@link Store#apply} returned, as an ingest service
 * acknowledges them.
 *
 * <p>Arguments: store directory, number of hosts, batches per host.
 */
final class IngestChild {
    static final String SESSION = "crash";
    static final String NAME = "calls";
    static final List<KeyPart> KEY = List.of(TestBatches.k("f"));

    private IngestChild() {}

    static String host(int i) {
        return "host-" + i;
    }

    /** Batch {@code seq} of {@code host}: values depend on both, so every batch counts differently. */
    static Batch batch(String host, long seq) {
        return TestBatches.batch(host, SESSION, seq, TestBatches.T0 + seq * TestBatches.SECOND)
                .add(NAME, KEY, values(host, seq)).line(TestBatches.T0 + seq * TestBatches.SECOND, host + " " + seq)
                .build();
    }

    static long[] values(String host, long seq) {
        long[] v = new long[(int) (seq % 5) + 1];
        for (int i = 0; i < v.length; i++) {
            v[i] = seq * 1000 + host.hashCode() % 100 + i;
        }
        return v;
    }

    /** What batches 1..upTo of {@code host} recorded. */
    static MergeableAggregate merged(String host, long upTo) {
        MergeableAggregate a = new MergeableAggregate();
        for (long s = 1; s <= upTo; s++) {
            for (long v : values(host, s)) {
                a.record(v);
            }
        }
        return a;
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int hosts = Integer.parseInt(args[1]);
        int perHost = Integer.parseInt(args[2]);
        try (Store store = Store.open(dir, StoreOptions.defaults())) {
            for (long seq = 1; seq <= perHost; seq++) {
                for (int h = 0; h < hosts; h++) {
                    ApplyResult r = store.apply(batch(host(h), seq));
                    System.out.println(r.status().name() + " " + r.host() + " " + r.sequence());
                    System.out.flush();
                }
            }
        }
        System.out.println("DONE");
    }
}
