package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.cli.Rows.i;
import static org.fleettap.cli.Rows.row;
import static org.fleettap.cli.Rows.s;
import static org.fleettap.cli.Rows.stats;

import java.util.List;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateWindow;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.LossCounters;
import org.fleettap.proto.v1.Metric;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** query, hosts and sessions against a collector on loopback that serves given rows, windows, hosts and sessions. */
@Timeout(60)
class ReadOnlyCommandsTest {
    private static final long T0 = 1_714_564_800_000_000_000L; // 2024-05-01T12:00:00Z
    private final LoopbackCollector collector = new LoopbackCollector();

    @AfterEach
    void close() throws InterruptedException {
        collector.close();
    }

    private record Run(int exit, String stdout, String stderr) {
    }

    private Run fleettap(String... args) {
        try (Capture c = Capture.install()) {
            int exit = Capture.fleettap(args);
            return new Run(exit, c.stdout(), c.stderr());
        }
    }

    private static final AggregateQueryResponse LATENCY = AggregateQueryResponse.newBuilder()
            .addRows(row("db1", List.of(s("read")), stats(120, 61_440, 8, 4096, 512, 500, 2048, 4090)))
            .addRows(row("db2", List.of(s("read")), stats(80, 8_000, 50, 200, 100, 100, 180, 200)))
            .setTotalRows(5).setFromUnixNanos(T0).setToUnixNanos(T0 + 60_000_000_000L)
            .addLosses(HostLosses.newBuilder().setHostId("db2").setLosses(LossCounters.newBuilder()
                    .setRecordsLost(12)).setSpoolDroppedBatches(3))
            .build();

