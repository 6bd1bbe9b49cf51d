package org.fleettap.collector.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.fleettap.proto.v1.AgentEvent;
import org.fleettap.proto.v1.AgentServiceGrpc;
import org.fleettap.proto.v1.Capabilities;
import org.fleettap.proto.v1.ControlCommand;
import org.fleettap.proto.v1.ControlHello;
import org.fleettap.proto.v1.HeartbeatRequest;
import org.fleettap.proto.v1.HostInfo;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.RegisterResponse;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SpoolStatus;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StopSessionRequest;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentServiceImplTest {
    private static final Instant T0 = Instant.parse("2026-03-14T10:00:00Z");
    private static final long T0_NANOS = T0.getEpochSecond() * 1_000_000_000L;

    private final MutableClock clock = new MutableClock(T0);
    private final TestCollector collector = new TestCollector(
            ControlConfig.defaults().withHeartbeatInterval(Duration.ofSeconds(3)), clock);
    private final ManagedChannel channel = collector.channel();
    private final AgentServiceGrpc.AgentServiceBlockingStub agents = AgentServiceGrpc.newBlockingStub(channel);
    private final SessionServiceGrpc.SessionServiceBlockingStub sessions = SessionServiceGrpc.newBlockingStub(channel);

    @AfterEach
    void tearDown() throws InterruptedException {
        channel.shutdownNow();
        collector.close();
    }

    private String start(Map<String, String> labels) {
        return sessions.startSession(StartSessionRequest.newBuilder().setScriptName("t.stp")
                .setScriptSource("probe begin { exit() }").setTarget(TargetSelector.newBuilder().putAllLabels(labels))
                .build()).getSessionId();
    }

    @Test
    void registerRecordsTheHostAndAnswersWithTheConfiguredIntervalAndLimits() {
        RegisterRequest req = RegisterRequest.newBuilder().setHostId("host-a").putLabels("zone", "eu-1")
                .setKernelVersion("6.8.0-test").setAgentVersion("0.1.0")
                .setCapabilities(Capabilities.newBuilder().setUprobePmu(true).setTracefs(true)).setCpus(2).build();
        RegisterResponse r = agents.register(req);
        assertThat(r.getHeartbeatIntervalNanos()).isEqualTo(Duration.ofSeconds(3).toNanos());
        assertThat(r.getMaxUnackedBatches()).isEqualTo(ControlConfig.DEFAULT_MAX_UNACKED_BATCHES);
        assertThat(r.getMaxBatchBytes()).isEqualTo(ControlConfig.DEFAULT_MAX_BATCH_BYTES);
        assertThat(r.getCollectorVersion()).isNotEmpty();

        HostRecord h = collector.agents.host("host-a").orElseThrow();
        assertThat(h.registration()).isEqualTo(req);
        assertThat(h.registeredUnixNanos()).isEqualTo(T0_NANOS);
        assertThat(h.lastContactUnixNanos()).isEqualTo(T0_NANOS);
        assertThat(h.toInfo(false)).isEqualTo(HostInfo.newBuilder().setHostId("host-a").putLabels("zone", "eu-1")
                .setKernelVersion("6.8.0-test").setAgentVersion("0.1.0")
                .setCapabilities(Capabilities.newBuilder().setUprobePmu(true).setTracefs(true))
                .setRegisteredUnixNanos(T0_NANOS).setLastHeartbeatUnixNanos(T0_NANOS).build());

        // Registering again replaces labels and times: registration is idempotent per host id.
        clock.advance(Duration.ofSeconds(5));
        agents.register(req.toBuilder().putLabels("zone", "eu-2").build());
        assertThat(collector.agents.hosts()).hasSize(1);
        assertThat(collector.agents.host("host-a").orElseThrow().labels()).isEqualTo(Map.of("zone", "eu-2"));
        assertThat(collector.agents.host("host-a").orElseThrow().registeredUnixNanos())
                .isEqualTo(T0_NANOS + 5_000_000_000L);
    }

    @Test
    void registerRejectsHostIdsAndLabelsOverTheLimitsWithALineNamingTheLimit() {
        assertThatThrownBy(() -> agents.register(RegisterRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("host_id is empty");
                });
        assertThatThrownBy(() -> agents.register(RegisterRequest.newBuilder().setHostId("h".repeat(254)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
                        .endsWith("is longer than the limit of 253 bytes"));
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 65; i++) {
            many.put("k" + i, "v");
        }
        assertThatThrownBy(() -> agents.register(RegisterRequest.newBuilder().setHostId("h").putAllLabels(many)
                .build())).isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus()
                .getDescription()).isEqualTo("host h has 65 labels, more than the limit of 64"));
        assertThatThrownBy(() -> agents.register(RegisterRequest.newBuilder().setHostId("h")
                .putLabels("k", "v".repeat(257)).build())).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getDescription())
                        .isEqualTo("host h: label 'k' is longer than the limit of 256 bytes for a key or value"));
        assertThat(collector.agents.hosts()).isEmpty();
    }

    @Test
    void heartbeatUpdatesLastContactAndSpoolAndAsksUnknownHostsToRegisterAgain() {
        agents.register(RegisterRequest.newBuilder().setHostId("host-a").build());
        clock.advance(Duration.ofSeconds(3));
        SpoolStatus spool = SpoolStatus.newBuilder().setBatches(4).setBytes(4096).setDroppedBatches(1).build();
        assertThat(agents.heartbeat(HeartbeatRequest.newBuilder().setHostId("host-a").setSpool(spool).build())
                .getRegisterAgain()).isFalse();
        HostRecord h = collector.agents.host("host-a").orElseThrow();
        assertThat(h.lastContactUnixNanos()).isEqualTo(T0_NANOS + 3_000_000_000L);
        assertThat(h.registeredUnixNanos()).isEqualTo(T0_NANOS);
        assertThat(h.spool()).isEqualTo(spool);

        assertThat(agents.heartbeat(HeartbeatRequest.newBuilder().setHostId("host-x").build()).getRegisterAgain())
                .isTrue();
        assertThat(collector.agents.host("host-x")).isEmpty();
    }

    @Test
    void helloPushesEveryActiveMatchingSessionTheHostDoesNotRun() throws Exception {
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of("zone", "eu-1"))) {
            String eu1 = start(Map.of("zone", "eu-1"));
            String all = start(Map.of());
            String eu2 = start(Map.of("zone", "eu-2"));
            String running = start(Map.of());
            String stopped = start(Map.of());
            sessions.stopSession(StopSessionRequest.newBuilder().setSessionId(stopped).build());

            a.connect(running);
            assertThat(a.nextStart()).isEqualTo(eu1);
            assertThat(a.nextStart()).isEqualTo(all);
            // Nothing for eu2 (labels), running (the host runs it) or stopped: the next command is the next push.
            String later = start(Map.of("zone", "eu-1"));
            assertThat(a.nextStart()).isEqualTo(later);
            assertThat(collector.plane.isConnected("host-a")).isTrue();
            assertThat(collector.sessions.session(running).orElseThrow().pushedHosts()).containsExactly("host-a");
            assertThat(collector.sessions.session(eu2).orElseThrow().pushedHosts()).isEmpty();
            assertThat(collector.sessions.session(stopped).orElseThrow().pushedHosts()).isEmpty();

            assertThat(a.disconnect()).isEqualTo(Status.OK);
            assertThat(collector.plane.isConnected("host-a")).isFalse();
        }
    }

    @Test
    void helloTellsTheHostToStopSessionsTheCollectorStoppedOrNeverHad() throws Exception {
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of())) {
            String stopped = start(Map.of("zone", "nowhere"));
            sessions.stopSession(StopSessionRequest.newBuilder().setSessionId(stopped).build());
            a.connect(stopped, "no-such-session");
            ControlCommand first = a.next();
            ControlCommand second = a.next();
            assertThat(first.getStopSession().getSessionId()).isEqualTo(stopped);
            assertThat(first.getStopSession().getReason()).isEqualTo("stopped by request");
            assertThat(second.getStopSession().getSessionId()).isEqualTo("no-such-session");
            assertThat(second.getStopSession().getReason()).isEqualTo("unknown session");
        }
    }

    @Test
    void aHostThatRestartedGetsItsSessionAgainButNotOneThatStoppedOrFailedThere() throws Exception {
        String keeps = start(Map.of());
        String fails = start(Map.of());
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of())) {
            a.connect();
            assertThat(a.nextStart()).isEqualTo(keeps);
            assertThat(a.nextStart()).isEqualTo(fails);
            a.status(keeps, SessionState.SESSION_STATE_RUNNING, "");
            a.status(fails, SessionState.SESSION_STATE_FAILED, "compile error");
            a.disconnect();
        }
        // The agent restarted: it runs nothing now.
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of())) {
            a.connect();
            assertThat(a.nextStart()).isEqualTo(keeps);
            String marker = start(Map.of());
            assertThat(a.nextStart()).isEqualTo(marker);
        }
    }

    @Test
    void aLateHostGetsWhatRemainsOfTheSessionsDuration() throws Exception {
        String id = sessions.startSession(StartSessionRequest.newBuilder().setScriptSource("probe begin {}")
                .setTarget(TargetSelector.getDefaultInstance()).setDurationNanos(Duration.ofSeconds(60).toNanos())
                .build()).getSessionId();
        String expired = sessions.startSession(StartSessionRequest.newBuilder().setScriptSource("probe begin {}")
                .setTarget(TargetSelector.getDefaultInstance()).setDurationNanos(Duration.ofSeconds(10).toNanos())
                .build()).getSessionId();
        clock.advance(Duration.ofSeconds(15));
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of())) {
            a.connect();
            ControlCommand c = a.next();
            assertThat(c.getStartSession().getSessionId()).isEqualTo(id);
            assertThat(c.getStartSession().getDurationNanos()).isEqualTo(Duration.ofSeconds(45).toNanos());
            assertThat(c.getStartSession().getCreatedUnixNanos()).isEqualTo(T0_NANOS);
            String marker = start(Map.of());
            assertThat(a.nextStart()).as("nothing for %s, whose duration has passed", expired).isEqualTo(marker);
        }
    }

    @Test
    void theFirstMessageMustBeAHelloFromARegisteredHost() throws Exception {
        FakeAgent unregistered = new FakeAgent(channel, "host-u").connect();
        Status s = unregistered.awaitEnd();
        assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(s.getDescription())
                .isEqualTo("host host-u is not registered: call Register before opening the control stream");

        FakeAgent rude = new FakeAgent(channel, "host-r").register(Map.of());
        rude.connect();
        rude.send(AgentEvent.newBuilder().setHello(ControlHello.newBuilder().setHostId("host-r")).build());
        Status second = rude.awaitEnd();
        assertThat(second.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(second.getDescription()).isEqualTo("second ControlHello on the control stream of host host-r");
        assertThat(collector.plane.isConnected("host-r")).isFalse();
    }

    @Test
    void statusBeforeHelloClosesTheStream() throws Exception {
        try (FakeAgent a = new FakeAgent(channel, "host-a").register(Map.of()).open()) {
            a.status("s", SessionState.SESSION_STATE_RUNNING, "");
            Status s = a.awaitEnd();
            assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(s.getDescription()).isEqualTo(
                    "control stream: status before ControlHello (the first message must be a ControlHello)");
        }
    }

    @Test
    void aNewStreamFromTheSameHostReplacesTheOldOne() throws Exception {
        String id = start(Map.of());
        try (FakeAgent first = new FakeAgent(channel, "host-a").register(Map.of());
                FakeAgent second = new FakeAgent(channel, "host-a")) {
            first.connect();
            assertThat(first.nextStart()).isEqualTo(id);
            second.connect();
            assertThat(second.nextStart()).isEqualTo(id);
            Status old = first.awaitEnd();
            assertThat(old.getCode()).isEqualTo(Status.Code.ABORTED);
            assertThat(old.getDescription()).isEqualTo("replaced by a newer control stream of host host-a");
            assertThat(collector.plane.connectedHosts()).containsExactly("host-a");
            // The old stream's end does not disconnect the host.
            String next = start(Map.of());
            assertThat(second.nextStart()).isEqualTo(next);
            assertThat(collector.plane.isConnected("host-a")).isTrue();
        }
    }
}
