package org.fleettap.collector.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.OutputLine;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path: applies batches exactly once, each group of batches in one synced
 * {@link WriteBatch}.
 *
 * <p>A delta's 1 s window entry is put without reading (its key holds the batch's sequence, see
 * {@link AggregateKeys}). With rollup on, its 1 min and 1 h windows are not rewritten at once: the
 * delta is added to their sums in {@link PendingRollups}, and the batch writes a rollup record
 * ({@link AppliedKeys#unrolled}) naming its 1 s entries, in the same WriteBatch. A source's
 * (host, session's) pending windows are merged into the stored ones — read from a bounded cache
 * of recently written windows or in one multi-get, merged and rewritten — when its batches move on
 * to another minute, when more windows are pending than the options allow, and by
 * {@link #flushAll} (compaction, close, open); that write deletes the source's rollup records. So
 * at every write the stored rollup windows plus the 1 s entries named by rollup records hold
 * every delta applied exactly once, and {@link PendingRollups} holds the sums of the latter.
 *
 * <p>This relies on being the only writer of the {@code aggregates} and {@code applied} column
 * families: {@link Store} calls it under its write lock. Its caches (applied state per (host,
 * session), rollup windows) are touched only there and hold what the database holds: they change
 * only after a write succeeded, and when a write fails they are dropped and the pending rollups
 * are rebuilt from the rollup records before the next call ({@link #ensureRecovered}), as after a
 * crash.
 */
final class Ingest {
    private static final Logger log = LoggerFactory.getLogger(Ingest.class);
    private final RocksDB db;
    private final ColumnFamilyHandle aggregates;
    private final ColumnFamilyHandle rollups;
    private final ColumnFamilyHandle output;
    private final ColumnFamilyHandle applied;
    private final WriteOptions writeOptions;
    private final boolean rollup;
    private final int maxPendingWindows;
    private final Map<HostSession, AppliedState> states = new HashMap<>();
    private final Map<ByteKey, MergeableAggregate> rollupCache;
    private final PendingRollups pending = new PendingRollups();
    /** False until {@link #pending} has been read from the rollup records. */
    private boolean recovered;
    private final AtomicLong appliedCount = new AtomicLong();
    private final AtomicLong duplicateCount = new AtomicLong();
    private final AtomicLong rejectedCount = new AtomicLong();

    record HostSession(String host, String session) {}

    /**
     * @param rollupCacheEntries how many rollup windows to keep decoded: at most this many written
     *     ones in the cache, and, when more are pending, every pending window is written
     */
    Ingest(RocksDB db, ColumnFamilyHandle aggregates, ColumnFamilyHandle rollups, ColumnFamilyHandle output,
            ColumnFamilyHandle applied, WriteOptions writeOptions, boolean rollup, int rollupCacheEntries) {
        this.db = db;
        this.aggregates = aggregates;
        this.rollups = rollups;
        this.output = output;
        this.applied = applied;
        this.writeOptions = writeOptions;
        this.rollup = rollup;
        this.maxPendingWindows = rollupCacheEntries;
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

    /** Forgets cached state (after something else rewrote the column families); nothing may be pending. */
    void clearCaches() {
        states.clear();
        rollupCache.clear();
    }

    /**
     * Applies {@code batches} in order and stores {@code kafkaOffsets}, all in one synced write.
     *
     * @throws StoreException if the write fails: then nothing was applied
     */
    List<ApplyResult> apply(List<WireBatch> batches, Map<KafkaPartition, Long> kafkaOffsets) {
        ensureRecovered();
        List<ApplyResult> results = new ArrayList<>(batches.size());
        try (WriteBatch wb = new WriteBatch()) {
            Group group = new Group(wb);
            for (WireBatch b : batches) {
                results.add(group.add(b));
            }
            if (pending.size() > maxPendingWindows) {
                group.flushing.addAll(pending.sourceIds());
            }
            flush(group.flushing, wb, group.written);
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
            forget();
            throw new StoreException("writing " + batches.size() + " batches: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            forget();
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

    /**
     * Merges every pending rollup window into the stored ones, in one synced write; after it,
     * nothing is pending and no rollup record is left.
     *
     * @throws StoreException if the write fails
     */
    void flushAll() {
        ensureRecovered();
        if (pending.isEmpty()) {
            return;
        }
        Map<ByteKey, MergeableAggregate> written = new HashMap<>();
        try (WriteBatch wb = new WriteBatch()) {
            flush(pending.sourceIds(), wb, written);
            db.write(writeOptions, wb);
            rollupCache.putAll(written);
        } catch (RocksDBException e) {
            forget();
            throw new StoreException("writing the pending rollup windows: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            forget();
            throw e;
        }
    }

    /**
     * Visits the pending minutes of the series whose keys begin with {@code prefix}: what the stored
     * minute and hour windows that hold them lack. Call under the store's write lock; the visitor
     * must not keep or change the sums.
     */
    void forEachPending(byte[] prefix, java.util.function.Consumer<PendingRollups.Minute> visitor) {
        ensureRecovered();
        pending.forEachIn(prefix, visitor);
    }

    /** What the stored rollup window of a series lacks (a new aggregate), or null if nothing. */
    MergeableAggregate pendingWindow(byte[] series, Resolution r, long start) {
        ensureRecovered();
        return pending.window(series, r, start);
    }

    /** After a failed write: nothing cached can be trusted, and the pending sums are rebuilt. */
    private void forget() {
        rollupCache.clear();
        pending.clear();
        recovered = false;
    }

    /**
     * Reads the pending rollups from the rollup records (after opening, or after a failed write):
     * the deltas of the 1 s entries they name.
     */
    private void ensureRecovered() {
        if (recovered) {
            return;
        }
        pending.clear();
        byte[] prefix = {(byte) AppliedKeys.UNROLLED};
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = db.newIterator(applied, ro)) {
            for (it.seek(prefix); it.isValid() && OrderedKey.startsWith(it.key(), prefix); it.next()) {
                OrderedKey.Reader k = new OrderedKey.Reader(it.key(), 1);
                HostSession hs = new HostSession(k.getString(), k.getString());
                long sequence = k.getLong();
                recoverBatch(hs, sequence, it.value());
            }
            it.status();
        } catch (RocksDBException e) {
            pending.clear();
            throw new StoreException("reading the rollup records: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            pending.clear();
            throw e;
        }
        recovered = true;
        if (!pending.isEmpty()) {
            log.info("{} rollup windows pending from before", pending.size());
        }
    }

    private void recoverBatch(HostSession hs, long sequence, byte[] record) throws RocksDBException {
        OrderedKey.Reader r = new OrderedKey.Reader(record);
        long second = r.getLong();
        List<byte[]> keys = new ArrayList<>();
        while (!r.atEnd()) {
            int from = r.position();
            r.skipString();
            r.skipKey();
            byte[] series = new OrderedKey.Writer().putString(hs.session()).putEncoded(record, from, r.position())
                    .putString(hs.host()).toBytes();
            keys.add(AggregateKeys.second(series, second, sequence));
        }
        List<byte[]> values = db.multiGetAsList(Collections.nCopies(keys.size(), aggregates), keys);
        PendingRollups.Source source = pending.source(hs);
        source.minute = Resolution.MINUTE.floor(second);
        source.addSequence(sequence);
        for (int i = 0; i < keys.size(); i++) {
            byte[] v = values.get(i);
            if (v == null) {
                throw new StoreException("the rollup record of batch " + sequence + " of host " + hs.host()
                        + " session " + hs.session() + " names " + StoredAggregates.describe(keys.get(i))
                        + ", which is not stored");
            }
            AggregateKeys.Parsed p = AggregateKeys.parse(keys.get(i));
            pending.add(source, new ByteKey(Arrays.copyOf(keys.get(i), p.seriesEnd())), second,
                    StoredAggregates.read(keys.get(i), v));
        }
    }

    /**
     * Puts into {@code wb} the pending windows of {@code sources} merged into the stored ones, and
     * the deletion of their rollup records; {@code written} gets the new windows (for the cache,
     * once written). They are no longer pending.
     */
    private void flush(java.util.Collection<HostSession> sources, WriteBatch wb,
            Map<ByteKey, MergeableAggregate> written) throws RocksDBException {
        List<PendingRollups.Minute> minutes = new ArrayList<>();
        for (HostSession hs : sources) {
            PendingRollups.Source s = pending.remove(hs, minutes);
            if (s != null) {
                for (long sequence : s.sequences()) {
                    wb.delete(applied, AppliedKeys.unrolled(hs.host(), hs.session(), sequence));
                }
            }
        }
        // Each pending minute goes into its minute window and its hour window.
        Map<ByteKey, MergeableAggregate> toWrite = new LinkedHashMap<>();
        for (PendingRollups.Minute m : minutes) {
            toWrite.put(new ByteKey(RollupKeys.window(m.series(), Resolution.MINUTE, m.start())), m.sum());
            ByteKey hour = new ByteKey(RollupKeys.window(m.series(), Resolution.HOUR,
                    Resolution.HOUR.floor(m.start())));
            MergeableAggregate sum = toWrite.get(hour);
            if (sum == null) {
                toWrite.put(hour, m.sum().copy());
            } else {
                sum.merge(m.sum());
            }
        }
        List<ByteKey> keys = new ArrayList<>(toWrite.keySet());
        List<MergeableAggregate> sums = new ArrayList<>(toWrite.values());
        List<ByteKey> toRead = new ArrayList<>();
        List<MergeableAggregate> toReadSums = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            MergeableAggregate cached = rollupCache.get(keys.get(i));
            if (cached != null) {
                cached.merge(sums.get(i));
                written.put(keys.get(i), cached);
            } else {
                toRead.add(keys.get(i));
                toReadSums.add(sums.get(i));
            }
        }
        if (!toRead.isEmpty()) {
            List<byte[]> readKeys = new ArrayList<>(toRead.size());
            toRead.forEach(k -> readKeys.add(k.bytes()));
            List<byte[]> stored = db.multiGetAsList(Collections.nCopies(readKeys.size(), rollups), readKeys);
            for (int i = 0; i < readKeys.size(); i++) {
                MergeableAggregate value = toReadSums.get(i);
                byte[] old = stored.get(i);
                if (old != null) {
                    MergeableAggregate merged = StoredAggregates.readRollup(readKeys.get(i), old);
                    merged.merge(value);
                    value = merged;
                }
                written.put(toRead.get(i), value);
            }
        }
        for (ByteKey k : keys) {
            wb.put(rollups, k.bytes(), written.get(k).toProto().toByteArray());
        }
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

    /** The batches of one write: their states, and the sources whose pending rollups it writes. */
    private final class Group {
        private final WriteBatch wb;
        private final Map<HostSession, AppliedState> states = new HashMap<>();
        /** Sources whose pending windows this write merges into the stored ones. */
        private final java.util.Set<HostSession> flushing = new java.util.LinkedHashSet<>();
        /** Per rollup window, what this group writes (for the cache once written). */
        private final Map<ByteKey, MergeableAggregate> written = new HashMap<>();

        Group(WriteBatch wb) {
            this.wb = wb;
        }

        ApplyResult add(WireBatch b) throws RocksDBException {
            if (b.rejection != null) {
                log.warn("rejected batch {} of host '{}' session '{}': {}", Long.toUnsignedString(b.sequence),
                        b.hostId, b.sessionId, b.rejection);
                return result(b, AckStatus.ACK_STATUS_REJECTED, b.rejection);
            }
            HostSession hs = new HostSession(b.hostId, b.sessionId);
            AppliedState before = states.get(hs);
            if (before == null) {
                before = state(hs);
            }
            if (b.sequence <= before.sequence()) {
                return result(b, AckStatus.ACK_STATUS_DUPLICATE, "");
            }
            states.put(hs, before.next(b.sequence, b.recordsLost, b.eventsDropped, b.spoolDroppedBatches));
            long start = b.windowStart;
            long second = Resolution.SECOND.floor(start);
            List<WireBatch.Delta> deltas = b.deltas;
            PendingRollups.Source source = null;
            if (rollup && !deltas.isEmpty()) {
                long minute = Resolution.MINUTE.floor(start);
                if (pending.has(hs) && pending.source(hs).minute != minute) {
                    flushing.add(hs);
                }
                source = pending.source(hs);
                source.minute = minute;
                source.addSequence(b.sequence);
            }
            // One entry per series: deltas of the same statistic and key in one batch are merged.
            int sessionLength = b.sessionKeyLength;
            int hostLength = b.hostKeyLength;
            Map<ByteKey, MergeableAggregate> repeated = null;
            if (b.repeatsSeries) {
                repeated = new HashMap<>();
                java.util.Set<ByteKey> seen = new java.util.HashSet<>();
                for (WireBatch.Delta d : deltas) {
                    if (!seen.add(d.seriesKey())) {
                        repeated.put(d.seriesKey(), new MergeableAggregate());
                    }
                }
            }
            OrderedKey.Writer record = source == null ? null : new OrderedKey.Writer().putLong(second);
            for (int i = 0; i < deltas.size(); i++) {
                WireBatch.Delta d = deltas.get(i);
                byte[] series = d.series();
                MergeableAggregate merged = repeated == null ? null : repeated.get(d.seriesKey());
                if (merged == null) {
                    // The aggregate's bytes as the agent sent them (checked by the decoder): no re-encoding.
                    wb.put(aggregates, AggregateKeys.second(series, second, b.sequence), d.value());
                    if (record != null) {
                        record.putEncoded(series, sessionLength, series.length - hostLength);
                    }
                } else {
                    merged.merge(d.aggregate());
                }
                if (source != null) {
                    // The delta is this group's own (decoded from the batch): no copy needed.
                    pending.add(source, d.seriesKey(), start, d.aggregate());
                }
            }
            if (repeated != null) {
                for (Map.Entry<ByteKey, MergeableAggregate> e : repeated.entrySet()) {
                    byte[] series = e.getKey().bytes();
                    wb.put(aggregates, AggregateKeys.second(series, second, b.sequence),
                            e.getValue().toProto().toByteArray());
                    if (record != null) {
                        record.putEncoded(series, sessionLength, series.length - hostLength);
                    }
                }
            }
            if (record != null) {
                wb.put(applied, AppliedKeys.unrolled(b.hostId, b.sessionId, b.sequence), record.toBytes());
            }
            for (int i = 0; i < b.output.size(); i++) {
                OutputLine line = b.output.get(i);
                wb.put(output, OutputKeys.line(b.sessionId, line.getTimeUnixNanos(), b.hostId, b.sequence, i),
                        line.getText().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return result(b, AckStatus.ACK_STATUS_APPLIED, "");
        }
    }

    private static ApplyResult result(WireBatch b, AckStatus status, String error) {
        return new ApplyResult(b.hostId, b.sessionId, b.sequence, status, error);
    }
}
