package org.fleettap.collector.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.OutputLine;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path: applies batches exactly once, each group of batches in one synced
 * {@link WriteBatch}.
 *
 * <p>Aggregates are read-merged-written (RocksJava has no custom merge operators), so this class
 * relies on being the only writer of the {@code aggregates} and {@code applied} column families:
 * {@link Store} calls it under its write lock. Its caches (applied state per (host, session)) are
 * touched only there and change only after a write succeeded.
 */
final class Ingest {
    private static final Logger log = LoggerFactory.getLogger(Ingest.class);

    private final RocksDB db;
    private final ColumnFamilyHandle aggregates;
    private final ColumnFamilyHandle output;
    private final ColumnFamilyHandle applied;
    private final WriteOptions writeOptions;
    private final Resolution[] resolutions;
    private final Map<HostSession, AppliedState> states = new HashMap<>();
    private final AtomicLong appliedCount = new AtomicLong();
    private final AtomicLong duplicateCount = new AtomicLong();
    private final AtomicLong rejectedCount = new AtomicLong();

    record HostSession(String host, String session) {}

    Ingest(RocksDB db, ColumnFamilyHandle aggregates, ColumnFamilyHandle output, ColumnFamilyHandle applied,
            WriteOptions writeOptions, Resolution[] resolutions) {
        this.db = db;
        this.aggregates = aggregates;
        this.output = output;
        this.applied = applied;
        this.writeOptions = writeOptions;
        this.resolutions = resolutions.clone();
    }

    StoreStats stats() {
        return new StoreStats(appliedCount.get(), duplicateCount.get(), rejectedCount.get());
    }

    /** Forgets cached state (after something else rewrote the column families). */
    void clearCaches() {
        states.clear();
    }

    /**
     * Applies {@code batches} in order and stores {@code kafkaOffsets}, all in one synced write.
     *
     * @throws StoreException if the write fails: then nothing was applied
     */
    List<ApplyResult> apply(List<Batch> batches, Map<KafkaPartition, Long> kafkaOffsets) {
        List<ApplyResult> results = new ArrayList<>(batches.size());
        try (WriteBatch wb = new WriteBatch()) {
            Group group = new Group(wb);
            for (Batch b : batches) {
                results.add(group.add(b));
            }
            group.writeAggregates();
            for (Map.Entry<HostSession, AppliedState> e : group.states.entrySet()) {
                wb.put(applied, AppliedKeys.sequence(e.getKey().host(), e.getKey().session()),
                        AppliedKeys.encode(e.getValue()));
            }
            for (Map.Entry<KafkaPartition, Long> e : kafkaOffsets.entrySet()) {
                wb.put(applied, AppliedKeys.kafkaOffset(e.getKey()), AppliedKeys.encodeLong(e.getValue()));
            }
            if (wb.count() > 0) {
                db.write(writeOptions, wb);
            }
            states.putAll(group.states);
        } catch (RocksDBException e) {
            throw new StoreException("writing " + batches.size() + " batches: " + e.getMessage(), e);
        }
        for (ApplyResult r : results) {
            switch (r.status()) {
                case ACK_STATUS_APPLIED -> appliedCount.incrementAndGet();
                case ACK_STATUS_DUPLICATE -> duplicateCount.incrementAndGet();
                default -> rejectedCount.incrementAndGet();
            }
        }
        return results;
    }

    private AppliedState state(HostSession hs) throws RocksDBException {
        AppliedState s = states.get(hs);
        if (s == null) {
            byte[] v = db.get(applied, AppliedKeys.sequence(hs.host(), hs.session()));
            s = v == null ? AppliedState.NONE : decodeState(hs, v);
            states.put(hs, s);
        }
        return s;
    }

    static AppliedState decodeState(HostSession hs, byte[] v) {
        try {
            return AppliedKeys.decode(v);
        } catch (IllegalArgumentException e) {
            throw new StoreException("reading the applied state of host " + hs.host() + " session " + hs.session()
                    + ": " + e.getMessage(), e);
        }
    }

    /** The batches of one write: their states and their aggregate deltas summed per window. */
    private final class Group {
        private final WriteBatch wb;
        private final Map<HostSession, AppliedState> states = new HashMap<>();
        private final Map<ByteKey, MergeableAggregate> pending = new HashMap<>();

        Group(WriteBatch wb) {
            this.wb = wb;
        }

        ApplyResult add(Batch b) throws RocksDBException {
            BatchDecoder.Decoded decoded;
            try {
                decoded = BatchDecoder.decode(b);
            } catch (BatchDecoder.RejectedBatchException e) {
                log.warn("rejected batch {} of host '{}' session '{}': {}", Long.toUnsignedString(b.getSequence()),
                        b.getHostId(), b.getSessionId(), e.getMessage());
                return result(b, AckStatus.ACK_STATUS_REJECTED, e.getMessage());
            }
            HostSession hs = new HostSession(b.getHostId(), b.getSessionId());
            AppliedState before = states.get(hs);
            if (before == null) {
                before = state(hs);
            }
            if (b.getSequence() <= before.sequence()) {
                return result(b, AckStatus.ACK_STATUS_DUPLICATE, "");
            }
            states.put(hs, before.next(b.getSequence(), b.getLosses().getRecordsLost(),
                    b.getLosses().getEventsDropped(), b.getSpoolDroppedBatches()));
            long start = b.getWindowStartUnixNanos();
            for (BatchDecoder.Delta d : decoded.deltas()) {
                byte[] series = AggregateKeys.series(b.getSessionId(), d.name(), d.key(), b.getHostId());
                for (Resolution r : resolutions) {
                    ByteKey key = new ByteKey(AggregateKeys.window(series, r, r.floor(start)));
                    pending.computeIfAbsent(key, k -> new MergeableAggregate()).merge(d.aggregate());
                }
            }
            for (int i = 0; i < b.getOutputCount(); i++) {
                OutputLine line = b.getOutput(i);
                wb.put(output, OutputKeys.line(b.getSessionId(), line.getTimeUnixNanos(), b.getHostId(),
                        b.getSequence(), i), line.getText().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return result(b, AckStatus.ACK_STATUS_APPLIED, "");
        }

        /** Merges the summed deltas into what is stored and puts the results into the write batch. */
        void writeAggregates() throws RocksDBException {
            if (pending.isEmpty()) {
                return;
            }
            List<byte[]> keys = new ArrayList<>(pending.size());
            List<MergeableAggregate> sums = new ArrayList<>(pending.size());
            for (Map.Entry<ByteKey, MergeableAggregate> e : pending.entrySet()) {
                keys.add(e.getKey().bytes());
                sums.add(e.getValue());
            }
            List<ColumnFamilyHandle> cfs = java.util.Collections.nCopies(keys.size(), aggregates);
            List<byte[]> stored = db.multiGetAsList(cfs, keys);
            for (int i = 0; i < keys.size(); i++) {
                MergeableAggregate value = sums.get(i);
                byte[] old = stored.get(i);
                if (old != null) {
                    MergeableAggregate merged = StoredAggregates.read(keys.get(i), old);
                    merged.merge(value);
                    value = merged;
                }
                wb.put(aggregates, keys.get(i), value.toProto().toByteArray());
            }
        }
    }

    private static ApplyResult result(Batch b, AckStatus status, String error) {
        return new ApplyResult(b.getHostId(), b.getSessionId(), b.getSequence(), status, error);
    }
}
