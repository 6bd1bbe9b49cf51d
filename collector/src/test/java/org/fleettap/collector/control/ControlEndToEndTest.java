package org.fleettap.collector.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.daemon.AgentConfig;
import org.fleettap.agent.daemon.AgentDaemon;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.CompileError;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StopSessionRequest;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent daemon, attaching real uprobes, connected over loopback gRPC to a real collector control plane:
 * sessions started through SessionService run on the agent, their counts add up exactly, and their statuses and
 * compile errors reach the collector's registry, across a collector restart and an agent restart.
 */
class ControlEndToEndTest {
    private static final String HOST = "e2e-host";
    private static final Map<String, String> LABELS = Map.of("role", "e2e");

    @TempDir
    Path state;
    private final TestCollector collector = new TestCollector();
    private final ManagedChannel channel = collector.channel();
    private final SessionServiceGrpc.SessionServiceBlockingStub sessions = SessionServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS);
    private final BatchLog batches = new BatchLog();
    private Path loop;
    private AgentDaemon daemon;

    @BeforeEach
    void requirements() {
        assumeTrue(KernelFeatures.system().hasUprobes(), "kernel lacks uprobes (CONFIG_UPROBE_EVENTS)");
        loop = Paths.get(System.getProperty("fleettap.fixtures", "../agent/target/fixtures"), "loop").toAbsolutePath();
        assertThat(loop).as("the loop fixture, built by the agent module's test build").isExecutable();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (daemon != null) {
            daemon.close();
        }
        channel.shutdownNow();
        collector.close();
    }

    private AgentDaemon startAgent() {
        daemon = new AgentDaemon(AgentConfig.builder(collector.address(), state).hostId(HOST).labels(LABELS)
                .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).build(), batches);
        daemon.start();
        return daemon;
    }

    private String startCounting() {
        String script = "global calls\n"
                + "probe begin { printf(\"ready\\n\") }\n"
                + "probe process(\"" + loop + "\").function(\"f\") { calls++ }\n";
        return sessions.startSession(StartSessionRequest.newBuilder().setScriptName("count.stp")
                .setScriptSource(script).setTarget(TargetSelector.newBuilder().putAllLabels(LABELS))
                .setExportIntervalNanos(Duration.ofMillis(100).toNanos()).build()).getSessionId();
    }

    private void runLoop(int calls) throws Exception {
        Process p = new ProcessBuilder(loop.toString(), Integer.toString(calls)).inheritIO().start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("loop %d finished", calls).isTrue();
        assertThat(p.exitValue()).as("loop returns its count (mod 256)").isEqualTo(calls & 0xff);
    }

    private List<SessionState> states(String sessionId) {
        return collector.sessions.statusLog.stream().filter(s -> s.getSessionId().equals(sessionId))
                .map(SessionStatus::getState).toList();
    }

    private SessionRecord record(String id) {
        return collector.sessions.session(id).orElseThrow();
    }

    private void stop(String id) {
        sessions.stopSession(StopSessionRequest.newBuilder().setSessionId(id).build());
    }

    @Test
    void aStartedSessionCountsExactlyTheCallsMadeAndStopsWhenStopped() throws Exception {
        startAgent();
        String id = startCounting();
        // Probes are attached once the begin probe's output has been exported.
        batches.awaitOutput(id, "ready");
        runLoop(3000);
        stop(id);
        batches.awaitFinal(id, 1);
        assertThat(batches.merged(id, "calls").sum()).isEqualTo(3000);
        assertThat(batches.of(id)).extracting(Batch::getHostId).containsOnly(HOST);
        assertThat(batches.of(id)).extracting(Batch::getSequence).isSorted().doesNotHaveDuplicates();

        Await.until("session " + id + " ended in the registry", () -> record(id).isEnded());
        assertThat(states(id)).containsExactly(SessionState.SESSION_STATE_RUNNING,
                SessionState.SESSION_STATE_STOPPED);
        SessionRecord r = record(id);
        assertThat(r.pushedHosts()).containsExactly(HOST);
        assertThat(r.statuses().get(HOST).getReason()).isEqualTo("stopped by request");
        assertThat(r.endReason()).isEqualTo("stopped by request");
        assertThat(daemon.runningSessionIds()).isEmpty();
    }

    @Test
    void aCompileErrorReachesTheRegistryWithItsLocation() throws Exception {
        startAgent();
        String id = sessions.startSession(StartSessionRequest.newBuilder().setScriptName("bad.stp")
                .setScriptSource("probe begin {\n  printf(\"%d\\n\", nosuch)\n}\n")
                .setTarget(TargetSelector.getDefaultInstance()).build()).getSessionId();
        Await.until("session " + id + " ended in the registry", () -> record(id).isEnded());
        SessionRecord r = record(id);
        assertThat(r.compileErrors()).containsOnlyKeys(HOST);
        List<CompileError> errors = r.compileErrors().get(HOST).getErrorsList();
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).getFile()).isEqualTo("bad.stp");
        assertThat(errors.get(0).getLine()).isEqualTo(2);
        assertThat(errors.get(0).getColumn()).isEqualTo(18);
        assertThat(errors.get(0).getMessage()).isNotEmpty();
        assertThat(states(id)).containsExactly(SessionState.SESSION_STATE_FAILED);
        assertThat(r.statuses().get(HOST).getReason()).startsWith("compile error: bad.stp:2:18: ");
        assertThat(r.endReason()).isEqualTo("failed on every host");
        assertThat(batches.of(id)).isEmpty();
    }

    @Test
    void aSessionSurvivesACollectorRestartWithoutRunningTwice() throws Exception {
        // The session exists before the agent connects: the agent's hello brings it.
        String id = startCounting();
        startAgent();
        batches.awaitOutput(id, "ready");
        assertThat(collector.plane.isConnected(HOST)).isTrue();

        collector.stop();
        collector.restart();
        Await.until("the agent reconnected", () -> collector.plane.isConnected(HOST));
        assertThat(daemon.runningSessionIds()).containsExactly(id);

        runLoop(3000);
        stop(id);
        batches.awaitFinal(id, 1);
        assertThat(batches.merged(id, "calls").sum()).isEqualTo(3000);
        assertThat(batches.of(id)).extracting(Batch::getSequence).isSorted().doesNotHaveDuplicates();
        Await.until("session " + id + " ended in the registry", () -> record(id).isEnded());
        // One run: a second would have reported RUNNING again.
        assertThat(states(id)).containsExactly(SessionState.SESSION_STATE_RUNNING,
                SessionState.SESSION_STATE_STOPPED);
    }

    @Test
    void anAgentThatRestartsGetsItsSessionPushedAgainAndNumbersOn() throws Exception {
        startAgent();
        String id = startCounting();
        batches.awaitOutput(id, "ready");
        runLoop(3000);
        daemon.close();
        batches.awaitFinal(id, 1);
        Await.until("the agent's disconnect", () -> !collector.plane.isConnected(HOST));
        // The agent's own stop is not the session's end.
        assertThat(record(id).isEnded()).isFalse();
        assertThat(states(id)).containsExactly(SessionState.SESSION_STATE_RUNNING);
        int firstRun = batches.of(id).size();

        startAgent();
        Await.until("the second run's begin probe", () -> batches.of(id).stream().skip(firstRun)
                .anyMatch(b -> b.getOutputList().stream().anyMatch(l -> l.getText().equals("ready"))));
        runLoop(2000);
        stop(id);
        batches.awaitFinal(id, 2);
        assertThat(batches.merged(id, "calls").sum()).isEqualTo(5000);
        List<Long> sequences = batches.of(id).stream().map(Batch::getSequence).toList();
        assertThat(sequences).isSorted().doesNotHaveDuplicates();
        assertThat(sequences.get(0)).isEqualTo(1);
        assertThat(sequences.get(firstRun)).isEqualTo(sequences.get(firstRun - 1) + 1);
        Await.until("session " + id + " ended in the registry", () -> record(id).isEnded());
        assertThat(states(id)).containsExactly(SessionState.SESSION_STATE_RUNNING,
                SessionState.SESSION_STATE_RUNNING, SessionState.SESSION_STATE_STOPPED);
    }
}
