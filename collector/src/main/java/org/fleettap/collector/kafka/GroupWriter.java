package org.fleettap.collector.kafka;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.fleettap.collector.store.ApplyResult;
import org.fleettap.collector.store.KafkaPartition;
import org.fleettap.proto.v1.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store side of {@link KafkaIngest}, on its own thread, so that the consumer's thread polls and parses the next
 * group of records while this one writes the last: a one-slot hand-over, written in order.
 *
 * <p>Groups carry the epoch they were read in. A failed write starts a new epoch: every group read before it is
 * dropped unwritten, and the consumer, seeing the new epoch, goes back to the offsets in the store and reads again.
 * {@link #quiesce} (before the consumer seeks: after a failure, on a new assignment) drops the waiting group and
 * waits for the write in progress, so the offsets the consumer reads from the store are final.
 */
final class GroupWriter {
    private static final Logger log = LoggerFactory.getLogger(GroupWriter.class);

    /** One poll's records: the batches parsed from them and the offsets after them. */
    record Group(long epoch, List<Batch> batches, Map<KafkaPartition, Long> offsets,
            Map<TopicPartition, OffsetAndMetadata> commit, int records, int malformed, int oversized) {}

    /** Applies a group in one store write; throws when nothing of it was applied. */
    @FunctionalInterface
    interface Apply {
        List<ApplyResult> apply(List<Batch> batches, Map<KafkaPartition, Long> offsets);
    }

    private final Apply apply;
    private final BiConsumer<Group, List<ApplyResult>> written;
    private final Consumer<RuntimeException> failed;
    private final Thread thread;
    private final Object lock = new Object();
    // Guarded by lock.
    private Group pending;
    private boolean writing;
    private boolean stopping;
    private long epoch;
    private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();

    /**
     * @param written told of each group applied, with the store's result for each of its batches
     * @param failed told of each write that failed (a new epoch has begun)
     */
    GroupWriter(String threadName, Apply apply, BiConsumer<Group, List<ApplyResult>> written,
            Consumer<RuntimeException> failed) {
        this.apply = Objects.requireNonNull(apply, "apply");
        this.written = Objects.requireNonNull(written, "written");
        this.failed = Objects.requireNonNull(failed, "failed");
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** The epoch groups read from now on belong to. */
    long epoch() {
        synchronized (lock) {
            return epoch;
        }
    }

    /** Hands {@code group} over, waiting while the one before it still waits; false once stopping. */
    boolean put(Group group) throws InterruptedException {
        synchronized (lock) {
            while (pending != null && !stopping) {
                lock.wait();
            }
            if (stopping) {
                return false;
            }
            pending = group;
            lock.notifyAll();
            return true;
        }
    }

    /**
     * Drops the group waiting, if any, waits until no write is in progress, and begins a new epoch, which it
     * returns: groups read before the call are never written.
     */
    long quiesce() throws InterruptedException {
        synchronized (lock) {
            epoch++;
            pending = null;
            lock.notifyAll();
            while (writing) {
                lock.wait();
            }
            return epoch;
        }
    }

    /** The offsets after the records written since the last call (for the group's monitoring commit), or empty. */
    Map<TopicPartition, OffsetAndMetadata> takeCommit() {
        synchronized (lock) {
            if (toCommit.isEmpty()) {
                return Map.of();
            }
            Map<TopicPartition, OffsetAndMetadata> out = Map.copyOf(toCommit);
            toCommit.clear();
            return out;
        }
    }

    /** Lets the write in progress complete, drops the group waiting, and waits for the thread to end. */
    void stop(long timeoutMillis) throws InterruptedException {
        synchronized (lock) {
            stopping = true;
            pending = null;
            lock.notifyAll();
        }
        thread.join(timeoutMillis);
        if (thread.isAlive()) {
            log.warn("the Kafka ingest writer did not stop within {} ms", timeoutMillis);
        }
    }

    private void run() {
        while (true) {
            Group g;
            synchronized (lock) {
                while (pending == null && !stopping) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (stopping) {
                    return;
                }
                g = pending;
                pending = null;
                lock.notifyAll();
                if (g.epoch() != epoch) {
                    continue; // read before a failed write or a seek: the consumer reads these records again
                }
                writing = true;
            }
            boolean ok = false;
            try {
                List<ApplyResult> results = apply.apply(g.batches(), g.offsets());
                ok = true;
                written.accept(g, results);
            } catch (RuntimeException e) {
                if (ok) {
                    log.error("counting a group written to the store failed", e);
                } else {
                    synchronized (lock) {
                        epoch++;
                    }
                    failed.accept(e);
                }
            } finally {
                synchronized (lock) {
                    writing = false;
                    if (ok) {
                        toCommit.putAll(g.commit());
                    }
                    lock.notifyAll();
                }
            }
        }
    }
}
