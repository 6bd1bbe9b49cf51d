package org.fleettap.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.KeyPart;

/** A fleet's batches for the store benchmarks: per host, one delta per key, latency-like values. */
final class StoreFixtures {
    static final long SECOND = 1_000_000_000L;
    /** 2025-01-01T00:00:00Z, an hour boundary. */
    static final long T0 = 1_735_689_600L * SECOND;
    static final String SESSION = "bench";
    static final String NAME = "latency";

    private StoreFixtures() {}

    /** Per key, the delta a host exports each second: 20 values spread over two decades, like latencies. */
    static List<AggregateDelta> deltas(int keys, int host) {
        List<AggregateDelta> out = new ArrayList<>(keys);
        for (int k = 0; k < keys; k++) {
            MergeableAggregate a = new MergeableAggregate();
            for (int i = 0; i < 20; i++) {
                a.record(1_000 + (long) (k + 1) * (host + 1) * (i * i + 1));
            }
            out.add(AggregateDelta.newBuilder().setName(NAME)
                    .addKey(KeyPart.newBuilder().setStringValue("function_" + k))
                    .setAggregate(a.toProto()).build());
        }
        return out;
    }

    static String host(int h) {
        return "host-" + h;
    }

    static Batch batch(int host, long sequence, long windowStart, List<AggregateDelta> deltas) {
        return Batch.newBuilder().setHostId(host(host)).setSessionId(SESSION).setSequence(sequence)
                .setWindowStartUnixNanos(windowStart).setWindowEndUnixNanos(windowStart + SECOND)
                .addAllAggregates(deltas).build();
    }

    static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
