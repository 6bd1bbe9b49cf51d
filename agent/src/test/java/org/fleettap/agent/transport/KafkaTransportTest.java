package org.fleettap.agent.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.agent.transport.TransportTesting.awaitTrue;
import static org.fleettap.agent.transport.TransportTesting.batch;
import static org.fleettap.agent.transport.TransportTesting.drain;
import static org.fleettap.agent.transport.TransportTesting.interleaved;
import static org.fleettap.agent.transport.TransportTesting.segmentFiles;
import static org.fleettap.agent.transport.TransportTesting.sequences;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.fleettap.proto.v1.Batch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KafkaTransport without a broker: MockProducer (from kafka-clients) for the callback and error
 * paths, and a real KafkaProducer pointed at a closed loopback port for "Kafka unreachable".
 */
class KafkaTransportTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOPIC = KafkaTransportConfig.DEFAULT_TOPIC;
    private static final TransportSettings FAST = TransportSettings.defaults()
            .withBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
            .withAckTimeout(Duration.ofSeconds(10))
            .withCloseTimeout(Duration.ofSeconds(2));

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    /** A MockProducer that counts its sends, so tests wait on a semaphore instead of polling. */
    static final class RecordingProducer extends MockProducer<byte[], byte[]> {
        private final Semaphore sends = new Semaphore(0);
        private int awaited;

        RecordingProducer(boolean autoComplete) {
            super(autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
            Future<RecordMetadata> f = super.send(record, callback);
            sends.release();
            return f;
        }

        /** Waits until {@code total} records have been sent since the producer was made. */
        void awaitSent(int total) throws InterruptedException {
            assertThat(sends.tryAcquire(total - awaited, WAIT.toSeconds(), TimeUnit.SECONDS))
                    .as("%d records sent", total)
                    .isTrue();
            awaited = total;
        }

        List<Batch> sentBatches() {
            return history().stream().map(r -> {
                try {
                    return Batch.parseFrom(r.value());
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError(e);
                }
            }).toList();
        }
    }

    private KafkaTransport transport(Supplier<? extends Producer<byte[], byte[]>> producers, TransportSettings settings)
            throws IOException {
        KafkaTransport t = new KafkaTransport(producers, TOPIC, Spool.open(SpoolConfig.of(dir)), settings, new Random(1));
        toClose.add(t);
        return t;
    }

    @Test
    void recordsAreKeyedByHostIdAndCarryTheBatchInOrder() throws Exception {
        RecordingProducer producer = new RecordingProducer(true);
        KafkaTransport t = transport(() -> producer, FAST);
        List<Batch> submitted = new ArrayList<>();
        for (long seq = 1; seq <= 20; seq++) {
            submitted.add(batch("host-a", "s1", seq));
            submitted.add(batch("host-b", "s1", seq));
        }
        submitted.forEach(t::submit);
        t.flush(WAIT);

        List<ProducerRecord<byte[], byte[]>> records = producer.history();
        assertThat(records).hasSize(40);
        for (int i = 0; i < 40; i++) {
            ProducerRecord<byte[], byte[]> r = records.get(i);
            assertThat(r.topic()).isEqualTo(TOPIC);
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(submitted.get(i).getHostId());
            assertThat(Batch.parseFrom(r.value())).isEqualTo(submitted.get(i));
        }
        TransportStats stats = t.stats();
        assertThat(stats.applied()).isEqualTo(40);
        assertThat(stats.failures()).isZero();
        assertThat(stats.spool().batches()).isZero();
        assertThat(segmentFiles(dir)).isEmpty();
    }

    @Test
    void theRecordOfABatchIsKeyedByItsHostIdInUtf8() {
        Batch b = batch("hôst-ü", "s1", 7);
        ProducerRecord<byte[], byte[]> r = KafkaLink.record("t",
                new SpooledBatch(BatchKey.of(b), b.toByteArray(), 0, b.getSerializedSize()));
        assertThat(r.key()).isEqualTo("hôst-ü".getBytes(StandardCharsets.UTF_8));
        assertThat(r.value()).isEqualTo(b.toByteArray());
        assertThat(r.partition()).as("the producer's partitioner picks it from the key").isNull();
    }

    @Test
    void noMoreThanTheWindowAwaitsAcknowledgement() throws Exception {
        RecordingProducer producer = new RecordingProducer(false);
        KafkaTransport t = transport(() -> producer, FAST.withMaxUnackedBatches(3));
        interleaved(10, "s1").forEach(t::submit);
        assertThat(t.awaitSpooled(WAIT)).isTrue();
        producer.awaitSent(3);
        assertThat(producer.history()).hasSize(3);

        for (int done = 1; done <= 10; done++) {
            assertThat(producer.completeNext()).isTrue();
            producer.awaitSent(Math.min(10, done + 3));
            assertThat(producer.history()).hasSizeLessThanOrEqualTo(done + 3);
        }
        t.flush(WAIT);
        assertThat(sequences(producer.sentBatches())).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(t.stats().spool().batches()).isZero();
    }

    @Test
    void aFailedDeliveryIsResentFromTheSpoolAfterABackoff() throws Exception {
        RecordingProducer producer = new RecordingProducer(false);
        KafkaTransport t = transport(() -> producer, FAST);
        interleaved(5, "s1").forEach(t::submit);
        producer.awaitSent(5);

        assertThat(producer.errorNext(new TimeoutException("test: Kafka unreachable"))).isTrue();
        for (int i = 0; i < 4; i++) {
            assertThat(producer.completeNext()).isTrue();
        }
        producer.awaitSent(6);
        assertThat(producer.completeNext()).isTrue();
        t.flush(WAIT);

        assertThat(sequences(producer.sentBatches())).containsExactly(1L, 2L, 3L, 4L, 5L, 1L);
        TransportStats stats = t.stats();
        assertThat(stats.sent()).isEqualTo(6);
        assertThat(stats.applied()).isEqualTo(5);
        assertThat(stats.failures()).isEqualTo(1);
        assertThat(stats.spool().batches()).isZero();
    }

    /**
     * Kafka refusing the agent's login or its right to the topic is a setting to fix, not a batch to drop: the
     * batch stays in the spool and is resent, unlike a batch Kafka can never take.
     */
    @Test
    void aRefusedLoginOrRightIsRetriedNotReleased() throws Exception {
        RecordingProducer producer = new RecordingProducer(false);
        KafkaTransport t = transport(() -> producer, FAST);
        interleaved(3, "s1").forEach(t::submit);
        producer.awaitSent(3);

        assertThat(producer.errorNext(new SaslAuthenticationException("test: Invalid username or password")))
                .isTrue();
        assertThat(producer.completeNext()).isTrue();
        assertThat(producer.completeNext()).isTrue();
        producer.awaitSent(4);
        assertThat(producer.errorNext(new TopicAuthorizationException("test: not authorized"))).isTrue();
        producer.awaitSent(5);
        assertThat(producer.completeNext()).isTrue();
        t.flush(WAIT);

        assertThat(sequences(producer.sentBatches())).containsExactly(1L, 2L, 3L, 1L, 1L);
        TransportStats stats = t.stats();
        assertThat(stats.rejected()).isZero();
        assertThat(stats.failures()).isEqualTo(2);
        assertThat(stats.applied()).isEqualTo(3);
        assertThat(stats.spool().batches()).isZero();
    }

    @Test
    void aBatchKafkaCanNeverTakeIsCountedReleasedAndNotResent() throws Exception {
        RecordingProducer producer = new RecordingProducer(false);
        KafkaTransport t = transport(() -> producer, FAST);
        interleaved(5, "s1").forEach(t::submit);
        producer.awaitSent(5);

        assertThat(producer.errorNext(new RecordTooLargeException("test: too large"))).isTrue();
        for (int i = 0; i < 4; i++) {
            assertThat(producer.completeNext()).isTrue();
        }
        t.flush(WAIT);

        assertThat(producer.history()).hasSize(5);
        TransportStats stats = t.stats();
        assertThat(stats.rejected()).isEqualTo(1);
        assertThat(stats.applied()).isEqualTo(4);
        assertThat(stats.failures()).isZero();
        assertThat(stats.spool().batches()).isZero();
    }

    @Test
    void aProducerThatThrowsIsClosedAndReplaced() throws Exception {
        RecordingProducer broken = new RecordingProducer(true);
        broken.sendException = new KafkaException("test: producer in a fatal state");
        RecordingProducer healthy = new RecordingProducer(true);
        ArrayDeque<RecordingProducer> producers = new ArrayDeque<>(List.of(broken, healthy));
        KafkaTransport t = transport(producers::removeFirst, FAST);
        List<Batch> submitted = interleaved(10, "s1");
        submitted.forEach(t::submit);
        t.flush(WAIT);

        assertThat(broken.closed()).isTrue();
        assertThat(healthy.sentBatches()).containsExactlyElementsOf(submitted);
        assertThat(t.stats().failures()).isEqualTo(1);
        assertThat(t.stats().spool().batches()).isZero();
    }

    @Test
    void batchesDroppedByAFullQueueAreCountedAndReportedInTheSessionsNextBatch() throws Exception {
        RecordingProducer producer = new RecordingProducer(true);
        KafkaTransport t = transport(() -> producer, FAST.withIntakeCapacity(2));
        synchronized (producer) {
            t.submit(batch("s1", 1));
            Thread loop = t.thread();
            awaitTrue("the transport's thread is blocked sending batch 1", WAIT,
                    () -> loop.getState() == Thread.State.BLOCKED
                            && Arrays.stream(loop.getStackTrace()).anyMatch(f -> f.getMethodName().equals("send")
                                    && f.getClassName().equals(RecordingProducer.class.getName())));
            for (long seq = 2; seq <= 6; seq++) {
                t.submit(batch("s1", seq));
            }
        }
        t.flush(WAIT);

        TransportStats stats = t.stats();
        assertThat(stats.submitted()).isEqualTo(3);
        assertThat(stats.intakeDropped()).isEqualTo(3);
        List<Batch> sent = producer.sentBatches();
        assertThat(sequences(sent)).containsExactly(1L, 2L, 3L);
        assertThat(sent.get(1).getSpoolDroppedBatches()).isEqualTo(3);
        assertThat(sent.get(1).toBuilder().clearSpoolDroppedBatches().build()).isEqualTo(batch("s1", 2));
        assertThat(stats.spool().unreportedDrops()).isZero();
    }

    @Test
    void whileKafkaIsUnreachableBatchesStayInTheSpoolAcrossARestart() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        KafkaTransportConfig config = KafkaTransportConfig.of("127.0.0.1:" + closedPort)
                .withMaxBlock(Duration.ofMillis(300))
                .withLinger(Duration.ZERO);
        TransportSettings settings = FAST.withAckTimeout(Duration.ofMillis(1500)).withCloseTimeout(Duration.ofMillis(500));
        KafkaTransport t = KafkaTransport.connect(config, Spool.open(SpoolConfig.of(dir)), settings);
        toClose.add(t);
        List<Batch> submitted = interleaved(5, "s1", "s2");
        submitted.forEach(t::submit);
        assertThat(t.awaitSpooled(WAIT)).isTrue();
        awaitTrue("a delivery failed", WAIT, () -> t.stats().failures() >= 1);
        assertThat(t.stats().applied()).isZero();
        assertThat(t.stats().spool().batches()).isEqualTo(10);
        t.close();

        try (Spool spool = Spool.open(SpoolConfig.of(dir))) {
            assertThat(drain(spool)).containsExactlyElementsOf(submitted);
        }
    }
}
