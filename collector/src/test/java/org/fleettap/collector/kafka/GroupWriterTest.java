package org.fleettap.collector.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.collector.CollectorTesting.SESSION;
import static org.fleettap.collector.CollectorTesting.counted;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.fleettap.collector.CollectorTesting;
import org.fleettap.collector.store.ApplyResult;
import org.fleettap.collector.store.KafkaPartition;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoreOptions;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer side of Kafka ingest against a real store: groups written in order, once; a failed write (injected
 * before the store is called, so nothing of it is applied) drops the group read after it, and after {@code quiesce}
 * the records read again are applied exactly once; stopping completes the write in progress only.
 */
class GroupWriterTest {
    private static final String HOST = "h";
    private static final String TOPIC = "t";

    @TempDir
    Path tmp;

    private Store store;
    private final List<GroupWriter.Group> written = new CopyOnWriteArrayList<>();
    private final List<List<ApplyResult>> results = new CopyOnWriteArrayList<>();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicBoolean failNext = new AtomicBoolean();
    private final CountDownLatch entered = new CountDownLatch(1);
    private volatile CountDownLatch release = new CountDownLatch(0);
    private GroupWriter writer;

    @BeforeEach
    void open() {
        store = Store.open(tmp.resolve("store"), StoreOptions.defaults());
        writer = new GroupWriter("test-writer", (batches, offsets) -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            if (failNext.getAndSet(false)) {
                throw new IllegalStateException("injected: the disk is gone");
            }
            return store.applyAll(batches, offsets);
        }, (g, r) -> {
            written.add(g);
            results.add(r);
        }, e -> failures.incrementAndGet());
    }

    @AfterEach
    void close() throws InterruptedException {
        release.countDown();
        writer.stop(10_000);
        store.close();
    }

    /** Batches {@code from..to} of one host, with the offset after them in partition 0. */
    private static GroupWriter.Group group(long epoch, int from, int to) {
        List<Batch> batches = new ArrayList<>();
        for (int seq = from; seq <= to; seq++) {
            batches.add(counted(HOST, SESSION, seq));
        }
        return new GroupWriter.Group(epoch, batches, Map.of(new KafkaPartition(TOPIC, 0), (long) to),
                Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(to)), batches.size(), 0, 0);
    }

    private List<AckStatus> statuses() {
        return results.stream().flatMap(List::stream).map(ApplyResult::status).toList();
    }

    @Test
    void writesGroupsInOrderOnceAndHandsTheirOffsetsToTheCommit() throws Exception {
        List<GroupWriter.Group> groups = List.of(group(0, 1, 3), group(0, 4, 6), group(0, 7, 9));
        for (GroupWriter.Group g : groups) {
            assertThat(writer.put(g)).isTrue();
        }
        CollectorTesting.await("three groups written", () -> written.size() == 3);

        assertThat(written).containsExactlyElementsOf(groups);
        assertThat(statuses()).hasSize(9).containsOnly(AckStatus.ACK_STATUS_APPLIED);
        assertThat(store.appliedSequence(HOST, SESSION).orElseThrow()).isEqualTo(9);
        assertThat(store.kafkaOffsets()).isEqualTo(Map.of(new KafkaPartition(TOPIC, 0), 9L));
        assertThat(writer.takeCommit()).isEqualTo(Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(9)));
        assertThat(writer.takeCommit()).isEmpty();
        assertThat(failures.get()).isZero();
    }

    @Test
    void aFailedWriteDropsWhatWasReadAfterItAndTheRecordsReadAgainApplyOnce() throws Exception {
        release = new CountDownLatch(1);
        failNext.set(true);
        assertThat(writer.put(group(0, 1, 3))).isTrue();
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("the writer took the first group").isTrue();
        assertThat(writer.put(group(0, 4, 6))).as("read while the first is written").isTrue();
        release.countDown();
        CollectorTesting.await("the first write failed", () -> failures.get() == 1);
        assertThat(writer.epoch()).isEqualTo(1);

        // The consumer sees the new epoch, quiesces, seeks to the stored offsets (none) and reads everything again.
        long epoch = writer.quiesce();
        assertThat(epoch).isEqualTo(2);
        assertThat(store.kafkaOffsets()).isEmpty();
        assertThat(writer.put(group(epoch, 1, 3))).isTrue();
        assertThat(writer.put(group(epoch, 4, 6))).isTrue();
        CollectorTesting.await("both groups written", () -> written.size() == 2);

        assertThat(written).extracting(GroupWriter.Group::epoch).containsExactly(2L, 2L);
        assertThat(statuses()).as("nothing of the dropped groups was applied before")
                .hasSize(6).containsOnly(AckStatus.ACK_STATUS_APPLIED);
        assertThat(store.appliedSequence(HOST, SESSION).orElseThrow()).isEqualTo(6);
        assertThat(store.kafkaOffsets()).isEqualTo(Map.of(new KafkaPartition(TOPIC, 0), 6L));
        assertThat(failures.get()).isEqualTo(1);
    }

    @Test
    void stopCompletesTheWriteInProgressAndDropsTheGroupWaiting() throws Exception {
        release = new CountDownLatch(1);
        assertThat(writer.put(group(0, 1, 3))).isTrue();
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(writer.put(group(0, 4, 6))).isTrue();
        Thread stopper = new Thread(() -> {
            try {
                writer.stop(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stopper.start();
        CollectorTesting.await("stopping", () -> stopper.getState() == Thread.State.TIMED_WAITING);
        release.countDown();
        stopper.join(10_000);

        assertThat(stopper.isAlive()).isFalse();
        assertThat(written).extracting(g -> g.batches().size()).containsExactly(3);
        assertThat(store.appliedSequence(HOST, SESSION).orElseThrow()).isEqualTo(3);
        assertThat(store.kafkaOffsets()).isEqualTo(Map.of(new KafkaPartition(TOPIC, 0), 3L));
        assertThat(writer.put(group(0, 4, 6))).as("a stopped writer takes nothing").isFalse();
    }
}
