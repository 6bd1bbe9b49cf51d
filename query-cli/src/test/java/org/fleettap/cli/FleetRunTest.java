package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.CompileError;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.LossCounters;
import org.fleettap.proto.v1.OutputLine;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.Signal;

/**
 * {@code run --collector} against a collector on loopback whose hosts are played by the test: it reports their
 * statuses and compile errors into the registry and feeds their batches, as agents would. (A real agent daemon
 * runs a real session in {@link FleetRunEndToEndTest}.)
 */
@Timeout(120)
class FleetRunTest {
    private static final String SCRIPT = "global calls, lat, name\n"
            + "probe begin { printf(\"hello\\n\") }\n"
            + "probe timer.ms(100) { calls++; lat[execname()] <<< 5; name = \"x\" }\n";
    private final LoopbackCollector collector = new LoopbackCollector();
    @TempDir
    Path dir;

    @AfterEach
    void close() throws InterruptedException {
        collector.close();
    }

    private void register(String host, String zone) {
        collector.agents.register(RegisterRequest.newBuilder().setHostId(host).putLabels("zone", zone).build(), 1);
    }

    private void status(String session, String host, SessionState state, String reason) {
        collector.sessions.status(SessionStatus.newBuilder().setSessionId(session).setHostId(host).setState(state)
                .setReason(reason).build());
    }

    private static String sessionId(Capture c) {
        c.awaitStdout("the session line", out -> out.contains("\n"));
        String first = c.stdout().lines().findFirst().orElseThrow();
        assertThat(first).startsWith("session ");
        return first.substring("session ".length());
    }

    private static AggregateDelta delta(String name, List<KeyPart> key, long... values) {
        MergeableAggregate a = new MergeableAggregate();
        for (long v : values) {
            a.record(v);
        }
        return AggregateDelta.newBuilder().setName(name).addAllKey(key).setAggregate(a.toProto()).build();
    }

    private static Batch.Builder batch(String session, String host, long sequence, String... lines) {
        Batch.Builder b = Batch.newBuilder().setSessionId(session).setHostId(host).setSequence(sequence);
        for (int i = 0; i < lines.length; i++) {
            b.addOutput(OutputLine.newBuilder().setTimeUnixNanos(1000 * sequence + i).setText(lines[i]));
        }
        return b;
    }

    private static int exit(CompletableFuture<Integer> run) throws Exception {
        return run.get(60, TimeUnit.SECONDS);
    }

    /** SIGINT, as Ctrl-C: only while the command runs, whose handler then catches it. */
    private static void interrupt(CompletableFuture<Integer> run) {
        assertThat(run).as("the command still runs").isNotDone();
        Signal.raise(new Signal("INT"));
    }

    @Test
    void twoHostsOutputPrefixedByHostThenStatisticsMergedAcrossThem() throws Exception {
        register("h1", "eu");
        register("h2", "eu");
        register("h3", "us");
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", collector.address(), "--hosts",
                    "zone=eu", "--duration", "1h", "--interval", "250ms", "-e", SCRIPT);
            String id = sessionId(c);
            KeyPart sh = KeyPart.newBuilder().setStringValue("sh").build();
            KeyPart cc = KeyPart.newBuilder().setStringValue("cc").build();
            status(id, "h1", SessionState.SESSION_STATE_RUNNING, "");
            status(id, "h2", SessionState.SESSION_STATE_RUNNING, "");
            collector.query.accept(batch(id, "h1", 1, "hello").addAggregates(delta("calls", List.of(), 3))
                    .addAggregates(delta("lat", List.of(sh), 5, 5, 5)).build());
            collector.query.accept(batch(id, "h2", 1, "hello", "two lines").addAggregates(delta("calls", List.of(), 2))
                    .addAggregates(delta("lat", List.of(sh), 1)).addAggregates(delta("lat", List.of(cc), 9, 1))
                    .setLosses(LossCounters.newBuilder().setRecordsLost(2)).build());
            c.awaitStdout("h2's lines", out -> out.contains("[h2] two lines\n"));
            collector.query.accept(batch(id, "h1", 2, "bye").addAggregates(delta("calls", List.of(), 10))
                    .setFinalBatch(true).build());
            status(id, "h1", SessionState.SESSION_STATE_STOPPED, "ended");
            status(id, "h2", SessionState.SESSION_STATE_STOPPED, "ended");
            // h2's final batch comes after its end was reported (from its spool, say): the statistics wait for it.
            Thread.sleep(3 * FleetRun.POLL.toMillis());
            assertThat(run).isNotDone();
            collector.query.accept(batch(id, "h2", 2).addAggregates(delta("calls", List.of(), 100))
                    .setFinalBatch(true).build());

