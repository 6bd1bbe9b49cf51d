package org.fleettap.collector.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.collector.store.TestBatches.HOUR;
import static org.fleettap.collector.store.TestBatches.MINUTE;
import static org.fleettap.collector.store.TestBatches.SECOND;
import static org.fleettap.collector.store.TestBatches.T0;
import static org.fleettap.collector.store.TestBatches.aggregate;
import static org.fleettap.collector.store.TestBatches.batch;
import static org.fleettap.collector.store.TestBatches.k;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.KeyPart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

class RollupAndRetentionTest {
    static final List<KeyPart> KEY = List.of(k("read"));

    @TempDir
    Path dir;

    /** One batch per second from T0 on, for {@code seconds} seconds; second i records i, i+1 and -i. */
    private static List<Batch> seconds(String host, int seconds) {
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < seconds; i++) {
            // Windows need not start on the second: each counts in the second it starts in.
            long start = T0 + i * SECOND + 123_456;
            batches.add(batch(host, "s", i + 1, start).add("lat", KEY, i, i + 1, -i).build());
        }
        return batches;
    }

    private static MergeableAggregate merged(int fromSecond, int toSecond) {
        MergeableAggregate a = new MergeableAggregate();
        for (int i = fromSecond; i < toSecond; i++) {
            a.merge(aggregate(i, i + 1, -i));
        }
        return a;
    }

    private static Optional<MergeableAggregate> window(Store store, Resolution r, long start) {
        return store.window("s", "lat", KEY, "h1", r, start);
    }

    @Test
    void theMinuteRollupOfSixtySecondsIsTheirMerge() {
        try (Store store = Store.open(dir, StoreOptions.defaults())) {
            List<Batch> batches = seconds("h1", 120);
            // Two groups: the minute windows are read back and merged into by the second write.
            store.applyAll(batches.subList(0, 90), Map.of());
            store.applyAll(batches.subList(90, 120), Map.of());

            for (int i = 0; i < 120; i++) {
                assertThat(window(store, Resolution.SECOND, T0 + i * SECOND)).contains(aggregate(i, i + 1, -i));
            }
            assertThat(window(store, Resolution.MINUTE, T0)).contains(merged(0, 60));
            assertThat(window(store, Resolution.MINUTE, T0 + MINUTE)).contains(merged(60, 120));
            assertThat(window(store, Resolution.HOUR, T0)).contains(merged(0, 120));
            assertThat(window(store, Resolution.MINUTE, T0 + 123_456)).isEmpty();
        }
    }

    /**
     * Rollup windows are written lazily (when the host's batches reach another minute); until then
     * their deltas are pending. Crashes after any write lose none and count none twice.
     */
    @Test
    void pendingRollupsSurviveCrashesExactlyOnce() {
        List<Batch> batches = seconds("h1", 150);
        StoreOptions options = StoreOptions.defaults();
        Store store = Store.open(dir, options);
        try {
            for (int i = 0; i < 30; i++) {
                store.apply(batches.get(i));
            }
            assertThat(window(store, Resolution.MINUTE, T0)).contains(merged(0, 30));
            assertThat(window(store, Resolution.HOUR, T0)).contains(merged(0, 30));
            assertThat(store.aggregates(AggregateQuery.of("s", "lat").withRange(T0, T0 + HOUR)).rows())
                    .singleElement().extracting(Row::aggregate).isEqualTo(merged(0, 30));

            store.closeWithoutFlushing();
            store = Store.open(dir, options);
            assertThat(window(store, Resolution.MINUTE, T0)).contains(merged(0, 30));
            // Into the next minute: the first minute is written, one group at a time and several at once.
            for (int i = 30; i < 70; i++) {
                store.apply(batches.get(i));
            }
            store.applyAll(batches.subList(70, 125), Map.of());
            assertThat(window(store, Resolution.MINUTE, T0)).contains(merged(0, 60));
            assertThat(window(store, Resolution.MINUTE, T0 + MINUTE)).contains(merged(60, 120));
            assertThat(window(store, Resolution.MINUTE, T0 + 2 * MINUTE)).contains(merged(120, 125));

            store.closeWithoutFlushing();
            store = Store.open(dir, options);
            store.applyAll(batches.subList(125, 150), Map.of());
            // Resent after the crash: duplicates, counted once.
            assertThat(store.applyAll(batches.subList(100, 150), Map.of())).extracting(ApplyResult::status)
                    .containsOnly(org.fleettap.proto.v1.AckStatus.ACK_STATUS_DUPLICATE);
            assertThat(window(store, Resolution.MINUTE, T0 + MINUTE)).contains(merged(60, 120));
            assertThat(window(store, Resolution.MINUTE, T0 + 2 * MINUTE)).contains(merged(120, 150));
            assertThat(window(store, Resolution.HOUR, T0)).contains(merged(0, 150));
            assertThat(store.aggregates(AggregateQuery.of("s", "lat").withRange(T0, T0 + HOUR)).rows())
                    .singleElement().extracting(Row::aggregate).isEqualTo(merged(0, 150));
            assertThat(store.aggregates(AggregateQuery.of("s", "lat").withRange(T0 + MINUTE, T0 + 3 * MINUTE))
                    .rows()).singleElement().extracting(Row::aggregate).isEqualTo(merged(60, 150));
        } finally {
            store.close();
        }
        // Closed properly, the windows are all written and no rollup record is left.
        try (Store reopened = Store.open(dir, options.withRollup(false))) {
            assertThat(window(reopened, Resolution.HOUR, T0)).contains(merged(0, 150));
            assertThat(window(reopened, Resolution.MINUTE, T0 + 2 * MINUTE)).contains(merged(120, 150));
        }
    }

    /** A store of schema version 1 kept rollup windows beside the 1 s ones; opening moves them, and they read the same. */
    @Test
    void rollupWindowsOfASchemaVersion1StoreAreMoved() throws Exception {
        try (Store store = Store.open(dir, StoreOptions.defaults())) {
            store.applyAll(seconds("h1", 150), Map.of());
        }
        // Back to version 1's layout: rollup windows in `aggregates`, keyed series first.
        int moved = 0;
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (org.rocksdb.Options o = new org.rocksdb.Options()) {
            for (byte[] name : RocksDB.listColumnFamilies(o, dir.toString())) {
                descriptors.add(new ColumnFamilyDescriptor(name));
                names.add(new String(name, StandardCharsets.UTF_8));
            }
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions o = new DBOptions(); RocksDB db = RocksDB.open(o, dir.toString(), descriptors, handles)) {
            ColumnFamilyHandle aggregates = handles.get(names.indexOf(Store.AGGREGATES));
            ColumnFamilyHandle rollups = handles.get(names.indexOf(Store.ROLLUPS));
            try (RocksIterator it = db.newIterator(rollups)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] k = it.key();
                    RollupKeys.Parsed p = RollupKeys.parse(k, RollupKeys.statisticLength(k));
                    byte[] series = AggregateKeys.series("s", "lat", KEY, "h1");
                    db.put(aggregates, AggregateKeys.window(series, p.resolution(), p.start()), it.value());
                    db.delete(rollups, k);
                    moved++;
                }
            }
            db.put("schema-version".getBytes(StandardCharsets.UTF_8), new byte[] {1});
            handles.forEach(ColumnFamilyHandle::close);
        }
        assertThat(moved).isEqualTo(4); // three minutes and the hour

        try (Store store = Store.open(dir, StoreOptions.defaults())) {
            assertThat(window(store, Resolution.MINUTE, T0 + MINUTE)).contains(merged(60, 120));
            assertThat(window(store, Resolution.HOUR, T0)).contains(merged(0, 150));
            assertThat(store.aggregates(AggregateQuery.of("s", "lat").withRange(T0, T0 + HOUR)).rows())
                    .singleElement().extracting(Row::aggregate).isEqualTo(merged(0, 150));
        }
    }

    @Test
    void withoutRollupOnlySecondsAreStored() {
        try (Store store = Store.open(dir, StoreOptions.defaults().withRollup(false))) {
            store.applyAll(seconds("h1", 61), Map.of());
            assertThat(window(store, Resolution.MINUTE, T0)).isEmpty();
            assertThat(window(store, Resolution.HOUR, T0)).isEmpty();
            assertThat(store.aggregates(AggregateQuery.of("s", "lat").withRange(T0, T0 + MINUTE)).rows())
                    .singleElement().extracting(Row::aggregate).isEqualTo(merged(0, 60));
        }
    }

    @Test
    void retentionDeletesEachResolutionAfterItsOwnTime() {
        MutableClock clock = MutableClock.atUnixNanos(T0);
        StoreOptions options = StoreOptions.defaults().withClock(clock)
                .withRetention(Resolution.SECOND, Duration.ofMinutes(10))
                .withRetention(Resolution.MINUTE, Duration.ofHours(3))
                .withRetention(Resolution.HOUR, Duration.ofDays(1))
                .withOutputRetention(Duration.ofMinutes(30));
        try (Store store = Store.open(dir, options)) {
            List<Batch> batches = new ArrayList<>(seconds("h1", 120));
            batches.add(batch("h1", "s", 1000, T0 + 2 * HOUR).add("lat", KEY, 5).line(T0 + 2 * HOUR, "late").build());
            batches.add(batch("h2", "s", 1, T0).line(T0 + 1, "early").build());
            store.applyAll(batches, Map.of());
            AggregateQuery firstHour = AggregateQuery.of("s", "lat").withRange(T0, T0 + HOUR)
                    .withGroupBy(GroupBy.GROUP_BY_NONE);
            AggregateQuery firstMinutes = firstHour.withRange(T0, T0 + 90 * SECOND);

            assertThat(store.compactExpired()).isZero();
            assertThat(window(store, Resolution.SECOND, T0)).isPresent();

            // 2 h 10 min after T0: the seconds of T0 are gone; minutes and hours stay.
            clock.advance(Duration.ofMinutes(130));
            assertThat(store.compactExpired()).isEqualTo(2);
            assertThat(window(store, Resolution.SECOND, T0 + 119 * SECOND)).isEmpty();
            assertThat(window(store, Resolution.SECOND, T0 + 2 * HOUR)).isPresent();
            assertThat(window(store, Resolution.MINUTE, T0)).contains(merged(0, 60));
            assertThat(store.aggregates(firstHour).rows().get(0).aggregate()).isEqualTo(merged(0, 120));
            // The minute windows answer what they hold wholly; the 30 s edge was in expired seconds.
            assertThat(store.aggregates(firstMinutes).rows().get(0).aggregate()).isEqualTo(merged(0, 60));
            assertThat(store.output("s", Set.of(), Long.MIN_VALUE, 10)).extracting(e -> e.getLine().getText())
                    .containsExactly("late");

            // 4 h after T0: the minutes of T0 are gone too (not those of T0 + 2 h); the hour stays.
            clock.advance(Duration.ofMinutes(110));
            store.compactExpired();
            assertThat(window(store, Resolution.MINUTE, T0 + MINUTE)).isEmpty();
            assertThat(window(store, Resolution.MINUTE, T0 + 2 * HOUR)).isPresent();
            assertThat(store.aggregates(firstHour).rows().get(0).aggregate()).isEqualTo(merged(0, 120));

            // A day and an hour after T0: only the hour of T0 + 2 h is left.
            clock.advance(Duration.ofHours(21));
            store.compactExpired();
            assertThat(store.aggregates(firstHour).rows()).isEmpty();
            assertThat(store.aggregates(AggregateQuery.of("s", "lat")).rows()).singleElement()
                    .extracting(Row::aggregate).isEqualTo(aggregate(5));
            assertThat(window(store, Resolution.HOUR, T0 + 2 * HOUR)).contains(aggregate(5));
            // Applied sequences are not data: they stay, so a late resend is still a duplicate.
            assertThat(store.appliedSequence("h1", "s")).hasValue(1000);
        }
    }
}
