package org.fleettap.collector.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.collector.store.TestBatches.SECOND;
import static org.fleettap.collector.store.TestBatches.T0;
import static org.fleettap.collector.store.TestBatches.aggregate;
import static org.fleettap.collector.store.TestBatches.batch;
import static org.fleettap.collector.store.TestBatches.k;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fleettap.aggregate.Summary;
import org.fleettap.proto.v1.AckStatus;
import org.fleettap.proto.v1.Aggregate;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostInfo;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.Metric;
import org.fleettap.proto.v1.OutputEvent;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

class StoreTest {
    @TempDir
    Path dir;
    Store store;

    @BeforeEach
    void open() {
        store = Store.open(dir, StoreOptions.defaults());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static List<KeyPart> key(Object... parts) {
        List<KeyPart> l = new ArrayList<>();
        for (Object p : parts) {
            l.add(p instanceof String s ? k(s) : k(((Number) p).longValue()));
        }
        return l;
    }

    private AggregateResult query(GroupBy g) {
        return store.aggregates(AggregateQuery.of("s1", "lat").withGroupBy(g));
    }

    @Test
    void appliesABatchOnceAndReportsResendsAsDuplicates() {
        Batch b = batch("h1", "s1", 1, T0).add("lat", key(), 1, 2, 3).build();

        assertThat(store.apply(b)).isEqualTo(new ApplyResult("h1", "s1", 1, AckStatus.ACK_STATUS_APPLIED, ""));
        assertThat(store.apply(b).status()).isEqualTo(AckStatus.ACK_STATUS_DUPLICATE);
        assertThat(store.apply(b).toAck().getStatus()).isEqualTo(AckStatus.ACK_STATUS_DUPLICATE);

        AggregateResult r = query(GroupBy.GROUP_BY_NONE);
        assertThat(r.rows()).singleElement().satisfies(row -> {
            assertThat(row.aggregate()).isEqualTo(aggregate(1, 2, 3));
            assertThat(row.summary()).isEqualTo(new Summary(3, 6, 1, 3, 2, 2, 3, 3));
            assertThat(row.host()).isEmpty();
            assertThat(row.key()).isEmpty();
        });
        assertThat(store.appliedSequence("h1", "s1")).hasValue(1);
        assertThat(store.stats()).isEqualTo(new StoreStats(1, 2, 0));
    }

    @Test
    void anOlderSequenceAfterANewerOneIsADuplicate() {
        store.apply(batch("h1", "s1", 5, T0).add("lat", key(), 10).build());
        assertThat(store.apply(batch("h1", "s1", 4, T0).add("lat", key(), 99).build()).status())
                .isEqualTo(AckStatus.ACK_STATUS_DUPLICATE);
        assertThat(query(GroupBy.GROUP_BY_NONE).rows().get(0).aggregate()).isEqualTo(aggregate(10));
    }

    @Test
    void sequencesAreCountedPerHostAndSession() {
        assertThat(store.apply(batch("h1", "s1", 1, T0).add("lat", key(), 1).build()).status())
                .isEqualTo(AckStatus.ACK_STATUS_APPLIED);
        assertThat(store.apply(batch("h2", "s1", 1, T0).add("lat", key(), 2).build()).status())
                .isEqualTo(AckStatus.ACK_STATUS_APPLIED);
        assertThat(store.apply(batch("h1", "s2", 1, T0).add("lat", key(), 3).build()).status())
                .isEqualTo(AckStatus.ACK_STATUS_APPLIED);
        assertThat(query(GroupBy.GROUP_BY_NONE).rows().get(0).aggregate()).isEqualTo(aggregate(1, 2));
    }

    @Test
    void theSameBatchTwiceInOneGroupIsAppliedOnce() {
        Batch b = batch("h1", "s1", 1, T0).add("lat", key(), 7).build();
        Batch c = batch("h1", "s1", 2, T0).add("lat", key(), 8).build();
        List<ApplyResult> results = store.applyAll(List.of(b, b, c, b), Map.of());
        assertThat(results).extracting(ApplyResult::status).containsExactly(AckStatus.ACK_STATUS_APPLIED,
                AckStatus.ACK_STATUS_DUPLICATE, AckStatus.ACK_STATUS_APPLIED, AckStatus.ACK_STATUS_DUPLICATE);
        assertThat(query(GroupBy.GROUP_BY_NONE).rows().get(0).aggregate()).isEqualTo(aggregate(7, 8));
    }

    @Test
    void sequenceGapsAndReportedLossesAreCounted() {
        store.apply(batch("h1", "s1", 1, T0).losses(3, 4).build());
        store.apply(batch("h1", "s1", 5, T0).spoolDropped(3).losses(1, 0).build());
        store.apply(batch("h1", "s1", 5, T0).spoolDropped(3).losses(1, 0).build());
        store.apply(batch("h1", "s1", 6, T0).build());
        assertThat(store.lost("s1", "h1")).isEqualTo(new Losses(4, 4, 3, 3));
        assertThat(store.lost("s1", "h2")).isEqualTo(Losses.NONE);
        assertThat(store.lost("s2", "h1").isEmpty()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no host          | batch has no host_id",
        "no session       | batch has no session_id",
        "sequence 0       | sequence is 0; batches are numbered from 1",
        "huge sequence    | sequence 18446744073709551615 is too large",
        "end before start | window end 999 is before its start 1000",
        "far future       | window [1000, 4611686018427387905) is out of range (±2^62 ns)",
        "bad aggregate    | aggregates[1] lat: count is 3 but min or max is missing",
        "no name          | aggregates[1] has no name",
        "empty key part   | aggregates[1] lat: key[1] has no value",
        "ten key parts    | aggregates[1] lat: key has 10 parts, at most 9",
        "long key string  | aggregates[1] lat: key[0] is longer than 512 bytes",
        "long line        | output[0] is longer than 65536 bytes",
        "long host id     | host_id is longer than 253 bytes",
    })
    void rejectsMalformedBatchesWithAOneLineReasonAndAppliesTheRest(String what, String reason) {
        Batch.Builder b = batch("h1", "s1", 1, 1000).add("lat", key(), 5).build().toBuilder();
        switch (what) {
            case "no host" -> b.setHostId("");
            case "no session" -> b.setSessionId("");
            case "sequence 0" -> b.setSequence(0);
            case "huge sequence" -> b.setSequence(-1);
            case "end before start" -> b.setWindowEndUnixNanos(999);
            case "far future" -> b.setWindowEndUnixNanos((1L << 62) + 1);
            case "bad aggregate" -> b.addAggregates(b.getAggregates(0).toBuilder()
                    .setAggregate(Aggregate.newBuilder().setCount(3).setSum(6)));
            case "no name" -> b.addAggregates(b.getAggregates(0).toBuilder().setName(""));
            case "empty key part" -> b.addAggregates(b.getAggregates(0).toBuilder()
                    .addKey(k(1)).addKey(KeyPart.getDefaultInstance()));
            case "ten key parts" -> b.addAggregates(b.getAggregates(0).toBuilder().addAllKey(
                    key(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)));
            case "long key string" -> b.addAggregates(b.getAggregates(0).toBuilder().addKey(k("é".repeat(257))));
            case "long line" -> b.addOutput(org.fleettap.proto.v1.OutputLine.newBuilder().setText("x".repeat(65537)));
            case "long host id" -> b.setHostId("h".repeat(254));
            default -> throw new AssertionError(what);
        }
        Batch good = batch("h1", "s1", 1, T0).add("lat", key(), 42).build();

        List<ApplyResult> results = store.applyAll(List.of(b.build(), good), Map.of());

        assertThat(results.get(0).status()).isEqualTo(AckStatus.ACK_STATUS_REJECTED);
        assertThat(results.get(0).error()).isEqualTo(reason).doesNotContain("\n");
        assertThat(results.get(1).status()).isEqualTo(AckStatus.ACK_STATUS_APPLIED);
        assertThat(query(GroupBy.GROUP_BY_NONE).rows().get(0).aggregate()).isEqualTo(aggregate(42));
        assertThat(store.stats()).isEqualTo(new StoreStats(1, 0, 1));
    }

    @Test
    void deltasOfOneKeyRepeatedInABatchAreMerged() {
        store.apply(batch("h1", "s1", 1, T0).add("lat", key("a"), 1).add("lat", key("b"), 2)
                .add("lat", key("a"), 3, 4).build());
        assertThat(query(GroupBy.GROUP_BY_KEY).rows()).extracting(Row::key, Row::aggregate)
                .containsExactly(tuple(key("a"), aggregate(1, 3, 4)), tuple(key("b"), aggregate(2)));
        assertThat(store.window("s1", "lat", key("a"), "h1", Resolution.SECOND, T0)).contains(aggregate(1, 3, 4));
    }

    @Test
    void emptyDeltasAreAcceptedAndWriteNothing() {
        Batch b = batch("h1", "s1", 1, T0).add("lat", key(), new long[0]).build();
        assertThat(store.apply(b).status()).isEqualTo(AckStatus.ACK_STATUS_APPLIED);
        assertThat(query(GroupBy.GROUP_BY_NONE).rows()).isEmpty();
    }

    /** Two hosts, three keys, two windows; values chosen so every grouping differs. */
    private void threeKeysTwoHosts() {
        store.applyAll(List.of(
                batch("h1", "s1", 1, T0).add("lat", key("read"), 1, 2).add("lat", key("write"), 10)
                        .add("other", key("read"), 1000).build(),
                batch("h2", "s1", 1, T0).add("lat", key("read"), 3).add("lat", key(7), 100, 200, 300).build(),
                batch("h1", "s1", 2, T0 + SECOND).add("lat", key("read"), 4).build(),
                batch("h2", "s2", 1, T0).add("lat", key("read"), 5000).build()), Map.of());
    }

    @Test
    void groupsByNothingHostKeyOrBoth() {
        threeKeysTwoHosts();

        assertThat(query(GroupBy.GROUP_BY_NONE).rows()).extracting(Row::host, Row::key, Row::aggregate)
                .containsExactly(tuple("", key(), aggregate(1, 2, 10, 3, 100, 200, 300, 4)));
        assertThat(query(GroupBy.GROUP_BY_HOST).rows()).extracting(Row::host, Row::key, Row::aggregate)
                .containsExactly(tuple("h1", key(), aggregate(1, 2, 10, 4)),
                        tuple("h2", key(), aggregate(3, 100, 200, 300)));
        // Integer key parts sort before strings.
        assertThat(query(GroupBy.GROUP_BY_KEY).rows()).extracting(Row::host, Row::key, Row::aggregate)
                .containsExactly(tuple("", key(7), aggregate(100, 200, 300)),
                        tuple("", key("read"), aggregate(1, 2, 3, 4)),
                        tuple("", key("write"), aggregate(10)));
        assertThat(query(GroupBy.GROUP_BY_UNSPECIFIED).rows()).isEqualTo(query(GroupBy.GROUP_BY_KEY).rows());
        assertThat(query(GroupBy.GROUP_BY_HOST_AND_KEY).rows()).extracting(Row::host, Row::key, Row::aggregate)
                .containsExactly(tuple("h1", key("read"), aggregate(1, 2, 4)),
                        tuple("h1", key("write"), aggregate(10)),
                        tuple("h2", key(7), aggregate(100, 200, 300)),
                        tuple("h2", key("read"), aggregate(3)));
    }

    private static org.assertj.core.groups.Tuple tuple(Object... values) {
        return org.assertj.core.groups.Tuple.tuple(values);
    }

    @Test
    void filtersHostsAndTimeRanges() {
        threeKeysTwoHosts();
        AggregateQuery q = AggregateQuery.of("s1", "lat").withGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY);

        assertThat(store.aggregates(q.withHosts(Set.of("h2", "nobody"))).rows()).extracting(Row::host, Row::key)
                .containsExactly(tuple("h2", key(7)), tuple("h2", key("read")));
        assertThat(store.aggregates(q.withRange(T0 + SECOND, T0 + 2 * SECOND)).rows())
                .extracting(Row::host, Row::key, Row::aggregate)
                .containsExactly(tuple("h1", key("read"), aggregate(4)));
        assertThat(store.aggregates(q.withRange(T0 - SECOND, T0)).rows()).isEmpty();
        assertThat(store.aggregates(q.withHosts(Set.of("h1")).withRange(T0, T0 + SECOND)).rows())
                .extracting(Row::key, Row::aggregate)
                .containsExactly(tuple(key("read"), aggregate(1, 2)), tuple(key("write"), aggregate(10)));
        assertThat(store.aggregates(AggregateQuery.of("s1", "nothing")).rows()).isEmpty();
        assertThat(store.aggregates(AggregateQuery.of("s3", "lat")).rows()).isEmpty();
    }

