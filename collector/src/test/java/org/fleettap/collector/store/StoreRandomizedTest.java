package org.fleettap.collector.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.collector.store.TestBatches.HOUR;
import static org.fleettap.collector.store.TestBatches.SECOND;
import static org.fleettap.collector.store.TestBatches.T0;
import static org.fleettap.collector.store.TestBatches.k;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.Metric;
import org.fleettap.proto.v1.OutputEvent;

/**
 * Random batches (hosts, sessions, keys, windows over three hours, values, sequence gaps, resends,
 * reorderings, malformed batches) in random groups; then every query form is compared with a naive
 * computation over the raw values of the batches that should have been applied. Aggregates must be
 * equal exactly, quantile sketches included.
 */
class StoreRandomizedTest {
    static final List<String> HOSTS = List.of("h1", "h2", "hé", "h\u0000");
    static final List<String> SESSIONS = List.of("s1", "s2");
    static final List<String> NAMES = List.of("lat", "cnt");
    static final List<List<KeyPart>> KEYS = List.of(List.of(), List.of(k(1)), List.of(k(-5)), List.of(k("a")),
            List.of(k(1), k("a")), List.of(k("a"), k(2)), List.of(k("")));
    static final long BASE = T0 - HOUR / 2;

    /** The values of one delta, as recorded. */
    record Raw(String host, String session, String name, List<KeyPart> key, long second, long[] values) {}

    record Line(String host, String session, long sequence, int index, long time, String text) {}

    record Expected(String host, List<KeyPart> key, MergeableAggregate aggregate) {}

