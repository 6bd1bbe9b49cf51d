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
 * 1 min and 1 h windows, summed per rollup window.
 *
 * <p>Why: merging each delta into its rollup windows as it arrives reads, merges, encodes and
 * rewrites two windows per series every second, which costs several times what writing the 1 s
 * entry does. Ingest instead sums a series' deltas here and writes its rollup windows when the
 * series' <em>source</em> — the (host, session) whose batches fill it — moves on to another
 * minute, when too many windows are pending, and when the store is compacted or closed: about once
 * a minute per series instead of once a second.
 *
 * <p>Durability (see {@link Ingest}): the batch that adds deltas here writes, in its own
 * WriteBatch, a rollup record ({@link AppliedKeys#unrolled}) naming the 1 s entries it wrote; the
 * write that merges a source's pending windows into the stored ones deletes the source's records.
 * After a crash the records name exactly the 1 s entries whose deltas the stored rollups lack, and
 * this is rebuilt from them.
 *
 * <p>Not thread-safe: touched only under the store's write lock, where queries also read it (with
 * their snapshot), so that a query sees each delta either in a stored window or here, never in
 * both or neither.
 */
final class PendingRollups {
    /** One (host, session): its pending windows, and the batches whose rollup records are not yet deleted. */
    static final class Source {
        /** The minute of the source's last batch. */
        long minute;
        final Set<ByteKey> windows = new HashSet<>();
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

    /** Per rollup window key ({@link AggregateKeys#window}), the pending deltas summed. */
    private final Map<ByteKey, MergeableAggregate> windows = new HashMap<>();
    private final Map<Ingest.HostSession, Source> sources = new HashMap<>();

    /** Number of pending windows. */
    int size() {
        return windows.size();
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
     * Adds {@code delta} to the pending window {@code window} of {@code source}.
     *
     * @param owned whether the delta may become the window's sum (nobody else changes or keeps it);
     *     otherwise a new window gets a copy
     */
    void add(Source source, ByteKey window, MergeableAggregate delta, boolean owned) {
        MergeableAggregate sum = windows.get(window);
        if (sum == null) {
            windows.put(window, owned ? delta : delta.copy());
            source.windows.add(window);
        } else {
            sum.merge(delta);
        }
    }

    /** The pending sum of one window, or null; the caller must not change it. */
    MergeableAggregate get(ByteKey window) {
        return windows.get(window);
    }

    /** Removes the source and its windows; @return its state (null if it had none), windows' sums in {@code sums}. */
    Source remove(Ingest.HostSession hs, List<ByteKey> keys, List<MergeableAggregate> sums) {
        Source s = sources.remove(hs);
        if (s != null) {
            for (ByteKey k : s.windows) {
                keys.add(k);
                sums.add(windows.remove(k));
            }
        }
        return s;
    }

    /** Visits every pending window whose key begins with {@code prefix}; the visitor must not change the sums. */
    void forEachIn(byte[] prefix, java.util.function.BiConsumer<byte[], MergeableAggregate> visitor) {
        for (Map.Entry<ByteKey, MergeableAggregate> e : windows.entrySet()) {
            if (OrderedKey.startsWith(e.getKey().bytes(), prefix)) {
                visitor.accept(e.getKey().bytes(), e.getValue());
            }
        }
    }

    void clear() {
        windows.clear();
        sources.clear();
    }
}