    @Test
    void queryPrintsTheRowsAsATableAndAsksForWhatTheFlagsSay() {
        collector.query.canned("latency", LATENCY);
        Run r = fleettap("query", "--collector", collector.address(), "--session", "s-1", "latency", "--by",
                "host,key", "--hosts", "db1,db2", "--from", "2024-05-01T12:00:00Z", "--to",
                "2024-05-01T15:00:00+02:00", "--top", "2", "--order", "p99");
        assertThat(r.stdout()).isEqualTo(""
                + "HOST  KEY     COUNT    SUM  MIN   MAX  AVG  P50   P90   P99\n"
                + "db1   \"read\"    120  61440    8  4096  512  500  2048  4090\n"
                + "db2   \"read\"     80   8000   50   200  100  100   180   200\n");
        assertThat(r.stderr()).isEqualTo(""
                + "fleettap: top 2 of 5 rows by p99\n"
                + "fleettap: warning: db2: 12 events lost (ring buffers full), 3 batches dropped by its spool\n");
        assertThat(r.exit()).isZero();
        assertThat(collector.query.queries).containsExactly(AggregateQuery.newBuilder().setSessionId("s-1")
                .setName("latency").setGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY).addHostIds("db1").addHostIds("db2")
                .setFromUnixNanos(T0).setToUnixNanos(T0 + 3_600_000_000_000L).setTopN(2)
                .setOrderBy(Metric.METRIC_P99).build());
    }

    @Test
    void queryAsCsvIsTheTableAsRfc4180() {
        collector.query.canned("latency", LATENCY);
        Run r = fleettap("query", "--collector", collector.address(), "--session", "s-1", "latency", "--by",
                "host,key", "--top", "2", "--order", "p99", "-o", "csv");
        assertThat(r.stdout()).isEqualTo(""
                + "HOST,KEY,COUNT,SUM,MIN,MAX,AVG,P50,P90,P99\r\n"
                + "db1,\"\"\"read\"\"\",120,61440,8,4096,512,500,2048,4090\r\n"
                + "db2,\"\"\"read\"\"\",80,8000,50,200,100,100,180,200\r\n");
        assertThat(r.exit()).isZero();
        Run none = fleettap("query", "--collector", collector.address(), "--session", "s-1", "nosuch", "-o", "csv");
        assertThat(none.stdout()).isEqualTo("KEY,COUNT,SUM,MIN,MAX,AVG,P50,P90,P99\r\n");
        assertThat(none.stderr()).isEqualTo("fleettap: no data for nosuch in session s-1\n");
    }

    @Test
    void queryAsJsonIsTheCollectorsAnswer() {
        collector.query.canned("latency", LATENCY);
        Run r = fleettap("query", "--collector", collector.address(), "--session", "s-1", "latency", "-o", "json");
        assertThat(r.stdout()).isEqualTo(OutputFormat.json(LATENCY)).startsWith("{\n  \"rows\": [{\n");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.exit()).isZero();
        // By key over the whole session by default.
        assertThat(collector.query.queries).containsExactly(AggregateQuery.newBuilder().setSessionId("s-1")
                .setName("latency").setGroupBy(GroupBy.GROUP_BY_KEY).build());
    }

    @Test
    void queryWithoutDataSaysSo() {
        Run r = fleettap("query", "--collector", collector.address(), "--session", "s-1", "nosuch");
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).isEqualTo("fleettap: no data for nosuch in session s-1\n");
        assertThat(r.exit()).isZero();
    }

    @Test
    void queryFollowPrintsEachWindowAsItComes() {
        collector.query.windows(List.of(
                AggregateWindow.newBuilder().setWindowStartUnixNanos(T0).setWindowEndUnixNanos(T0 + 500_000_000L)
                        .addRows(row("a", List.of(), stats(2, 30, 10, 20, 15, 10, 20, 20))).build(),
                AggregateWindow.newBuilder().setWindowStartUnixNanos(T0 + 500_000_000L)
                        .setWindowEndUnixNanos(T0 + 1_000_000_000L)
                        .addRows(row("a", List.of(), stats(1, 7, 7, 7, 7, 7, 7, 7)))
                        .addLosses(HostLosses.newBuilder().setHostId("a").setLosses(LossCounters.newBuilder()
                                .setEventsDropped(4))).build()));
        Run r = fleettap("query", "--collector", collector.address(), "--session", "s-1", "lat", "--follow", "--by",
                "host", "--hosts", "a");
        assertThat(r.stdout()).isEqualTo(""
                + "window 2024-05-01T12:00:00Z .. 2024-05-01T12:00:00.500Z\n"
                + "HOST  COUNT  SUM  MIN  MAX  AVG  P50  P90  P99\n"
                + "a         2   30   10   20   15   10   20   20\n"
                + "\n"
                + "window 2024-05-01T12:00:00.500Z .. 2024-05-01T12:00:01Z\n"
                + "HOST  COUNT  SUM  MIN  MAX  AVG  P50  P90  P99\n"
                + "a         1    7    7    7    7    7    7    7\n"
                + "\n");
        assertThat(r.stderr()).isEqualTo("fleettap: warning: a: 4 events dropped by the agent\n");
        assertThat(r.exit()).isZero();
        assertThat(collector.query.followRequests).hasSize(1);
        assertThat(collector.query.followRequests.get(0).getHostIdsList()).containsExactly("a");
        assertThat(collector.query.followRequests.get(0).getGroupBy()).isEqualTo(GroupBy.GROUP_BY_HOST);

        Run json = fleettap("query", "--collector", collector.address(), "--session", "s-1", "lat", "--follow",
                "-o", "json");
        assertThat(json.stdout().lines()).hasSize(2).allMatch(l -> l.startsWith("{\"window_start_unix_nanos\":"));

        Run csv = fleettap("query", "--collector", collector.address(), "--session", "s-1", "lat", "--follow",
                "--by", "host", "-o", "csv");
        assertThat(csv.stdout()).isEqualTo(""
                + "WINDOW_START,WINDOW_END,HOST,COUNT,SUM,MIN,MAX,AVG,P50,P90,P99\r\n"
                + "2024-05-01T12:00:00Z,2024-05-01T12:00:00.500Z,a,2,30,10,20,15,10,20,20\r\n"
                + "2024-05-01T12:00:00.500Z,2024-05-01T12:00:01Z,a,1,7,7,7,7,7,7,7\r\n");
        assertThat(csv.stderr()).isEqualTo("fleettap: warning: a: 4 events dropped by the agent\n");
        assertThat(csv.exit()).isZero();
    }

    @Test
    void hostsListsLabelsConnectionAndLastContact() {
        collector.agents.register(RegisterRequest.newBuilder().setHostId("web1").putLabels("zone", "eu-1")
                .putLabels("role", "web").setKernelVersion("6.18.4").setCapabilities(org.fleettap.proto.v1.Capabilities
                        .newBuilder().setUprobePmu(true).setTracefs(true).setBpf(true)).build(), T0);
        collector.agents.register(RegisterRequest.newBuilder().setHostId("db1").build(), T0 + 61_000_000_000L);
        Run r = fleettap("hosts", "--collector", collector.address());
        assertThat(r.stdout()).isEqualTo(""
                + "HOST  LABELS              CONNECTED  LAST CONTACT          KERNEL  PROBES\n"
                + "db1   -                   no         2024-05-01T12:01:01Z  -       -\n"
                + "web1  role=web,zone=eu-1  no         2024-05-01T12:00:00Z  6.18.4  uprobes,tracefs,bpf\n");
        assertThat(r.exit()).isZero();
        Run selected = fleettap("hosts", "--collector", collector.address(), "--hosts", "zone=eu-1", "-o", "json");
        assertThat(selected.stdout()).contains("\"host_id\": \"web1\"").doesNotContain("db1");
    }

    @Test
    void sessionsListScriptSelectorCreationAndStates() {
        collector.sessions.create(SessionSpec.newBuilder().setSessionId("s-1").setScriptName("count.stp")
                .setTarget(TargetSelector.newBuilder().putLabels("zone", "eu-1")).setCreatedUnixNanos(T0).build(),
                "olga");
        collector.sessions.create(SessionSpec.newBuilder().setSessionId("s-2").setScriptName("-e")
                .setTarget(TargetSelector.getDefaultInstance()).setCreatedUnixNanos(T0 + 1_000_000_000L).build(), "");
        for (String[] hs : new String[][] {{"a", "RUNNING"}, {"b", "RUNNING"}, {"c", "FAILED"}}) {
            collector.sessions.status(SessionStatus.newBuilder().setSessionId("s-1").setHostId(hs[0])
                    .setState(SessionState.valueOf("SESSION_STATE_" + hs[1])).build());
        }
        collector.sessions.ended("s-2", T0 + 2_000_000_000L, "stopped");
        Run r = fleettap("sessions", "--collector", collector.address());
        assertThat(r.stdout()).isEqualTo(""
                + "SESSION  SCRIPT     HOSTS      CREATED               STARTED BY  STATES\n"
                + "s-1      count.stp  zone=eu-1  2024-05-01T12:00:00Z  olga        2 running, 1 failed\n");
        Run all = fleettap("sessions", "--collector", collector.address(), "--all");
        assertThat(all.stdout())
                .endsWith("s-2      -e         *          2024-05-01T12:00:01Z  -           no host yet\n");
        assertThat(all.exit()).isZero();
    }

    @Test
    void keysOfEveryKind() {
        collector.query.canned("k", AggregateQueryResponse.newBuilder()
                .addRows(row("", List.of(i(-3), s("x y")), stats(1, 1, 1, 1, 1, 1, 1, 1))).build());
        Run r = fleettap("query", "--collector", collector.address(), "--session", "s", "k");
        assertThat(r.stdout()).isEqualTo(""
                + "KEY       COUNT  SUM  MIN  MAX  AVG  P50  P90  P99\n"
                + "-3,\"x y\"      1    1    1    1    1    1    1    1\n");
    }
}