    @Property(tries = 25)
    void queriesEqualANaiveComputationOverTheRawValues(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        Path dir = Files.createTempDirectory("store-random");
        try {
            run(r, dir);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void run(Random r, Path dir) {
        // Make the batches as agents would: per (host, session) in sequence order, with gaps.
        Map<String, Long> nextSeq = new HashMap<>();
        List<Batch> made = new ArrayList<>();
        Map<Batch, List<Raw>> raws = new HashMap<>();
        int n = 20 + r.nextInt(60);
        for (int i = 0; i < n; i++) {
            String host = pick(r, HOSTS);
            String session = pick(r, SESSIONS);
            long seq = nextSeq.merge(host + "/" + session, 1L + (r.nextInt(8) == 0 ? r.nextInt(3) : 0), Long::sum);
            long start = BASE + r.nextInt(3 * 3600) * SECOND + r.nextInt(1_000_000_000);
            TestBatches.Builder b = TestBatches.batch(host, session, seq, start);
            List<Raw> batchRaws = new ArrayList<>();
            int deltas = r.nextInt(4);
            for (int d = 0; d < deltas; d++) {
                String name = pick(r, NAMES);
                List<KeyPart> key = pick(r, KEYS);
                long[] values = values(r);
                b.add(name, key, values);
                batchRaws.add(new Raw(host, session, name, key, Resolution.SECOND.floor(start), values));
            }
            int lines = r.nextInt(3);
            for (int l = 0; l < lines; l++) {
                b.line(start + r.nextInt(3) * 1000, "line " + i + "." + l);
            }
            if (r.nextInt(10) == 0) {
                b.losses(r.nextInt(5), r.nextInt(5)).spoolDropped(r.nextInt(2));
            }
            Batch batch = b.build();
            made.add(batch);
            raws.put(batch, batchRaws);
        }
        // Deliver them at least once, with resends, swaps and some malformed batches.
        List<Batch> delivery = new ArrayList<>();
        for (Batch b : made) {
            delivery.add(b);
            if (r.nextInt(6) == 0) {
                delivery.add(delivery.get(r.nextInt(delivery.size())));
            }
            if (r.nextInt(10) == 0 && delivery.size() >= 2) {
                int last = delivery.size() - 1;
                delivery.set(last, delivery.set(last - 1, delivery.get(last)));
            }
            if (r.nextInt(15) == 0) {
                delivery.add(b.toBuilder().setHostId("").build());
            }
        }
        // The rule: a well-formed batch is applied iff its sequence is above the applied one.
        Map<String, Long> appliedSeq = new HashMap<>();
        Map<String, Losses> losses = new HashMap<>();
        List<Raw> applied = new ArrayList<>();
        List<Line> lines = new ArrayList<>();
        List<AckStatus> expectedStatus = new ArrayList<>();
        for (Batch b : delivery) {
            if (b.getHostId().isEmpty()) {
                expectedStatus.add(AckStatus.ACK_STATUS_REJECTED);
                continue;
            }
            String hs = b.getHostId() + "/" + b.getSessionId();
            long before = appliedSeq.getOrDefault(hs, 0L);
            if (b.getSequence() <= before) {
                expectedStatus.add(AckStatus.ACK_STATUS_DUPLICATE);
                continue;
            }
            expectedStatus.add(AckStatus.ACK_STATUS_APPLIED);
            appliedSeq.put(hs, b.getSequence());
            Losses l = losses.getOrDefault(hs, Losses.NONE);
            losses.put(hs, new Losses(l.recordsLost() + b.getLosses().getRecordsLost(),
                    l.eventsDropped() + b.getLosses().getEventsDropped(),
                    l.spoolDroppedBatches() + b.getSpoolDroppedBatches(),
                    l.missingBatches() + b.getSequence() - before - 1));
            applied.addAll(raws.get(b));
            for (int i = 0; i < b.getOutputCount(); i++) {
                lines.add(new Line(b.getHostId(), b.getSessionId(), b.getSequence(), i,
                        b.getOutput(i).getTimeUnixNanos(), b.getOutput(i).getText()));
            }
        }

        // Rollup on or off; a rollup cache that holds everything, a little (evicting) or nothing.
        Store store = Store.open(dir, StoreOptions.defaults().withRollup(r.nextInt(4) != 0)
                .withRollupCacheEntries(pick(r, List.of(0, 5, 100_000))));
        try {
            List<AckStatus> statuses = new ArrayList<>();
            // Reopen a few times: closed (pending rollup windows written) or as if crashed after a write (not).
            java.util.TreeSet<Integer> reopenAt = new java.util.TreeSet<>();
            for (int reopens = r.nextInt(4); reopens > 0; reopens--) {
                reopenAt.add(r.nextInt(delivery.size() + 1));
            }
            for (int i = 0; i <= delivery.size(); ) {
                if (!reopenAt.isEmpty() && i >= reopenAt.first()) {
                    reopenAt.pollFirst();
                    store = reopen(store, r.nextBoolean());
                    continue;
                }
                if (i == delivery.size()) {
                    break;
                }
                int group = 1 + r.nextInt(8);
                List<Batch> chunk = delivery.subList(i, Math.min(delivery.size(), i + group));
                store.applyAll(chunk, Map.of()).forEach(a -> statuses.add(a.status()));
                i += chunk.size();
            }
            assertThat(statuses).isEqualTo(expectedStatus);

            for (String hs : appliedSeq.keySet()) {
                String[] parts = hs.split("/");
                assertThat(store.appliedSequence(parts[0], parts[1])).hasValue(appliedSeq.get(hs));
                assertThat(store.lost(parts[1], parts[0])).isEqualTo(losses.get(hs));
            }
            for (String session : SESSIONS) {
                checkOutput(store, session, lines);
                for (String name : NAMES) {
                    for (GroupBy g : List.of(GroupBy.GROUP_BY_NONE, GroupBy.GROUP_BY_HOST, GroupBy.GROUP_BY_KEY,
                            GroupBy.GROUP_BY_HOST_AND_KEY)) {
                        check(store, AggregateQuery.of(session, name).withGroupBy(g), applied);
                        check(store, AggregateQuery.of(session, name).withGroupBy(g).withRange(T0, T0 + HOUR),
                                applied);
                    }
                    for (int q = 0; q < 12; q++) {
                        check(store, randomQuery(r, session, name), applied);
                    }
                }
            }
        } finally {
            store.close();
        }
    }

    private static Store reopen(Store store, boolean crash) {
        StoreOptions options = store.options();
        if (crash) {
            store.closeWithoutFlushing();
        } else {
            store.close();
        }
        return Store.open(store.directory(), options);
    }

    private static AggregateQuery randomQuery(Random r, String session, String name) {
        long from = BASE - HOUR / 4 + (long) (r.nextDouble() * 4 * HOUR);
        if (r.nextBoolean()) {
            from = Resolution.MINUTE.floor(from) + (r.nextBoolean() ? 0 : r.nextInt(5) * SECOND);
        }
        long to = from + 1 + (long) (r.nextDouble() * (r.nextBoolean() ? 5 * 60 * SECOND : 3 * HOUR));
        Set<String> hosts = switch (r.nextInt(4)) {
            case 0 -> Set.of(pick(r, HOSTS));
            case 1 -> new java.util.HashSet<>(List.of(pick(r, HOSTS), pick(r, HOSTS), "nobody"));
            default -> Set.of();
        };
        GroupBy g = GroupBy.forNumber(r.nextInt(5));
        Metric m = Metric.forNumber(r.nextInt(9));
        return new AggregateQuery(session, name, from, to, hosts, g, m, r.nextBoolean() ? 0 : 1 + r.nextInt(4));
    }

    private static void check(Store store, AggregateQuery q, List<Raw> applied) {
        Map<List<Object>, Expected> groups = new LinkedHashMap<>();
        for (Raw raw : applied) {
            if (!raw.session().equals(q.session()) || !raw.name().equals(q.name())
                    || raw.second() < q.fromUnixNanos() || raw.second() >= q.toUnixNanos()
                    || (!q.hosts().isEmpty() && !q.hosts().contains(raw.host()))) {
                continue;
            }
            String host = q.byHost() ? raw.host() : "";
            List<KeyPart> key = q.byKey() ? raw.key() : List.of();
            Expected e = groups.computeIfAbsent(List.of(host, key),
                    x -> new Expected(host, key, new MergeableAggregate()));
            for (long v : raw.values()) {
                e.aggregate().record(v);
            }
        }
        Comparator<Expected> byHostThenKey = Comparator.comparing(Expected::host, LogicalOrder.STRINGS)
                .thenComparing(Expected::key, LogicalOrder.TUPLES);
        List<Expected> expected = new ArrayList<>(groups.values());
        expected.removeIf(e -> e.aggregate().isEmpty());
        int total = expected.size();
        if (q.topN() > 0) {
            expected.sort(Comparator.comparingLong(
                    (Expected e) -> AggregateQueries.metric(e.aggregate().summary(), q.orderBy())).reversed()
                    .thenComparing(byHostThenKey));
            expected = expected.subList(0, Math.min(q.topN(), expected.size()));
        } else {
            expected.sort(byHostThenKey);
        }

        AggregateResult result = store.aggregates(q);

        assertThat(result.totalRows()).as("total rows of %s", q).isEqualTo(total);
        assertThat(result.rows()).as("rows of %s", q).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            Row row = result.rows().get(i);
            Expected e = expected.get(i);
            assertThat(row.host()).as("host of row %d of %s", i, q).isEqualTo(e.host());
            assertThat(row.key()).as("key of row %d of %s", i, q).isEqualTo(e.key());
            assertThat(row.aggregate()).as("aggregate of row %d of %s", i, q).isEqualTo(e.aggregate());
            assertThat(row.summary()).as("summary of row %d of %s", i, q).isEqualTo(e.aggregate().summary());
        }
    }

    private static void checkOutput(Store store, String session, List<Line> lines) {
        List<Line> expected = new ArrayList<>(lines.stream().filter(l -> l.session().equals(session)).toList());
        expected.sort(Comparator.comparingLong(Line::time).thenComparing(Line::host, LogicalOrder.STRINGS)
                .thenComparingLong(Line::sequence).thenComparingInt(Line::index));
        assertThat(store.output(session, Set.of(), Long.MIN_VALUE, Integer.MAX_VALUE))
                .extracting(OutputEvent::getHostId, e -> e.getLine().getText())
                .containsExactlyElementsOf(expected.stream()
                        .map(l -> org.assertj.core.groups.Tuple.tuple(l.host(), l.text())).toList());
    }

    private static long[] values(Random r) {
        long[] v = new long[1 + r.nextInt(5)];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (r.nextInt(6)) {
                case 0 -> r.nextLong();
                case 1 -> -r.nextInt(1000);
                case 2 -> 0;
                default -> r.nextInt(1_000_000);
            };
        }
        return v;
    }

    private static <T> T pick(Random r, List<T> from) {
        return from.get(r.nextInt(from.size()));
    }
}
