package org.fleettap.collector;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.OutputLine;

/** What the collector's end-to-end tests share: numbered batches with known totals, collectors, channels, waiting. */
public final class CollectorTesting {
    public static final long SECOND = 1_000_000_000L;
    /** 2025-01-01T00:00:00Z: in the past, so "up to now" covers every window of the tests. */
    public static final long T0 = 1_735_689_600L * SECOND;
    public static final String SESSION = "s1";
    public static final String CALLS = "calls";
    private static final Duration WAIT = Duration.ofSeconds(60);

    private CollectorTesting() {
    }

    /** How many values batch {@code seq} records: 1 to 7. */
    public static long countOf(long seq) {
        return seq % 7 + 1;
    }

    /**
     * Batch {@code seq} of {@code host}: in the second T0 + seq, statistic {@value #CALLS} with key {@code [host]}
     * recording {@code seq} {@link #countOf} times, and one output line "HOST SEQ" at T0 + seq s.
     */
    public static Batch counted(String host, String session, long seq) {
        MergeableAggregate a = new MergeableAggregate();
        for (long i = 0; i < countOf(seq); i++) {
            a.record(seq);
        }
        long start = T0 + seq * SECOND;
        return Batch.newBuilder().setHostId(host).setSessionId(session).setSequence(seq)
                .setWindowStartUnixNanos(start).setWindowEndUnixNanos(start + SECOND)
                .addAggregates(AggregateDelta.newBuilder().setName(CALLS)
                        .addKey(KeyPart.newBuilder().setStringValue(host)).setAggregate(a.toProto()))
                .addOutput(OutputLine.newBuilder().setTimeUnixNanos(start).setText(host + " " + seq))
                .build();
    }

    /** The count of batches 1..n of one host. */
    public static long totalCount(long n) {
        long c = 0;
        for (long s = 1; s <= n; s++) {
            c += countOf(s);
        }
        return c;
    }

    /** The sum of batches 1..n of one host. */
    public static long totalSum(long n) {
        long sum = 0;
        for (long s = 1; s <= n; s++) {
            sum += s * countOf(s);
        }
        return sum;
    }

    public static KeyPart key(String s) {
        return KeyPart.newBuilder().setStringValue(s).build();
    }

    /** A collector on loopback, port picked, store in {@code dir}, started. */
    public static Collector collector(Path dir) throws IOException {
        return new Collector(CollectorConfig.of("127.0.0.1", 0, dir)).start();
    }

    public static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    /** Waits for a state there is no event for (up to a minute). */
    public static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT.toSeconds() + " s: " + what);
            }
            LockSupport.parkNanos(5_000_000);
        }
    }

    /** The lines of batches {@code from..to} of {@code host}, as {@link #counted} prints them. */
    public static List<String> lines(String host, long from, long to) {
        return java.util.stream.LongStream.rangeClosed(from, to).mapToObj(s -> host + " " + s).toList();
    }
}