    @Test
    void topNOrdersByTheMetricThenHostThenKey() {
        threeKeysTwoHosts();
        AggregateQuery q = AggregateQuery.of("s1", "lat").withGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY);

        AggregateResult byCount = store.aggregates(q.withTop(2, Metric.METRIC_COUNT));
        // h1/read and h2/7 both count 3: the tie goes to h1.
        assertThat(byCount.rows()).extracting(Row::host, Row::key)
                .containsExactly(tuple("h1", key("read")), tuple("h2", key(7)));
        assertThat(byCount.totalRows()).isEqualTo(4);
        assertThat(store.aggregates(q.withTop(1, Metric.METRIC_MAX)).rows()).extracting(Row::host, Row::key)
                .containsExactly(tuple("h2", key(7)));
        assertThat(store.aggregates(q.withTop(3, Metric.METRIC_MIN)).rows()).extracting(Row::host, Row::key)
                .containsExactly(tuple("h2", key(7)), tuple("h1", key("write")), tuple("h2", key("read")));
        assertThat(store.aggregates(q.withTop(10, Metric.METRIC_SUM)).rows()).extracting(r -> r.summary().sum())
                .containsExactly(600L, 10L, 7L, 3L);
        assertThat(store.aggregates(q.withTop(1, Metric.METRIC_P99)).rows()).extracting(r -> r.summary().p99())
                .containsExactly(300L);
        assertThat(store.aggregates(q.withTop(1, Metric.METRIC_UNSPECIFIED)).rows())
                .isEqualTo(byCount.rows().subList(0, 1));
    }

    @Test
    void rejectsMeaninglessQueries() {
        assertThatThrownBy(() -> AggregateQuery.of("s", "n").withRange(5, 5))
                .hasMessage("empty range: from 5 is not before to 5");
        assertThatThrownBy(() -> AggregateQuery.of("s", "n").withTop(-1, Metric.METRIC_COUNT))
                .hasMessage("negative top-N -1");
    }

    @Test
    void storesOutputLinesInTimeOrderAcrossHosts() {
        store.applyAll(List.of(
                batch("h2", "s1", 1, T0).line(T0 + 5, "h2 first").line(T0 + 5, "h2 second").build(),
                batch("h1", "s1", 1, T0).line(T0 + 3, "h1 a").line(T0 + 9, "h1 b").build(),
                batch("h1", "s2", 1, T0).line(T0 + 1, "other session").build()), Map.of());
        store.apply(batch("h2", "s1", 1, T0).line(T0 + 5, "h2 first").build());

        assertThat(store.output("s1", Set.of(), Long.MIN_VALUE, 100))
                .extracting(OutputEvent::getHostId, e -> e.getLine().getText(), e -> e.getLine().getTimeUnixNanos())
                .containsExactly(tuple("h1", "h1 a", T0 + 3), tuple("h2", "h2 first", T0 + 5),
                        tuple("h2", "h2 second", T0 + 5), tuple("h1", "h1 b", T0 + 9));
        assertThat(store.output("s1", Set.of("h1"), Long.MIN_VALUE, 100)).extracting(e -> e.getLine().getText())
                .containsExactly("h1 a", "h1 b");
        assertThat(store.output("s1", Set.of(), T0 + 5, 2)).extracting(e -> e.getLine().getText())
                .containsExactly("h2 first", "h2 second");
        assertThat(store.output("s1", Set.of(), T0 + 10, 100)).isEmpty();
    }

    @Test
    void keepsKafkaOffsetsWithTheBatchesEvenWhenNothingIsNew() {
        KafkaPartition p0 = new KafkaPartition("fleettap.batches", 0);
        KafkaPartition p1 = new KafkaPartition("fleettap.batches", 1);
        Batch b = batch("h1", "s1", 1, T0).add("lat", key(), 1).build();
        store.apply(b, Map.of(p0, 11L));
        assertThat(store.apply(b, Map.of(p0, 12L, p1, 3L)).status()).isEqualTo(AckStatus.ACK_STATUS_DUPLICATE);
        assertThat(store.kafkaOffsets()).isEqualTo(Map.of(p0, 12L, p1, 3L));
    }

    @Test
    void keepsSessionsAndAgents() {
        SessionInfo s = SessionInfo.newBuilder()
                .setSpec(SessionSpec.newBuilder().setSessionId("s1").setScriptName("a.stp").setScriptSource("probe begin {}"))
                .addStatuses(SessionStatus.newBuilder().setSessionId("s1").setHostId("h1")
                        .setState(SessionState.SESSION_STATE_RUNNING))
                .build();
        SessionInfo s2 = SessionInfo.newBuilder().setSpec(SessionSpec.newBuilder().setSessionId("s0")).build();
        HostInfo a = HostInfo.newBuilder().setHostId("h1").putLabels("zone", "eu-1").setKernelVersion("6.1").build();
        store.putSession(s);
        store.putSession(s2);
        store.putAgent(a);
        store.putAgent(a.toBuilder().setKernelVersion("6.2").build());

        assertThat(store.session("s1")).contains(s);
        assertThat(store.session("nope")).isEmpty();
        assertThat(store.sessions()).containsExactly(s2, s);
        assertThat(store.agent("h1").orElseThrow().getKernelVersion()).isEqualTo("6.2");
        assertThat(store.agents()).hasSize(1);
        assertThatThrownBy(() -> store.putAgent(HostInfo.getDefaultInstance())).hasMessage("agent without host_id");
        assertThatThrownBy(() -> store.putSession(SessionInfo.getDefaultInstance()))
                .hasMessage("session without session_id");

        store.close();
        store = Store.open(dir, StoreOptions.defaults());
        assertThat(store.sessions()).containsExactly(s2, s);
        assertThat(store.agents()).containsExactly(a.toBuilder().setKernelVersion("6.2").build());
    }

    @Test
    void remembersWhatWasAppliedAcrossReopening() {
        Batch b = batch("h1", "s1", 1, T0).add("lat", key(), 1).losses(2, 0).build();
        store.apply(b);
        store.close();
        store = Store.open(dir, StoreOptions.defaults());
        assertThat(store.apply(b).status()).isEqualTo(AckStatus.ACK_STATUS_DUPLICATE);
        assertThat(store.appliedSequence("h1", "s1")).hasValue(1);
        assertThat(store.lost("s1", "h1")).isEqualTo(new Losses(2, 0, 0, 0));
        assertThat(query(GroupBy.GROUP_BY_NONE).rows().get(0).aggregate()).isEqualTo(aggregate(1));
    }

    @Test
    void refusesCallsAfterClose() {
        store.close();
        store.close();
        assertThatThrownBy(() -> store.apply(batch("h1", "s1", 1, T0).build()))
                .isInstanceOf(IllegalStateException.class).hasMessage("store at " + dir + " is closed");
        assertThatThrownBy(() -> store.sessions()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void saysWhyItCannotOpen() throws Exception {
        assertThatThrownBy(() -> Store.open(dir, StoreOptions.defaults()))
                .isInstanceOf(StoreException.class).hasMessageStartingWith("opening store at " + dir + ": ")
                .hasMessageContaining("lock");
        Path newer = dir.resolve("newer");
        try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, newer.toString())) {
            db.put("schema-version".getBytes(StandardCharsets.UTF_8), new byte[] {3});
        }
        assertThatThrownBy(() -> Store.open(newer, StoreOptions.defaults()))
                .hasMessage("opening store at " + newer + ": it has schema version 3; this collector reads version 2");
    }
}