            assertThat(exit(run)).isZero();
            assertThat(c.stdout()).isEqualTo("session " + id + "\n"
                    + "[h1] hello\n"
                    + "[h2] hello\n"
                    + "[h2] two lines\n"
                    + "[h1] bye\n"
                    + "calls=0x73\n"
                    + "lat[\"sh\"] @count=4 @min=1 @max=5 @sum=16 @avg=4\n"
                    + "lat[\"cc\"] @count=2 @min=1 @max=9 @sum=10 @avg=5\n");
            assertThat(c.stderr()).isEqualTo(""
                    + "fleettap: warning: h1 is not connected; it runs the session when it reconnects\n"
                    + "fleettap: warning: h2 is not connected; it runs the session when it reconnects\n"
                    + "fleettap: warning: h2: 2 events lost (ring buffers full)\n");
        }
        // The session as asked: the selector, the script under the name -e; then stopped.
        SessionSpec spec = collector.sessions.sessions(true).get(0).spec();
        assertThat(spec.getTarget()).isEqualTo(TargetSelector.newBuilder().putLabels("zone", "eu").build());
        assertThat(spec.getScriptName()).isEqualTo("-e");
        assertThat(spec.getScriptSource()).isEqualTo(SCRIPT);
        assertThat(spec.getDurationNanos()).isEqualTo(3_600_000_000_000L);
        assertThat(spec.getExportIntervalNanos()).isEqualTo(250_000_000L);
        assertThat(collector.sessions.sessions(true).get(0).isStopped()).isTrue();
        // Numbers and statistics over the whole session, merged across hosts; strings are not exported.
        assertThat(collector.query.queries).extracting(AggregateQuery::getName, AggregateQuery::getGroupBy)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("calls", GroupBy.GROUP_BY_NONE),
                        org.assertj.core.groups.Tuple.tuple("lat", GroupBy.GROUP_BY_KEY));
    }

    @Test
    void compileErrorsAndFailuresPerHostOnceEachAndExitOneWhenEveryHostFailed() throws Exception {
        register("h1", "eu");
        register("h2", "eu");
        try (Capture c = Capture.install()) {
            Path script = Files.writeString(dir.resolve("count.stp"), SCRIPT);
            CompletableFuture<Integer> run = Capture.start("run", "--collector", collector.address(),
                    script.toString(), "arg1", "arg 2");
            String id = sessionId(c);
            SessionSpec spec = collector.sessions.session(id).orElseThrow().spec();
            assertThat(spec.getScriptName()).isEqualTo(script.toString());
            assertThat(spec.getScriptArgsList()).containsExactly("arg1", "arg 2");
            assertThat(spec.getTarget()).as("every host").isEqualTo(TargetSelector.getDefaultInstance());
            status(id, "h2", SessionState.SESSION_STATE_STARTED, "");
            CompileErrors errors = CompileErrors.newBuilder().setSessionId(id).setHostId("h1")
                    .addErrors(CompileError.newBuilder().setFile("-e").setLine(3).setColumn(7)
                            .setMessage("no function 'nosuch' in /x/loop").setHint("did you mean 'main'?"))
                    .addErrors(CompileError.newBuilder().setFile("-e").setMessage("too many probes")).build();
            collector.sessions.compileErrors(errors);
            status(id, "h1", SessionState.SESSION_STATE_FAILED, "compile error: -e:3:7: no function 'nosuch'");
            c.awaitStderr("h1's errors", err -> err.contains("too many probes"));
            // Reported again by the registry on every poll, printed once.
            Thread.sleep(2 * FleetRun.POLL.toMillis());
            status(id, "h2", SessionState.SESSION_STATE_FAILED, "kernel lacks kprobes");

            assertThat(exit(run)).isEqualTo(1);
            assertThat(c.stdout()).isEqualTo("session " + id + "\n");
            assertThat(c.stderr()).isEqualTo(""
                    + "fleettap: warning: h1 is not connected; it runs the session when it reconnects\n"
                    + "fleettap: warning: h2 is not connected; it runs the session when it reconnects\n"
                    + "h1: -e:3:7: error: no function 'nosuch' in /x/loop (hint: did you mean 'main'?)\n"
                    + "h1: -e: error: too many probes\n"
                    + "h2: session failed: kernel lacks kprobes\n");
        }
        assertThat(collector.query.queries).as("no statistics when every host failed").isEmpty();
    }

    @Test
    void aLostHostIsReportedTheSessionEndsWithTheOthersAndTheLastLineSaysWhoDidNotAnswer() throws Exception {
        register("h1", "eu");
        register("h2", "eu");
        register("h3", "eu");
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", collector.address(), "-e", SCRIPT);
            String id = sessionId(c);
            status(id, "h1", SessionState.SESSION_STATE_RUNNING, "");
            status(id, "h2", SessionState.SESSION_STATE_RUNNING, "");
            status(id, "h3", SessionState.SESSION_STATE_RUNNING, "");
            collector.query.accept(batch(id, "h2", 1).addAggregates(delta("calls", List.of(), 4)).build());
            status(id, "h2", SessionState.SESSION_STATE_LOST, "no contact for 30 s");
            c.awaitStderr("h2 lost", err -> err.contains("h2 lost"));
            collector.query.accept(batch(id, "h1", 1).addAggregates(delta("calls", List.of(), 1)).setFinalBatch(true)
                    .build());
            status(id, "h1", SessionState.SESSION_STATE_STOPPED, "exit()");
            status(id, "h3", SessionState.SESSION_STATE_FAILED, "kernel lacks kprobes");

            assertThat(exit(run)).isZero();
            assertThat(c.stdout()).isEqualTo("session " + id + "\ncalls=0x5\n");
            assertThat(c.stderr()).isEqualTo(""
                    + "fleettap: warning: h1 is not connected; it runs the session when it reconnects\n"
                    + "fleettap: warning: h2 is not connected; it runs the session when it reconnects\n"
                    + "fleettap: warning: h3 is not connected; it runs the session when it reconnects\n"
                    + "fleettap: warning: h2 lost (no contact for 30 s): the session goes on without it; what it "
                    + "sent before is kept\n"
                    + "h3: session failed: kernel lacks kprobes\n"
                    + "fleettap: 1 of 3 hosts ended the session; failed: h3; lost: h2\n");
        }
    }

    @Test
    void noMatchingHostWaitsForOneUntilCtrlC() throws Exception {
        register("h1", "eu");
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", collector.address(), "--hosts",
                    "zone=mars,host:h1", "-e", SCRIPT);
            String id = sessionId(c);
            c.awaitStderr("the warning", err -> err.contains("\n"));
            interrupt(run);
            assertThat(exit(run)).isEqualTo(1);
            assertThat(c.stdout()).isEqualTo("session " + id + "\n");
            assertThat(c.stderr()).isEqualTo("fleettap: warning: no registered host matches zone=mars,host:h1; "
                    + "agents that register and match will run the session (Ctrl-C to stop)\n"
                    + "fleettap: no host ran session " + id + "\n");
        }
        assertThat(collector.sessions.sessions(true).get(0).isStopped()).isTrue();
    }

    @Test
    void aScriptThatDoesNotCheckIsReportedHereAndNeverSent() {
        try (Capture c = Capture.install()) {
            int exit = Capture.fleettap("run", "--collector", collector.address(), "-e",
                    "probe begin { printf(\"%d\\n\", 1 + ) }");
            assertThat(exit).isEqualTo(1);
            assertThat(c.stdout()).isEmpty();
            assertThat(c.stderr()).isEqualTo(""
                    + "-e:1:34: error: expected an expression, found ')'\n"
                    + "probe begin { printf(\"%d\\n\", 1 + ) }\n"
                    + "                                 ^\n");
        }
        assertThat(collector.sessionIds()).isEmpty();
    }
}
