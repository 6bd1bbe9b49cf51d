package org.fleettap.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.OutputLine;

/** Shared helpers of the transport tests: batches of a known shape, and waiting on a condition. */
final class TransportTesting {
    static final String HOST = "host-a";
    static final long WINDOW_NANOS = 1_000_000_000L;

    private TransportTesting() {}

    /** Batch {@code seq} of (host, session): one window and one output line, all of the same size for seq < 128. */
    static Batch batch(String host, String session, long seq) {
        return Batch.newBuilder()
                .setHostId(host)
                .setSessionId(session)
                .setSequence(seq)
                .setWindowStartUnixNanos(1_800_000_000_000_000_000L + seq * WINDOW_NANOS)
                .setWindowEndUnixNanos(1_800_000_000_000_000_000L + (seq + 1) * WINDOW_NANOS)
                .addOutput(OutputLine.newBuilder()
                        .setTimeUnixNanos(1_800_000_000_000_000_000L + seq * WINDOW_NANOS)
                        .setText(String.format("%s %s line %04d", host, session, seq)))
                .build();
    }

    static Batch batch(String session, long seq) {
        return batch(HOST, session, seq);
    }

    /** Sessions' batches interleaved: s1#1, s2#1, ..., s1#2, s2#2, ... */
    static List<Batch> interleaved(int perSession, String... sessions) {
        List<Batch> out = new ArrayList<>();
        for (long seq = 1; seq <= perSession; seq++) {
            for (String s : sessions) {
                out.add(batch(s, seq));
            }
        }
        return out;
    }

    static List<BatchKey> keys(List<Batch> batches) {
        return batches.stream().map(BatchKey::of).toList();
    }

    /** Polls {@code condition} until it holds; for state with nothing to wait on (a thread's state, a count). */
    static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    static List<String> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(Spool.SEGMENT_SUFFIX)).sorted().toList();
        }
    }

    /** Everything {@link Spool#next} gives until it has nothing more, parsed. */
    static List<Batch> drain(Spool spool) {
        List<Batch> out = new ArrayList<>();
        Batch b;
        while ((b = next(spool)) != null) {
            out.add(b);
        }
        return out;
    }

    /** {@link Spool#next}, parsed and checked against its key; null when the spool has nothing more. */
    static Batch next(Spool spool) {
        SpooledBatch s = spool.next();
        if (s == null) {
            return null;
        }
        Batch b;
        try {
            b = s.parse();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError("spooled batch " + s + " does not parse", e);
        }
        assertThat(BatchKey.of(b)).as("key of spooled batch").isEqualTo(s.key());
        assertThat(s.length()).as("length of spooled batch %s", s.key()).isEqualTo(b.getSerializedSize());
        return b;
    }

    static List<Long> sequences(List<Batch> batches) {
        return batches.stream().map(Batch::getSequence).toList();
    }

    static void assertStrictlyIncreasing(List<Long> seqs) {
        for (int i = 1; i < seqs.size(); i++) {
            assertThat(seqs.get(i)).as("sequence at %d of %s", i, seqs).isGreaterThan(seqs.get(i - 1));
        }
    }
}
