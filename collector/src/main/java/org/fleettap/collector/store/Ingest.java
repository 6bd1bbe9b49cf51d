package org.fleettap.collector.store;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * <p>A delta's 1 s window entry is put without reading (its key holds the batch's sequence, see
 * {@link AggregateKeys}). Its rollup windows are read, merged and rewritten (RocksJava has no custom
 * merge operators): the deltas of a group are first summed per rollup window, so each window is
 * read and written once per group, and recently written rollup windows are kept decoded in a
 * bounded cache, so most need no read.
 *
 * <p>This relies on being the only writer of the {@code aggregates} and {@code applied} column
 * families: {@link Store} calls it under its write lock. Its caches (applied state per (host,
 * session), rollup windows) are touched only there and hold what the database holds: they change
 * only after a write succeeded, and the rollup cache is dropped when a write fails or retention
 * deletes windows.
 */
final class Ingest {
    private static final Logger log = LoggerFactory.getLogger(Ingest.class);

    private final RocksDB db;
    private final ColumnFamilyHandle aggregates;
    private final ColumnFamilyHandle output;
    private final ColumnFamilyHandle applied;
    private final WriteOptions writeOptions;
    private final Resolution[] rollups;
    private final Map<HostSession, AppliedState> states = new HashMap<>();
    private final Map<ByteKey, MergeableAggregate> rollupCache;
    private final AtomicLong appliedCount = new AtomicLong();
    private final AtomicLong duplicateCount = new AtomicLong();
    private final AtomicLong rejectedCount = new AtomicLong();

    record HostSession(String host, String session) {}

    Ingest(RocksDB db, ColumnFamilyHandle aggregates, ColumnFamilyHandle output, ColumnFamilyHandle applied,
            WriteOptions writeOptions, Resolution[] rollups, int rollupCacheEntries) {
        this.db = db;
        this.aggregates = aggregates;
        this.output = output;
        this.applied = applied;
        this.writeOptions = writeOptions;
        this.rollups = rollups.clone();
        this.rollupCache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<ByteKey, MergeableAggregate> eldest) {
                return size() > rollupCacheEntries;
            }
        };
    }

    StoreStats stats() {
        return new StoreStats(appliedCount.get(), duplicateCount.get(), rejectedCount.get());
    }

    /** Forgets cached state (after something else rewrote the column families). */
    void clearCaches() {
        states.clear();
        rollupCache.clear();
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
            rollupCache.putAll(group.written);
        } catch (RocksDBException e) {
            // Cached rollup windows may have been merged into already.
            rollupCache.clear();
            throw new StoreException("writing " + batches.size() + " batches: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            rollupCache.clear();
            throw e;
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
        /** Per rollup window, the deltas of this group summed. */
        private final Map<ByteKey, MergeableAggregate> pending = new HashMap<>();
        /** Per rollup window, what this group writes (for the cache once written). */
        private final Map<ByteKey, MergeableAggregate> written = new HashMap<>();

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
            long second = Resolution.SECOND.floor(start);
            // One entry per series: deltas of the same statistic and key in one batch are merged.
            List<BatchDecoder.Delta> deltas = decoded.deltas();
            List<ByteKey> seriesKeys = new ArrayList<>(deltas.size());
            Map<ByteKey, MergeableAggregate> repeated = null;
            Map<ByteKey, Boolean> seen = new HashMap<>(deltas.size() * 2);
            for (BatchDecoder.Delta d : deltas) {
                ByteKey series = new ByteKey(AggregateKeys.series(b.getSessionId(), d.name(), d.key(), b.getHostId()));
                seriesKeys.add(series);
                if (seen.put(series, Boolean.TRUE) != null) {
                    if (repeated == null) {
                        repeated = new HashMap<>();
                    }
                    repeated.put(series, new MergeableAggregate());
                }
            }
            for (int i = 0; i < deltas.size(); i++) {
                BatchDecoder.Delta d = deltas.get(i);
                byte[] series = seriesKeys.get(i).bytes();
                MergeableAggregate merged = repeated == null ? null : repeated.get(seriesKeys.get(i));
                if (merged == null) {
                    wb.put(aggregates, AggregateKeys.second(series, second, b.getSequence()), d.message().toByteArray());
                } else {
                    merged.merge(d.aggregate());
                }
                for (Resolution r : rollups) {
                    ByteKey key = new ByteKey(AggregateKeys.window(series, r, r.floor(start)));
                    MergeableAggregate sum = pending.get(key);
                    if (sum == null) {
                        // The delta is this group's own (decoded from the batch): no copy needed.
                        pending.put(key, r == rollups[0] ? d.aggregate() : d.aggregate().copy());
                    } else {
                        sum.merge(d.aggregate());
                    }
                }
            }
            if (repeated != null) {
                for (Map.Entry<ByteKey, MergeableAggregate> e : repeated.entrySet()) {
                    wb.put(aggregates, AggregateKeys.second(e.getKey().bytes(), second, b.getSequence()),
                            e.getValue().toProto().toByteArray());
                }
            }
            for (int i = 0; i < b.getOutputCount(); i++) {
                OutputLine line = b.getOutput(i);
                wb.put(output, OutputKeys.line(b.getSessionId(), line.getTimeUnixNanos(), b.getHostId(),
                        b.getSequence(), i), line.getText().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return result(b, AckStatus.ACK_STATUS_APPLIED, "");
        }

        /**
         * Merges the summed deltas into the stored rollup windows (cached, or read in one multi-get)
         * and puts the results into the write batch.
         */
        void writeAggregates() throws RocksDBException {
            List<ByteKey> toRead = new ArrayList<>();
            for (Map.Entry<ByteKey, MergeableAggregate> e : pending.entrySet()) {
                MergeableAggregate cached = rollupCache.get(e.getKey());
                if (cached != null) {
                    cached.merge(e.getValue());
                    written.put(e.getKey(), cached);
                } else {
                    toRead.add(e.getKey());
                }
            }
            if (!toRead.isEmpty()) {
                List<byte[]> keys = new ArrayList<>(toRead.size());
                toRead.forEach(k -> keys.add(k.bytes()));
                List<byte[]> stored = db.multiGetAsList(Collections.nCopies(keys.size(), aggregates), keys);
                for (int i = 0; i < keys.size(); i++) {
                    MergeableAggregate value = pending.get(toRead.get(i));
                    byte[] old = stored.get(i);
                    if (old != null) {
                        MergeableAggregate merged = StoredAggregates.read(keys.get(i), old);
                        merged.merge(value);
                        value = merged;
                    }
                    written.put(toRead.get(i), value);
                }
            }
            for (Map.Entry<ByteKey, MergeableAggregate> e : written.entrySet()) {
                wb.put(aggregates, e.getKey().bytes(), e.getValue().toProto().toByteArray());
            }
        }
    }

    private static ApplyResult result(Batch b, AckStatus status, String error) {
        return new ApplyResult(b.getHostId(), b.getSessionId(), b.getSequence(), status, error);
    }
}
