package org.fleettap.collector.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.fleettap.collector.store.ApplyResult;
import org.fleettap.collector.store.KafkaPartition;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.WireBatch;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the collector's writers apply batches, and where live queries learn of them: every writer (the gRPC ingest
 * thread, the Kafka consumer) applies through {@link #apply}, which publishes the batches the store reported APPLIED
 * to every listener before it returns. So a listener sees each batch applied after it subscribed exactly once, and
 * the batches of one (host, session) in sequence order.
 *
 * <p>{@link #read} runs a store read that no apply overlaps: whatever the read sees was either applied before the
 * listener subscribed, or has been handed to it already. A live query reading stored data and then following the
 * feed uses this to deliver each batch once (reads hold up ingest: keep them short, a page at a time).
 *
 * <p>Listeners run on the writer's thread, inside the apply: they must only hand the batches over (to a bounded
 * queue, say) and return. A listener that throws is logged and keeps its subscription.
 */
public final class AppliedFeed {
    private static final Logger log = LoggerFactory.getLogger(AppliedFeed.class);

    /** Receives applied batches. */
    @FunctionalInterface
    public interface Listener {
        /**
         * {@code batches} were applied just now (never empty; the list is immutable). A batch that came
         * through gRPC carries its deltas' names but not their keys and aggregates, which the store holds.
         */
        void applied(List<Batch> batches);
    }

    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();

    /** Adds {@code listener}; closing the returned handle removes it. */
    public AutoCloseable subscribe(Listener listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * {@link Store#applyAll} and publishes the batches applied.
     *
     * @throws RuntimeException what the store threw; then nothing was applied nor published
     */
    public List<ApplyResult> apply(Store store, List<Batch> batches, Map<KafkaPartition, Long> kafkaOffsets) {
        List<WireBatch> wire = new ArrayList<>(batches.size());
        for (Batch b : batches) {
            wire.add(WireBatch.of(b));
        }
        return applyWire(store, wire, kafkaOffsets);
    }

    /**
     * {@link Store#applyWire} and publishes the batches applied (as {@link WireBatch#batch}: those
     * read from bytes carry their deltas' names, not their keys and aggregates).
     *
     * @throws RuntimeException what the store threw; then nothing was applied nor published
     */
    public List<ApplyResult> applyWire(Store store, List<WireBatch> batches, Map<KafkaPartition, Long> kafkaOffsets) {
        gate.writeLock().lock();
        try {
            List<ApplyResult> results = store.applyWire(batches, kafkaOffsets);
            List<Batch> applied = new ArrayList<>(results.size());
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i).status() == AckStatus.ACK_STATUS_APPLIED) {
                    applied.add(batches.get(i).batch());
                }
            }
            publish(applied);
            return results;
        } finally {
            gate.writeLock().unlock();
        }
    }

    /** Runs {@code read} while no apply is in progress. */
    public <T> T read(Supplier<T> read) {
        gate.readLock().lock();
        try {
            return read.get();
        } finally {
            gate.readLock().unlock();
        }
    }

    private void publish(List<Batch> batches) {
        if (batches.isEmpty()) {
            return;
        }
        List<Batch> copy = List.copyOf(batches);
        for (Listener l : listeners) {
            try {
                l.applied(copy);
            } catch (RuntimeException e) {
                log.error("a listener of applied batches failed on {} batches", copy.size(), e);
            }
        }
    }

    int listenerCount() {
        return listeners.size();
    }
}
