package org.fleettap.collector.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fleettap.aggregate.MergeableAggregate;

/**
 * Rollup deltas that are durable in their 1 s window entries but not yet merged into the stored
 * 1 min and 1 h windows, summed per series and minute.
 *
 * <p>Why: merging each delta into its rollup windows as it arrives reads, merges, encodes and
 * rewrites two windows per series every second, which costs several times what writing the 1 s
 * entry does. Ingest instead sums a series' deltas per minute here and writes its minute and hour
 * windows when the series' <em>source</em> — the (host, session) whose batches fill it — moves on
 * to another minute, when too many minutes are pending, and when the store is compacted or closed:
 * about once a minute per series instead of twice a second. A pending minute counts towards its
 * minute window and its hour window.
 *
 * <p>Durability (see {@link Ingest}): the batch that adds deltas here writes, in its own
 * WriteBatch, a rollup record ({@link AppliedKeys#unrolled}) naming the 1 s entries it wrote; the
 * write that merges a source's pending minutes into the stored windows deletes the source's
 * records. After a crash the records name exactly the 1 s entries whose deltas the stored rollups
 * lack, and this is rebuilt from them.
 *
 * <p>Not thread-safe: touched only under the store's write lock, where queries also read it (with
 * their snapshot), so that a query sees each delta either in a stored window or here, never in
 * both or neither.
 */
final class PendingRollups {
    /** One (host, session): its series with pending minutes, and the batches whose rollup records are not yet deleted. */
    static final class Source {
        /** The minute of the source's last batch. */
        long minute;
        private final Set<ByteKey> series = new HashSet<>();
        private long[] sequences = new long[8];
        private int sequenceCount;

        void addSequence(long sequence) {
            if (sequenceCount == sequences.length) {
                sequences = Arrays.copyOf(sequences, sequenceCount * 2);
            }
            sequences[sequenceCount++] = sequence;
        }

        /** The batches of the source whose deltas are pending. */
        long[] sequences() {
            return Arrays.copyOf(sequences, sequenceCount);
        }
    }

    /** A pending minute of a series: the deltas of the 1 s windows in it, summed. */
    record Minute(byte[] series, long start, MergeableAggregate sum) {}

    /** Per series key ({@link AggregateKeys#series}), its pending minutes (usually one). */
    private final Map<ByteKey, List<Minute>> series = new HashMap<>();
    private final Map<Ingest.HostSession, Source> sources = new HashMap<>();
    private int minutes;

    /** Number of pending minutes. */
    int size() {
        return minutes;
    }

    boolean isEmpty() {
        return sources.isEmpty();
    }

    /** The source's pending state, created empty if it has none. */
    Source source(Ingest.HostSession hs) {
        return sources.computeIfAbsent(hs, k -> new Source());
    }

    /** True if the source has pending deltas. */
    boolean has(Ingest.HostSession hs) {
        return sources.containsKey(hs);
    }

    List<Ingest.HostSession> sourceIds() {
        return new ArrayList<>(sources.keySet());
    }

    /**
     * Adds {@code delta} to the minute that holds {@code start} of series {@code seriesKey}, whose
     * source is {@code source}. The delta becomes the pending state's own (it is merged into, or
     * kept as a new minute's sum): nobody else may change or keep it.
     */
    void add(Source source, ByteKey seriesKey, long start, MergeableAggregate delta) {
        long minute = Resolution.MINUTE.floor(start);
        List<Minute> list = series.get(seriesKey);
        if (list == null) {
            list = new ArrayList<>(1);
            series.put(seriesKey, list);
            source.series.add(seriesKey);
        }
        for (Minute m : list) {
            if (m.start() == minute) {
                m.sum().merge(delta);
                return;
            }
        }
        list.add(new Minute(seriesKey.bytes(), minute, delta));
        minutes++;
    }

    /**
     * The pending deltas of one rollup window of a series merged (a new aggregate), or null if
     * none is pending.
     */
    MergeableAggregate window(byte[] seriesKey, Resolution r, long start) {
        List<Minute> list = series.get(new ByteKey(seriesKey));
        MergeableAggregate out = null;
        if (list != null) {
            for (Minute m : list) {
                if (r.floor(m.start()) == start) {
                    if (out == null) {
                        out = new MergeableAggregate();
                    }
                    out.merge(m.sum());
                }
            }
        }
        return out;
    }

    /** Removes the source and its pending minutes (added to {@code removed}); @return its state, null if it had none. */
    Source remove(Ingest.HostSession hs, List<Minute> removed) {
        Source s = sources.remove(hs);
        if (s != null) {
            for (ByteKey k : s.series) {
                List<Minute> list = series.remove(k);
                removed.addAll(list);
                minutes -= list.size();
            }
        }
        return s;
    }

    /** Visits every pending minute of a series whose key begins with {@code prefix}; the visitor must not change the sums. */
    void forEachIn(byte[] prefix, java.util.function.Consumer<Minute> visitor) {
        for (Map.Entry<ByteKey, List<Minute>> e : series.entrySet()) {
            if (OrderedKey.startsWith(e.getKey().bytes(), prefix)) {
                e.getValue().forEach(visitor);
            }
        }
    }

    void clear() {
        series.clear();
        sources.clear();
        minutes = 0;
    }
}
