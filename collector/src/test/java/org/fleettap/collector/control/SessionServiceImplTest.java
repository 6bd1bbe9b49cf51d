package org.fleettap.collector.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.fleettap.proto.v1.CompileError;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.ControlCommand;
import org.fleettap.proto.v1.SessionLimits;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StartSessionResponse;
import org.fleettap.proto.v1.StopSessionRequest;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SessionServiceImplTest {
    private static final Instant T0 = Instant.parse("2026-03-14T10:00:00Z");
    private static final long T0_NANOS = T0.getEpochSecond() * 1_000_000_000L;

    private final MutableClock clock = new MutableClock(T0);
    private final TestCollector collector = new TestCollector(ControlConfig.defaults().withMaxScriptBytes(100), clock);
    private final ManagedChannel channel = collector.channel();
    private final SessionServiceGrpc.SessionServiceBlockingStub sessions = SessionServiceGrpc.newBlockingStub(channel);

    @AfterEach
    void tearDown() throws InterruptedException {
        channel.shutdownNow();
        collector.close();
    }

    private StartSessionResponse start(TargetSelector target) {
        return sessions.startSession(StartSessionRequest.newBuilder().setScriptName("t.stp")
                .setScriptSource("probe begin { exit() }").setTarget(target).build());
    }

    private String start(Map<String, String> labels) {
        return start(TargetSelector.newBuilder().putAllLabels(labels).build()).getSessionId();
    }

    /** A session only {@code host} matches: what it receives next shows it received nothing before. */
    private String marker(String host) {
        return start(TargetSelector.newBuilder().addHostIds(host).build()).getSessionId();
    }

    private void stop(String id) {
        sessions.stopSession(StopSessionRequest.newBuilder().setSessionId(id).build());
    }

    private SessionRecord record(String id) {
        return collector.sessions.session(id).orElseThrow();
    }

    @Test
    void startStoresTheSpecAndPushesItToConnectedMatchingAgentsOnly() throws Exception {
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of("zone", "eu-1")).connect();
                FakeAgent b = new FakeAgent(channel, "host-b").register(Map.of("zone", "eu-2")).connect();
                FakeAgent c = new FakeAgent(channel, "host-c").register(Map.of("zone", "eu-1"))) {
            // Both streams are up once each has received its marker.
            String markA = marker("host-a");
            String markB = marker("host-b");
            assertThat(a.nextStart()).isEqualTo(markA);
            assertThat(b.nextStart()).isEqualTo(markB);

            StartSessionRequest req = StartSessionRequest.newBuilder().setScriptName("count.stp")
                    .setScriptSource("global n\nprobe begin { n++ }\n").addScriptArgs("42")
                    .setTarget(TargetSelector.newBuilder().putLabels("zone", "eu-1"))
                    .setLimits(SessionLimits.newBuilder().setMaxProbes(10))
                    .setDurationNanos(Duration.ofMinutes(5).toNanos())
                    .setExportIntervalNanos(Duration.ofMillis(500).toNanos()).build();
            StartSessionResponse r = sessions.startSession(req);
            // Registered matching hosts, connected or not.
            assertThat(r.getHostIdsList()).containsExactly("host-a", "host-c");
            SessionSpec expected = SessionSpec.newBuilder().setSessionId(r.getSessionId()).setScriptName("count.stp")
                    .setScriptSource("global n\nprobe begin { n++ }\n").addScriptArgs("42")
                    .setTarget(TargetSelector.newBuilder().putLabels("zone", "eu-1"))
                    .setLimits(SessionLimits.newBuilder().setMaxProbes(10))
                    .setDurationNanos(Duration.ofMinutes(5).toNanos())
                    .setExportIntervalNanos(Duration.ofMillis(500).toNanos()).setCreatedUnixNanos(T0_NANOS).build();
            assertThat(a.next()).isEqualTo(ControlCommand.newBuilder().setStartSession(expected).build());
            String markB2 = marker("host-b");
            assertThat(b.nextStart()).as("host-b (eu-2) got nothing before its marker").isEqualTo(markB2);
            assertThat(record(r.getSessionId()).spec()).isEqualTo(expected);
            assertThat(record(r.getSessionId()).pushedHosts()).containsExactly("host-a");

            // host-c matches and gets it when it connects.
            c.connect();
            assertThat(c.nextStart()).isEqualTo(r.getSessionId());
        }
    }

    @Test
    void sessionIdsAreUniqueAndSortByCreation() {
        String first = start(Map.of());
        clock.advance(Duration.ofMillis(1));
        String second = start(Map.of());
        String third = start(Map.of());
        assertThat(List.of(first, second, third)).isSorted().doesNotHaveDuplicates();
        assertThat(collector.sessions.sessions(true)).extracting(SessionRecord::id)
                .containsExactly(first, second, third);
    }

    @Test
    void stopPushesStopToTheAgentsRunningItAndTheSessionEndsWhenTheyReportStopped() throws Exception {
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of()).connect();
                FakeAgent b = new FakeAgent(channel, "host-b").register(Map.of()).connect()) {
            String id = start(Map.of());
            assertThat(a.nextStart()).isEqualTo(id);
            assertThat(b.nextStart()).isEqualTo(id);
            a.status(id, SessionState.SESSION_STATE_RUNNING, "");
            b.status(id, SessionState.SESSION_STATE_FAILED, "kernel lacks kprobes (CONFIG_KPROBES)");
            Await.until("host-b's FAILED in the registry", () -> record(id).isDoneOn("host-b"));
            stop(id);
            ControlCommand toA = a.next();
            assertThat(toA.getStopSession().getSessionId()).isEqualTo(id);
            assertThat(toA.getStopSession().getReason()).isEqualTo("stopped by request");
            String markB = marker("host-b");
            assertThat(b.nextStart()).as("no stop for host-b, where the session failed").isEqualTo(markB);
            assertThat(record(id).isStopped()).isTrue();
            assertThat(record(id).isEnded()).isFalse();

            a.status(id, SessionState.SESSION_STATE_STOPPED, "stopped by request");
            a.disconnect();
            b.disconnect();
            SessionRecord s = record(id);
            assertThat(s.isEnded()).isTrue();
            assertThat(s.endReason()).isEqualTo("stopped by request");
            assertThat(s.statuses().get("host-a").getState()).isEqualTo(SessionState.SESSION_STATE_STOPPED);
            assertThat(s.statuses().get("host-b").getReason()).isEqualTo("kernel lacks kprobes (CONFIG_KPROBES)");
            assertThat(collector.sessions.sessions(false)).extracting(SessionRecord::id).containsExactly(markB);

            stop(id); // stopping again is fine
        }
    }

    @Test
    void stoppingAnUnknownSessionIsNotFound() {
        assertThatThrownBy(() -> stop("nope")).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(e.getStatus().getDescription()).isEqualTo("no session nope");
        });
        assertThatThrownBy(() -> stop("")).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void statusesAndCompileErrorsLandInTheRegistryAndASessionFailedEverywhereEnds() throws Exception {
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of()).connect()) {
            String id = start(Map.of());
            assertThat(a.nextStart()).isEqualTo(id);
            CompileErrors errors = CompileErrors.newBuilder().setSessionId(id).setHostId("host-a")
                    .addErrors(CompileError.newBuilder().setFile("t.stp").setLine(2).setColumn(18)
                            .setMessage("unknown variable 'nosuch'").setHint("declare it with global"))
                    .build();
            a.compileErrors(errors);
            a.status(id, SessionState.SESSION_STATE_FAILED, "compile error: t.stp:2:18: unknown variable 'nosuch'");
            // Reports for another host or an unknown session are ignored.
            a.compileErrors(errors.toBuilder().setHostId("host-z").build());
            a.status("unknown", SessionState.SESSION_STATE_RUNNING, "");
            a.disconnect();

            SessionRecord s = record(id);
            assertThat(s.compileErrors()).containsExactlyEntriesOf(Map.of("host-a", errors));
            assertThat(s.statuses()).containsOnlyKeys("host-a");
            assertThat(s.statuses().get("host-a").getState()).isEqualTo(SessionState.SESSION_STATE_FAILED);
            assertThat(s.isEnded()).isTrue();
            assertThat(s.endReason()).isEqualTo("failed on every host");
            assertThat(s.toInfo().getCompileErrorsList()).containsExactly(errors);
            assertThat(collector.sessions.session("unknown")).isEmpty();
        }
    }

    @Test
    void aStoppedSessionDoesNotWaitForDisconnectedHostsWhichAreToldToStopWhenTheyReturn() throws Exception {
        String id = start(Map.of());
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of()).connect()) {
            assertThat(a.nextStart()).isEqualTo(id);
            try (FakeAgent b = new FakeAgent(channel, "host-b").register(Map.of()).connect()) {
                assertThat(b.nextStart()).isEqualTo(id);
                b.status(id, SessionState.SESSION_STATE_RUNNING, "");
                b.disconnect();
            }
            stop(id);
            assertThat(a.next().getStopSession().getSessionId()).isEqualTo(id);
            a.status(id, SessionState.SESSION_STATE_STOPPED, "stopped by request");
            a.disconnect();
            assertThat(record(id).isEnded()).isTrue();
        }
        try (FakeAgent b = new FakeAgent(channel, "host-b").connect(id)) {
            ControlCommand c = b.next();
            assertThat(c.getStopSession().getSessionId()).isEqualTo(id);
            assertThat(c.getStopSession().getReason()).isEqualTo("stopped by request");
        }
    }

    @Test
    void aSessionStoppedBeforeReachingAnyHostEndsAtOnce() {
        String id = start(Map.of("zone", "nowhere"));
        clock.advance(Duration.ofSeconds(1));
        stop(id);
        assertThat(record(id).stoppedUnixNanos()).isEqualTo(T0_NANOS + 1_000_000_000L);
        assertThat(record(id).endedUnixNanos()).isEqualTo(T0_NANOS + 1_000_000_000L);
    }

    @Test
    void startRejectsAnEmptyOrOversizedScriptAndAMissingSelector() {
        record Case(StartSessionRequest request, String message) {
        }
        TargetSelector all = TargetSelector.getDefaultInstance();
        List<Case> cases = List.of(
                new Case(StartSessionRequest.newBuilder().setTarget(all).build(), "script_source is empty"),
                new Case(StartSessionRequest.newBuilder().setTarget(all).setScriptSource(" \n").build(),
                        "script_source is empty"),
                new Case(StartSessionRequest.newBuilder().setTarget(all).setScriptSource("#" + "é".repeat(50)).build(),
                        "script_source is 101 bytes, more than the limit of 100"),
                new Case(StartSessionRequest.newBuilder().setScriptSource("probe begin {}").build(),
                        "target is missing: a session needs a selector (an empty one selects every host)"),
                new Case(StartSessionRequest.newBuilder().setTarget(all).setScriptSource("probe begin {}")
                        .setDurationNanos(-1).build(),
                        "duration_nanos and export_interval_nanos must not be negative: -1, 0"));
        for (Case c : cases) {
            assertThatThrownBy(() -> sessions.startSession(c.request())).as(c.message())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).isEqualTo(c.message());
                    });
        }
        assertThat(collector.sessions.sessions(true)).isEmpty();
    }

    /**
     * A host that disconnects mid-session and is not heard from for lostAfter (30 s by default) is lost: the session
     * goes on with the others and ends when they are done; a lost host that comes back running it is back.
     */
    @Test
    void aHostSilentForLostAfterIsLostAndTheSessionEndsWithoutItUnlessItComesBack() throws Exception {
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of()).connect();
                FakeAgent b = new FakeAgent(channel, "host-b").register(Map.of()).connect();
                FakeAgent c = new FakeAgent(channel, "host-c").register(Map.of()).connect()) {
            String id = start(Map.of());
            for (FakeAgent f : List.of(a, b, c)) {
                assertThat(f.nextStart()).isEqualTo(id);
                f.status(id, SessionState.SESSION_STATE_RUNNING, "");
            }
            Await.until("three RUNNING", () -> record(id).statuses().size() == 3);
            b.disconnect();
            c.disconnect();
            clock.advance(ControlConfig.DEFAULT_LOST_AFTER.minusSeconds(1));
            collector.plane.sweep();
            assertThat(record(id).isDoneOn("host-b")).as("not lost within the bound").isFalse();

            clock.advance(Duration.ofSeconds(1));
            collector.plane.sweep();
            assertThat(record(id).statuses().get("host-b").getState()).isEqualTo(SessionState.SESSION_STATE_LOST);
            assertThat(record(id).statuses().get("host-b").getReason()).isEqualTo("no contact for 30 s");
            assertThat(record(id).isLostOn("host-c")).isTrue();
            assertThat(record(id).isEnded()).as("host-a still runs it").isFalse();

            // host-c comes back still running the session: it is back.
            try (FakeAgent c2 = new FakeAgent(channel, "host-c").connect(id)) {
                Await.until("host-c back", () -> !record(id).isLostOn("host-c"));
                assertThat(record(id).statuses().get("host-c").getState())
                        .isEqualTo(SessionState.SESSION_STATE_RUNNING);
                assertThat(record(id).statuses().get("host-c").getReason()).isEqualTo("back after it was lost");
                c2.status(id, SessionState.SESSION_STATE_STOPPED, "exit()");
                a.status(id, SessionState.SESSION_STATE_STOPPED, "exit()");
                Await.until("the session ended", () -> record(id).isEnded());
            }
            assertThat(record(id).endReason()).isEqualTo("ended on every host");
            assertThat(record(id).isLostOn("host-b")).isTrue();
        }
    }

    @Test
    void aHostIsCompleteOnceItsFinalBatchIsAppliedAndTheRecordKeepsIt() {
        String id = start(Map.of());
        collector.plane.applied(List.of(org.fleettap.proto.v1.Batch.newBuilder().setSessionId(id).setHostId("h1")
                .setSequence(1).build(), org.fleettap.proto.v1.Batch.newBuilder().setSessionId(id).setHostId("h2")
                .setSequence(7).setFinalBatch(true).build(), org.fleettap.proto.v1.Batch.newBuilder()
                .setSessionId("unknown").setHostId("h3").setSequence(1).setFinalBatch(true).build()));
        assertThat(record(id).completeHosts()).containsExactly("h2");
        assertThat(record(id).toInfo().getCompleteHostIdsList()).containsExactly("h2");
        assertThat(RegistryRecords.decodeSession(id, RegistryRecords.encode(record(id)))).isEqualTo(record(id));
    }
}
