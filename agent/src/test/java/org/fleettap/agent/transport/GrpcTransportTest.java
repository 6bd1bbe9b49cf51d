package org.fleettap.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.agent.transport.TransportTesting.assertStrictlyIncreasing;
import static org.fleettap.agent.transport.TransportTesting.batch;
import static org.fleettap.agent.transport.TransportTesting.drain;
import static org.fleettap.agent.transport.TransportTesting.interleaved;
import static org.fleettap.agent.transport.TransportTesting.keys;
import static org.fleettap.agent.transport.TransportTesting.segmentFiles;
import static org.fleettap.agent.transport.TransportTesting.sequences;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.fleettap.proto.v1.Batch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GrpcTransport against a real gRPC server on loopback ({@link FakeCollector}). */
class GrpcTransportTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final TransportSettings FAST = TransportSettings.defaults()
            .withBackoff(Duration.ofMillis(10), Duration.ofMillis(200))
            .withAckTimeout(Duration.ofSeconds(10))
            .withCloseTimeout(Duration.ofSeconds(2));

    @TempDir
    Path dir;

    private FakeCollector collector;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void startCollector() throws IOException {
        collector = FakeCollector.start();
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        collector.close();
    }

    private GrpcTransport transport(SpoolConfig spool, TransportSettings settings) throws IOException {
        GrpcTransport t = GrpcTransport.connect(collector.target(), Spool.open(spool), settings);
        toClose.add(t);
        return t;
    }

    private GrpcTransport transport(TransportSettings settings) throws IOException {
        return transport(SpoolConfig.of(dir), settings);
    }

    private static void submitAll(BatchSink sink, List<Batch> batches) {
        batches.forEach(sink::submit);
    }

    /** Per (host, session), the sequences in the order the collector first saw them. */
    private static Map<SessionKey, List<Long>> firstArrivals(List<Batch> received) {
        Map<SessionKey, List<Long>> out = new LinkedHashMap<>();
        Set<BatchKey> seen = new java.util.HashSet<>();
        for (Batch b : received) {
            if (seen.add(BatchKey.of(b))) {
                out.computeIfAbsent(SessionKey.of(b), k -> new ArrayList<>()).add(b.getSequence());
            }
        }
        return out;
    }

    private void assertDeliveredExactlyInOrder(List<Batch> submitted) {
        Map<BatchKey, Batch> applied = collector.applied();
        assertThat(applied.keySet()).containsExactlyInAnyOrderElementsOf(keys(submitted));
        for (Batch b : submitted) {
            assertThat(applied.get(BatchKey.of(b))).isEqualTo(b);
        }
        firstArrivals(collector.received()).values().forEach(TransportTesting::assertStrictlyIncreasing);
    }

    @Test
    void everyBatchIsAppliedExactlyOnceAndInOrder() throws Exception {
        GrpcTransport t = transport(FAST);
        List<Batch> submitted = interleaved(300, "s1", "s2", "s3");
        submitAll(t, submitted);
        t.flush(WAIT);

        assertDeliveredExactlyInOrder(submitted);
        assertThat(collector.received()).hasSize(900);
        TransportStats stats = t.stats();
        assertThat(stats.submitted()).isEqualTo(900);
        assertThat(stats.spooled()).isEqualTo(900);
        assertThat(stats.sent()).isEqualTo(900);
        assertThat(stats.applied()).isEqualTo(900);
        assertThat(stats.duplicates()).isZero();
        assertThat(stats.failures()).isZero();
        assertThat(stats.spool().batches()).isZero();
        assertThat(segmentFiles(dir)).isEmpty();
    }

    @Test
    void noMoreThanTheWindowIsUnacknowledged() throws Exception {
        GrpcTransport t = transport(FAST.withMaxUnackedBatches(8));
        collector.holdAcks(true);
        List<Batch> submitted = interleaved(100, "s1");
        submitAll(t, submitted);
        assertThat(t.awaitSpooled(WAIT)).isTrue();
        assertThat(collector.awaitReceived(8, WAIT)).isTrue();
        assertThat(collector.received()).hasSize(8);

        collector.holdAcks(false);
        t.flush(WAIT);
        assertDeliveredExactlyInOrder(submitted);
        assertThat(collector.maxOutstanding()).isEqualTo(8);
    }

    @Test
    void lostAcknowledgementsAreResentAfterTheAckTimeout() throws Exception {
        GrpcTransport t = transport(FAST.withAckTimeout(Duration.ofMillis(300)));
        collector.dropNextAcks(5);
        List<Batch> submitted = interleaved(50, "s1", "s2");
        submitAll(t, submitted);
        t.flush(WAIT);

        assertDeliveredExactlyInOrder(submitted);
        assertThat(collector.duplicates()).isGreaterThanOrEqualTo(5);
        TransportStats stats = t.stats();
        assertThat(stats.failures()).isGreaterThanOrEqualTo(1);
        assertThat(stats.applied()).isLessThanOrEqualTo(100 - 5);
        assertThat(stats.applied() + stats.duplicates()).isGreaterThanOrEqualTo(100);
        assertThat(stats.sent()).isGreaterThan(100);
        assertThat(stats.spool().batches()).isZero();
    }

    @Test
    void aStreamThatBreaksMidFlightIsReopenedAndResendsInOrder() throws Exception {
        GrpcTransport t = transport(FAST);
        collector.breakStreamAfter(37);
        List<Batch> submitted = interleaved(100, "s1", "s2");
        submitAll(t, submitted);
        t.flush(WAIT);

        assertDeliveredExactlyInOrder(submitted);
        assertThat(collector.streams()).isGreaterThanOrEqualTo(2);
        assertThat(collector.duplicates()).isGreaterThanOrEqualTo(1);
        assertThat(t.stats().failures()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void rejectedBatchesAreCountedReleasedAndNeverResent() throws Exception {
        GrpcTransport t = transport(FAST);
        collector.reject(b -> b.getSequence() % 10 == 0);
        List<Batch> submitted = interleaved(100, "s1");
        submitAll(t, submitted);
        t.flush(WAIT);

        TransportStats stats = t.stats();
        assertThat(stats.rejected()).isEqualTo(10);
        assertThat(stats.applied()).isEqualTo(90);
        assertThat(stats.spool().batches()).isZero();
        assertThat(collector.received()).hasSize(100);
        assertThat(collector.applied().keySet()).containsExactlyInAnyOrderElementsOf(
                keys(submitted.stream().filter(b -> b.getSequence() % 10 != 0).toList()));
    }

    @Test
    void whileTheCollectorIsDownBatchesAreSpooledThenDeliveredInOrder() throws Exception {
        GrpcTransport t = transport(FAST);
        List<Batch> before = interleaved(50, "s1", "s2");
        submitAll(t, before);
        t.flush(WAIT);
        assertThat(collector.applied()).hasSize(100);

        collector.stop();
        List<Batch> during = new ArrayList<>();
        for (long seq = 51; seq <= 150; seq++) {
            during.add(batch("s1", seq));
            during.add(batch("s2", seq));
        }
        submitAll(t, during);
        assertThat(t.awaitSpooled(WAIT)).isTrue();
        TransportTesting.awaitTrue("the transport noticed the collector is gone", WAIT, () -> t.stats().failures() > 0);
        assertThat(t.stats().spool().batches()).isEqualTo(200);

        collector.restart();
        t.flush(WAIT);
        List<Batch> all = new ArrayList<>(before);
        all.addAll(during);
        assertDeliveredExactlyInOrder(all);
        assertThat(t.stats().spool().batches()).isZero();
        assertThat(segmentFiles(dir)).isEmpty();
    }

    @Test
    void withATinySpoolWhileDownTheExactDropCountReachesTheCollector() throws Exception {
        collector.stop(); // down from the start
        int record = SpoolFormat.RECORD_HEADER_BYTES + batch("s1", 1).getSerializedSize();
        int segment = SpoolFormat.SEGMENT_HEADER_BYTES + record;
        SpoolConfig tiny = new SpoolConfig(dir, 10L * (segment + 2), segment); // ten batches, one per segment
        GrpcTransport t = transport(tiny, FAST);
        List<Batch> submitted = interleaved(40, "s1", "s2");
        submitAll(t, submitted);
        assertThat(t.awaitSpooled(WAIT)).isTrue();
        long dropped = t.stats().spool().droppedBatches();
        assertThat(dropped).isEqualTo(70);

        collector.restart();
        t.flush(WAIT);
        // The drops caused by the last batches are carried by each session's next batch.
        List<Batch> after = List.of(batch("s1", 41), batch("s2", 41));
        submitAll(t, after);
        t.flush(WAIT);

        Map<BatchKey, Batch> applied = collector.applied();
        long reported = 0;
        for (String session : List.of("s1", "s2")) {
            List<Batch> mine = applied.values().stream().filter(b -> b.getSessionId().equals(session)).toList();
            Set<Long> seqs = mine.stream().map(Batch::getSequence).collect(Collectors.toSet());
            List<Long> missing = LongStream.rangeClosed(1, 41).filter(s -> !seqs.contains(s)).boxed().toList();
            long carried = mine.stream().mapToLong(Batch::getSpoolDroppedBatches).sum();
            assertThat(carried).as("drops reported for %s", session).isEqualTo(missing.size());
            // The oldest were dropped.
            assertThat(missing).containsExactlyElementsOf(LongStream.rangeClosed(1, missing.size()).boxed().toList());
            reported += carried;
        }
        assertThat(reported).isEqualTo(dropped);
        assertThat(t.stats().spool().unreportedDrops()).isZero();
        firstArrivals(collector.received()).values().forEach(TransportTesting::assertStrictlyIncreasing);
    }

    @Test
    void aRestartedAgentReplaysItsSpoolBeforeNewBatches() throws Exception {
        collector.stop();
        GrpcTransport first = transport(FAST.withCloseTimeout(Duration.ofMillis(100)));
        List<Batch> spooled = interleaved(20, "s1");
        submitAll(first, spooled);
        first.close();
        assertThat(first.stats().spool().batches()).isEqualTo(20);

        collector.restart();
        GrpcTransport second = transport(FAST);
        List<Batch> fresh = List.of(batch("s1", 21), batch("s1", 22));
        submitAll(second, fresh);
        second.flush(WAIT);
        List<Batch> all = new ArrayList<>(spooled);
        all.addAll(fresh);
        assertDeliveredExactlyInOrder(all);
        assertThat(sequences(collector.received())).containsExactlyElementsOf(
                LongStream.rangeClosed(1, 22).boxed().toList());
    }

    @Test
    void aRestartedAgentSendsWhatItsSpoolHeldWithoutANewBatch() throws Exception {
        collector.stop();
        GrpcTransport first = transport(FAST.withCloseTimeout(Duration.ZERO));
        List<Batch> spooled = interleaved(5, "s1");
        submitAll(first, spooled);
        first.close();

        collector.restart();
        GrpcTransport second = transport(FAST);
        assertThat(collector.awaitApplied(5, WAIT)).isTrue();
        second.flush(WAIT);
        assertDeliveredExactlyInOrder(spooled);
    }

    @Test
    void closeIsIdempotentAndStopsIntake() throws Exception {
        GrpcTransport t = transport(FAST);
        submitAll(t, interleaved(10, "s1"));
        t.close();
        t.close();
        assertThat(collector.applied()).hasSize(10);
        t.submit(batch("s1", 11));
        TransportStats stats = t.stats();
        assertThat(stats.submitted()).isEqualTo(10);
        assertThat(stats.intakeDropped()).isEqualTo(1);
        try (Spool reopened = Spool.open(SpoolConfig.of(dir))) {
            assertThat(drain(reopened)).isEmpty();
        }
    }

    @Test
    void closingWhileTheCollectorIsDownKeepsEverythingInTheSpool() throws Exception {
        collector.stop();
        GrpcTransport t = transport(FAST.withCloseTimeout(Duration.ofMillis(200)));
        List<Batch> submitted = interleaved(30, "s1", "s2");
        submitAll(t, submitted);
        t.close();
        try (Spool reopened = Spool.open(SpoolConfig.of(dir))) {
            assertThat(drain(reopened)).containsExactlyElementsOf(submitted);
        }
    }

    @Test
    void flushReturnsAtItsTimeoutWhenTheCollectorIsDown() throws Exception {
        collector.stop();
        GrpcTransport t = transport(FAST);
        submitAll(t, interleaved(3, "s1"));
        long start = System.nanoTime();
        t.flush(Duration.ofMillis(300));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(300), Duration.ofSeconds(5));
        assertThat(t.stats().spool().batches()).isEqualTo(3);
    }
}
