package org.fleettap.collector.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleettap.collector.CollectorTesting.SECOND;
import static org.fleettap.collector.CollectorTesting.SESSION;
import static org.fleettap.collector.CollectorTesting.T0;
import static org.fleettap.collector.CollectorTesting.counted;
import static org.fleettap.collector.CollectorTesting.key;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.fleettap.collector.CollectorTesting;
import org.fleettap.collector.RawIngestStream;
import org.fleettap.proto.v1.AgentServiceGrpc;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.AggregateWindow;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.FollowAggregatesRequest;
import org.fleettap.proto.v1.FollowOutputRequest;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostInfo;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.ListHostsRequest;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.LossCounters;
import org.fleettap.proto.v1.Metric;
import org.fleettap.proto.v1.OutputEvent;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StartSessionResponse;
import org.fleettap.proto.v1.Stats;
import org.fleettap.proto.v1.StopSessionRequest;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QueryService over gRPC on loopback against a real collector and store. */
class QueryServiceTest {
    private static final String LAT = "lat";

    @TempDir
    Path tmp;

    private Collector collector;
    private ManagedChannel channel;

    @AfterEach
    void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (collector != null) {
            collector.close();
        }
    }

    private void start(CollectorConfig config) throws Exception {
        collector = new Collector(config).start();
        channel = CollectorTesting.channel(collector.port());
    }

    private QueryServiceGrpc.QueryServiceBlockingStub query() {
        return QueryServiceGrpc.newBlockingStub(channel);
    }

    private static Batch batch(String host, long seq, Object... keysAndValues) {
        long start = T0 + seq * SECOND;
        Batch.Builder b = Batch.newBuilder().setHostId(host).setSessionId(SESSION).setSequence(seq)
                .setWindowStartUnixNanos(start).setWindowEndUnixNanos(start + SECOND);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            MergeableAggregate a = new MergeableAggregate();
            for (long v : (long[]) keysAndValues[i + 1]) {
                a.record(v);
            }
            b.addAggregates(AggregateDelta.newBuilder().setName(LAT).addKey(key((String) keysAndValues[i]))
                    .setAggregate(a.toProto()));
        }
        return b.build();
    }

    private static long[] v(long... values) {
        return values;
    }

    /** h1: a {1, 2}, b {10}; h2: a {3}, c {100, 200} (and lost 7 records); h3: b {5, 5, 5}; over two windows. */
    private void ingestThreeHosts() throws Exception {
        RawIngestStream.ingest(channel,
                batch("h1", 1, "a", v(1), "b", v(10)),
                batch("h2", 1, "a", v(3), "c", v(100)),
                batch("h3", 1, "b", v(5, 5)),
                batch("h1", 2, "a", v(2)),
                batch("h2", 2, "c", v(200)).toBuilder().setLosses(LossCounters.newBuilder().setRecordsLost(7)).build(),
                batch("h3", 2, "b", v(5)));
    }

    private AggregateQueryResponse aggregates(GroupBy groupBy) {
        return query().queryAggregates(AggregateQuery.newBuilder().setSessionId(SESSION).setName(LAT)
                .setGroupBy(groupBy).build());
    }

    private static Stats stats(long... values) {
        MergeableAggregate a = new MergeableAggregate();
        for (long x : values) {
            a.record(x);
        }
        return Rows.stats(a.summary());
    }

    private static AggregateRow row(String host, String key, Stats stats) {
        AggregateRow.Builder b = AggregateRow.newBuilder().setHostId(host).setStats(stats);
        if (key != null) {
            b.addKey(key(key));
        }
        return b.build();
    }

    @Test
    void groupsByHostAndKeyOverTimeRangesAndHosts() throws Exception {
        start(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")));
        ingestThreeHosts();

        assertThat(aggregates(GroupBy.GROUP_BY_KEY).getRowsList()).containsExactly(
                row("", "a", stats(1, 2, 3)), row("", "b", stats(10, 5, 5, 5)), row("", "c", stats(100, 200)));
        assertThat(aggregates(GroupBy.GROUP_BY_UNSPECIFIED).getRowsList())
                .isEqualTo(aggregates(GroupBy.GROUP_BY_KEY).getRowsList());
        assertThat(aggregates(GroupBy.GROUP_BY_HOST).getRowsList()).containsExactly(
                row("h1", null, stats(1, 2, 10)), row("h2", null, stats(3, 100, 200)), row("h3", null, stats(5, 5, 5)));
        assertThat(aggregates(GroupBy.GROUP_BY_HOST_AND_KEY).getRowsList()).containsExactly(
                row("h1", "a", stats(1, 2)), row("h1", "b", stats(10)), row("h2", "a", stats(3)),
                row("h2", "c", stats(100, 200)), row("h3", "b", stats(5, 5, 5)));
        AggregateQueryResponse none = aggregates(GroupBy.GROUP_BY_NONE);
        assertThat(none.getRowsList()).containsExactly(row("", null, stats(1, 2, 10, 3, 100, 200, 5, 5, 5)));
        assertThat(none.getTotalRows()).isEqualTo(1);
        assertThat(none.getLossesList()).containsExactly(HostLosses.newBuilder().setHostId("h2")
                .setLosses(LossCounters.newBuilder().setRecordsLost(7)).build());

        AggregateQueryResponse secondWindow = query().queryAggregates(AggregateQuery.newBuilder()
                .setSessionId(SESSION).setName(LAT).setGroupBy(GroupBy.GROUP_BY_KEY)
                .setFromUnixNanos(T0 + 2 * SECOND).setToUnixNanos(T0 + 3 * SECOND).build());
        assertThat(secondWindow.getRowsList()).containsExactly(row("", "a", stats(2)), row("", "b", stats(5)),
                row("", "c", stats(200)));
        assertThat(secondWindow.getFromUnixNanos()).isEqualTo(T0 + 2 * SECOND);
        assertThat(secondWindow.getToUnixNanos()).isEqualTo(T0 + 3 * SECOND);

        AggregateQueryResponse someHosts = query().queryAggregates(AggregateQuery.newBuilder().setSessionId(SESSION)
                .setName(LAT).addHostIds("h1").addHostIds("h3").build());
        assertThat(someHosts.getRowsList()).containsExactly(row("", "a", stats(1, 2)), row("", "b", stats(10, 5, 5, 5)));
        assertThat(someHosts.getLossesList()).isEmpty();

        AggregateQueryResponse withAggregates = query().queryAggregates(AggregateQuery.newBuilder()
                .setSessionId(SESSION).setName(LAT).setGroupBy(GroupBy.GROUP_BY_HOST).addHostIds("h2")
                .setIncludeAggregates(true).build());
        MergeableAggregate h2 = new MergeableAggregate();
        h2.record(3);
        h2.record(100);
        h2.record(200);
        assertThat(MergeableAggregate.fromProto(withAggregates.getRows(0).getAggregate())).isEqualTo(h2);
    }

    @Test
    void topNOrdersByTheAskedFigure() throws Exception {
        start(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")));
        ingestThreeHosts();
        AggregateQueryResponse topBySum = query().queryAggregates(AggregateQuery.newBuilder().setSessionId(SESSION)
                .setName(LAT).setGroupBy(GroupBy.GROUP_BY_KEY).setOrderBy(Metric.METRIC_SUM).setTopN(2).build());
        assertThat(topBySum.getRowsList()).containsExactly(row("", "c", stats(100, 200)),
                row("", "b", stats(10, 5, 5, 5)));
        assertThat(topBySum.getTotalRows()).isEqualTo(3);

        AggregateQueryResponse topHostByCount = query().queryAggregates(AggregateQuery.newBuilder()
                .setSessionId(SESSION).setName(LAT).setGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY).setTopN(1).build());
        assertThat(topHostByCount.getRowsList()).containsExactly(row("h3", "b", stats(5, 5, 5)));
        assertThat(topHostByCount.getTotalRows()).isEqualTo(5);

        AggregateQueryResponse topByMax = query().queryAggregates(AggregateQuery.newBuilder().setSessionId(SESSION)
                .setName(LAT).setGroupBy(GroupBy.GROUP_BY_HOST).setOrderBy(Metric.METRIC_MAX).setTopN(2).build());
        assertThat(topByMax.getRowsList()).extracting(AggregateRow::getHostId).containsExactly("h2", "h1");
    }

    @Test
    void badQueriesAreInvalidArguments() throws Exception {
        start(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")));
        assertThatThrownBy(() -> query().queryAggregates(AggregateQuery.newBuilder().setName(LAT).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("session_id is empty");
                });
        assertThatThrownBy(() -> query().queryAggregates(AggregateQuery.newBuilder().setSessionId(SESSION)
                .setName(LAT).setFromUnixNanos(T0 + 5).setToUnixNanos(T0).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
                        .isEqualTo("empty range: from_unix_nanos " + (T0 + 5) + " is not before to_unix_nanos " + T0));
        assertThat(query().queryAggregates(AggregateQuery.newBuilder().setSessionId("nothing").setName(LAT).build())
                .getRowsList()).isEmpty();
    }

    @Test
    void hostsAndSessionsAreListedAndSurviveARestart() throws Exception {
        Path data = tmp.resolve("store");
        start(CollectorConfig.of("127.0.0.1", 0, data));
        AgentServiceGrpc.AgentServiceBlockingStub agents = AgentServiceGrpc.newBlockingStub(channel);
        agents.register(RegisterRequest.newBuilder().setHostId("web-1").putLabels("zone", "eu").setCpus(4)
                .setKernelVersion("6.8").build());
        agents.register(RegisterRequest.newBuilder().setHostId("db-1").putLabels("zone", "us").build());
        StartSessionResponse started = SessionServiceGrpc.newBlockingStub(channel).startSession(StartSessionRequest
                .newBuilder().setScriptName("count.stp").setScriptSource("probe begin { exit() }")
                .setTarget(TargetSelector.newBuilder().putLabels("zone", "eu")).build());
        assertThat(started.getHostIdsList()).containsExactly("web-1");
        StartSessionResponse other = SessionServiceGrpc.newBlockingStub(channel).startSession(StartSessionRequest
                .newBuilder().setScriptName("other.stp").setScriptSource("probe begin { exit() }")
                .setTarget(TargetSelector.getDefaultInstance()).build());
        SessionServiceGrpc.newBlockingStub(channel).stopSession(StopSessionRequest.newBuilder()
                .setSessionId(other.getSessionId()).build());

        List<HostInfo> eu = query().listHosts(ListHostsRequest.newBuilder()
                .setSelector(TargetSelector.newBuilder().putLabels("zone", "eu")).build()).getHostsList();
        assertThat(eu).extracting(HostInfo::getHostId).containsExactly("web-1");
        assertThat(eu.get(0).getKernelVersion()).isEqualTo("6.8");
        assertThat(eu.get(0).getConnected()).isFalse();
        List<HostInfo> all = query().listHosts(ListHostsRequest.getDefaultInstance()).getHostsList();
        assertThat(all).extracting(HostInfo::getHostId).containsExactly("db-1", "web-1");
        List<SessionInfo> sessions = query().listSessions(ListSessionsRequest.newBuilder().setIncludeEnded(true)
                .build()).getSessionsList();
        assertThat(sessions).extracting(s -> s.getSpec().getSessionId())
                .containsExactly(started.getSessionId(), other.getSessionId());
        // Stopped and pushed nowhere: ended at once.
        assertThat(query().listSessions(ListSessionsRequest.getDefaultInstance()).getSessionsList())
                .extracting(s -> s.getSpec().getSessionId()).containsExactly(started.getSessionId());

        collector.close();
        channel.shutdownNow();
        start(CollectorConfig.of("127.0.0.1", 0, data));
        assertThat(query().listHosts(ListHostsRequest.getDefaultInstance()).getHostsList()).isEqualTo(all);
        assertThat(query().listSessions(ListSessionsRequest.newBuilder().setIncludeEnded(true).build())
                .getSessionsList()).isEqualTo(sessions);
        assertThat(query().listSessions(ListSessionsRequest.getDefaultInstance()).getSessionsList())
                .extracting(s -> s.getSpec().getSessionId()).containsExactly(started.getSessionId());
        assertThat(collector.controlPlane().agents().host("web-1").orElseThrow().registration().getCpus())
                .isEqualTo(4);
    }

    /** Collects a server stream. */
    private static final class Collected<T> implements StreamObserver<T> {
        final BlockingQueue<T> items = new LinkedBlockingQueue<>();
        volatile Throwable error;

        T next() throws InterruptedException {
            T t = items.poll(30, TimeUnit.SECONDS);
            if (t == null) {
                throw new AssertionError("nothing within 30 s" + (error == null ? "" : "; stream failed: " + error));
            }
            return t;
        }

        @Override
        public void onNext(T value) {
            items.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
        }
    }

    private static List<String> texts(Collected<OutputEvent> c, int n) throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(c.next().getLine().getText());
        }
        return out;
    }

    @Test
    void followOutputSendsStoredThenNewLinesInOrderEachOnce() throws Exception {
        start(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")).withQuery(QuerySettings.defaults()
                .withBacklogPageLines(7)));
        List<String> expected = new ArrayList<>();
        List<Batch> first = new ArrayList<>();
        for (int seq = 1; seq <= 30; seq++) {
            for (String h : List.of("h1", "h2")) {
                first.add(counted(h, SESSION, seq));
                expected.add(h + " " + seq);
            }
        }
        RawIngestStream.ingest(channel, first.toArray(Batch[]::new));

        // From the first line on: the 60 stored lines (read 7 at a time), then new ones as they are applied,
        // including those applied while the stored ones are read.
        Collected<OutputEvent> c = new Collected<>();
        QueryServiceGrpc.newStub(channel).followOutput(FollowOutputRequest.newBuilder().setSessionId(SESSION)
                .setFromUnixNanos(T0).build(), c);
        List<Batch> more = new ArrayList<>();
        for (int seq = 31; seq <= 60; seq++) {
            for (String h : List.of("h1", "h2")) {
                more.add(counted(h, SESSION, seq));
                expected.add(h + " " + seq);
            }
        }
        RawIngestStream.ingest(channel, more.toArray(Batch[]::new));
        assertThat(texts(c, expected.size())).containsExactlyElementsOf(expected);
        assertThat(c.items.poll(300, TimeUnit.MILLISECONDS)).as("nothing more").isNull();

        // Only one host, from a later time.
        Collected<OutputEvent> h2 = new Collected<>();
        QueryServiceGrpc.newStub(channel).followOutput(FollowOutputRequest.newBuilder().setSessionId(SESSION)
                .addHostIds("h2").setFromUnixNanos(T0 + 55 * SECOND).build(), h2);
        assertThat(texts(h2, 6)).containsExactlyElementsOf(CollectorTesting.lines("h2", 55, 60));
    }

    @Test
    void followOutputFromNowSendsOnlyNewLines() throws Exception {
        start(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")));
        RawIngestStream.ingest(channel, counted("h", SESSION, 1), counted("h", SESSION, 2));
        Collected<OutputEvent> c = new Collected<>();
        QueryServiceGrpc.newStub(channel).followOutput(FollowOutputRequest.newBuilder().setSessionId(SESSION).build(),
                c);
        CollectorTesting.await("the follower subscribed", () -> collector.liveQueries() == 1);
        List<Batch> more = new ArrayList<>();
        for (int seq = 3; seq <= 40; seq++) {
            more.add(counted("h", SESSION, seq));
        }
        RawIngestStream.ingest(channel, more.toArray(Batch[]::new));
        RawIngestStream.ingest(channel, counted("h", "another session", 1));
        assertThat(texts(c, 38)).containsExactlyElementsOf(CollectorTesting.lines("h", 3, 40));
        assertThat(c.items.poll(300, TimeUnit.MILLISECONDS)).as("nothing more").isNull();
    }

    @Test
    void followAggregatesSendsEachWindowOnceWhenEveryHostMovedPastIt() throws Exception {
        start(CollectorConfig.of("127.0.0.1", 0, tmp.resolve("store")).withQuery(QuerySettings.defaults()
                .withWindowGrace(Duration.ofMillis(500))));
        Collected<AggregateWindow> c = new Collected<>();
        QueryServiceGrpc.newStub(channel).followAggregates(FollowAggregatesRequest.newBuilder().setSessionId(SESSION)
                .setName(LAT).setGroupBy(GroupBy.GROUP_BY_HOST).build(), c);
        CollectorTesting.await("the follower subscribed", () -> collector.liveQueries() == 1);
        ingestThreeHosts();
        AggregateWindow first = c.next();
        assertThat(first.getWindowStartUnixNanos()).isEqualTo(T0 + SECOND);
        assertThat(first.getWindowEndUnixNanos()).isEqualTo(T0 + 2 * SECOND);
        assertThat(first.getRowsList()).containsExactly(row("h1", null, stats(1, 10)), row("h2", null, stats(3, 100)),
                row("h3", null, stats(5, 5)));
        assertThat(first.getLossesList()).isEmpty();
        // No host has moved past the second window: it comes after the grace period.
        AggregateWindow second = c.next();
        assertThat(second.getWindowStartUnixNanos()).isEqualTo(T0 + 2 * SECOND);
        assertThat(second.getRowsList()).containsExactly(row("h1", null, stats(2)), row("h2", null, stats(200)),
                row("h3", null, stats(5)));
        assertThat(second.getLossesList()).containsExactly(HostLosses.newBuilder().setHostId("h2")
                .setLosses(LossCounters.newBuilder().setRecordsLost(7)).build());
        assertThat(c.items.poll(700, TimeUnit.MILLISECONDS)).as("each window once").isNull();

        collector.close();
        CollectorTesting.await("the stream ended", () -> c.error != null);
        assertThat(Status.fromThrowable(c.error).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

}
