package org.fleettap.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.agent.daemon.FakeCollector.take;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.proto.v1.AgentEvent;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.ControlCommand;
import org.fleettap.proto.v1.HeartbeatRequest;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.StopSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon against a fake collector on loopback; the sessions use timers only, so no probe is attached. */
class AgentDaemonTest {
    private static final String TICKS = "global ticks\nprobe timer.ms(10) { ticks++ }\n";

    @TempDir
    Path state;
    private final List<Batch> batches = new CopyOnWriteArrayList<>();
    private FakeCollector collector;
    private AgentDaemon daemon;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (daemon != null) {
            daemon.close();
        }
        if (collector != null) {
            collector.close();
        }
    }

    private AgentDaemon daemon(String address) {
        daemon = new AgentDaemon(AgentConfig.builder(address, state).hostId("host-t").labels(Map.of("zone", "eu-1"))
                .backoff(Duration.ofMillis(50), Duration.ofMillis(400)).build(), batches::add);
        return daemon;
    }

    private static ControlCommand start(String id, String source, Duration duration) {
        return ControlCommand.newBuilder().setStartSession(SessionSpec.newBuilder().setSessionId(id)
                .setScriptName(id + ".stp").setScriptSource(source).setDurationNanos(duration.toNanos())
                .setExportIntervalNanos(Duration.ofMillis(50).toNanos())).build();
    }

    private static ControlCommand stop(String id, String reason) {
        return ControlCommand.newBuilder().setStopSession(StopSession.newBuilder().setSessionId(id).setReason(reason))
                .build();
    }

    private SessionStatus nextStatus() throws InterruptedException {
        AgentEvent e = collector.nextEvent();
        assertThat(e.getEventCase()).isEqualTo(AgentEvent.EventCase.STATUS);
        return e.getStatus();
    }

    private List<String> nextHello() throws InterruptedException {
        AgentEvent e = collector.nextEvent();
        assertThat(e.getEventCase()).isEqualTo(AgentEvent.EventCase.HELLO);
        assertThat(e.getHello().getHostId()).isEqualTo("host-t");
        return e.getHello().getRunningSessionIdsList();
    }

    @Test
    void registersWithThisHostsFactsSaysHelloAndHeartbeatsAtTheCollectorsInterval() throws Exception {
        collector = new FakeCollector(0, Duration.ofMillis(50));
        daemon(collector.address()).start();
        RegisterRequest r = take(collector.registrations, "a registration");
        assertThat(r.getHostId()).isEqualTo("host-t");
        assertThat(r.getLabelsMap()).isEqualTo(Map.of("zone", "eu-1"));
        assertThat(r.getKernelVersion()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip())
                .isNotEmpty();
        assertThat(r.getCpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(r.getCapabilities().getUprobePmu()).isEqualTo(KernelFeatures.system().hasUprobes());
        assertThat(r.getCapabilities().getKprobes()).isEqualTo(KernelFeatures.system().hasKprobes());
        assertThat(r.getAgentVersion()).isNotEmpty();
        assertThat(nextHello()).isEmpty();
        for (int i = 0; i < 3; i++) {
            HeartbeatRequest h = take(collector.heartbeats, "heartbeat " + i);
            assertThat(h.getHostId()).isEqualTo("host-t");
            assertThat(h.getRunningSessionIdsList()).isEmpty();
        }
        assertThat(daemon.isConnected()).isTrue();
    }

    @Test
    void retriesRegisteringUntilTheCollectorComesUp() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
            daemon("127.0.0.1:" + port).start();
            // Not a collector: each attempt is a connection that is accepted and closed at once.
            for (int attempt = 0; attempt < 3; attempt++) {
                s.accept().close();
            }
        }
        collector = new FakeCollector(port, Duration.ofSeconds(10));
        assertThat(take(collector.registrations, "a registration").getHostId()).isEqualTo("host-t");
        assertThat(nextHello()).isEmpty();
    }

    @Test
    void runsAPushedSessionOnceHoweverOftenItIsPushedAndStopsItWhenTold() throws Exception {
        collector = new FakeCollector(0, Duration.ofSeconds(10));
        daemon(collector.address()).start();
        nextHello();
        collector.push(start("s-1", TICKS, Duration.ZERO));
        collector.push(start("s-1", TICKS, Duration.ZERO));
        SessionStatus running = nextStatus();
        assertThat(running.getSessionId()).isEqualTo("s-1");
        assertThat(running.getHostId()).isEqualTo("host-t");
        assertThat(running.getState()).isEqualTo(SessionState.SESSION_STATE_RUNNING);
        assertThat(daemon.runningSessionIds()).containsExactly("s-1");
        collector.push(start("s-1", TICKS, Duration.ZERO));
        collector.push(stop("s-1", "stopped by the test"));
        SessionStatus stopped = nextStatus();
        assertThat(stopped.getState()).isEqualTo(SessionState.SESSION_STATE_STOPPED);
        assertThat(stopped.getReason()).isEqualTo("stopped by the test");
        assertThat(daemon.runningSessionIds()).isEmpty();

        daemon.close();
        take(collector.completedStreams, "the agent completing its stream");
        // A second runner would have reported RUNNING too; it would still be running, so close() stopped it.
        assertThat(collector.events).isEmpty();
        assertThat(batches).isNotEmpty().allMatch(b -> b.getSessionId().equals("s-1"));
        assertThat(batches.get(batches.size() - 1).getFinalBatch()).isTrue();
        assertThat(batches).extracting(Batch::getSequence).doesNotHaveDuplicates().isSorted();
    }

    @Test
    void reportsCompileErrorsWithTheirLocation() throws Exception {
        collector = new FakeCollector(0, Duration.ofSeconds(10));
        daemon(collector.address()).start();
        nextHello();
        collector.push(start("s-bad", "probe begin {\n  printf(\"%d\\n\", nosuch)\n}\n", Duration.ZERO));
        AgentEvent e = collector.nextEvent();
        assertThat(e.getEventCase()).isEqualTo(AgentEvent.EventCase.COMPILE_ERRORS);
        assertThat(e.getCompileErrors().getSessionId()).isEqualTo("s-bad");
        assertThat(e.getCompileErrors().getHostId()).isEqualTo("host-t");
        assertThat(e.getCompileErrors().getErrorsList()).hasSize(1);
        assertThat(e.getCompileErrors().getErrors(0).getFile()).isEqualTo("s-bad.stp");
        assertThat(e.getCompileErrors().getErrors(0).getLine()).isEqualTo(2);
        assertThat(e.getCompileErrors().getErrors(0).getColumn()).isEqualTo(18);
        SessionStatus failed = nextStatus();
        assertThat(failed.getState()).isEqualTo(SessionState.SESSION_STATE_FAILED);
        assertThat(failed.getReason()).startsWith("compile error: s-bad.stp:2:18: ");
    }

    @Test
    void reconnectsAfterTheCollectorRestartsWithItsRunningSessionsAndWhatHappenedMeanwhile() throws Exception {
        collector = new FakeCollector(0, Duration.ofSeconds(10));
        daemon(collector.address()).start();
        nextHello();
        collector.push(start("s-long", TICKS, Duration.ZERO));
        assertThat(nextStatus().getState()).isEqualTo(SessionState.SESSION_STATE_RUNNING);
        collector.push(start("s-short", TICKS, Duration.ofMillis(500)));
        SessionStatus shortRunning = nextStatus();
        assertThat(shortRunning.getSessionId()).isEqualTo("s-short");
        assertThat(shortRunning.getState()).isEqualTo(SessionState.SESSION_STATE_RUNNING);

        collector.stop();
        // s-short ends while no collector listens: its STOPPED is held.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FakeCollector.TIMEOUT_SECONDS);
        while (daemon.runningSessionIds().contains("s-short") && System.nanoTime() < deadline) {
            Thread.sleep(10); // no event tells the test that a session ended while disconnected
        }
        assertThat(daemon.runningSessionIds()).containsExactly("s-long");
        collector.restart();

        assertThat(take(collector.registrations, "the first registration").getHostId()).isEqualTo("host-t");
        assertThat(take(collector.registrations, "a registration after the restart").getHostId())
                .isEqualTo("host-t");
        assertThat(nextHello()).containsExactly("s-long");
        SessionStatus held = nextStatus();
        assertThat(held.getSessionId()).isEqualTo("s-short");
        assertThat(held.getState()).isEqualTo(SessionState.SESSION_STATE_STOPPED);
        assertThat(held.getReason()).isEqualTo("ended");

        // The collector pushes what it thinks is missing: the running session is not started twice.
        collector.push(start("s-long", TICKS, Duration.ZERO));
        collector.push(stop("s-long", "done"));
        SessionStatus stopped = nextStatus();
        assertThat(stopped.getSessionId()).isEqualTo("s-long");
        assertThat(stopped.getState()).isEqualTo(SessionState.SESSION_STATE_STOPPED);
        daemon.close();
        take(collector.completedStreams, "the agent completing its stream");
        assertThat(collector.events).isEmpty();
    }

    @Test
    void closeStopsSessionsFlushesTheirLastBatchButDoesNotReportThemEnded() throws Exception {
        collector = new FakeCollector(0, Duration.ofSeconds(10));
        daemon(collector.address()).start();
        nextHello();
        collector.push(start("s-1", TICKS, Duration.ZERO));
        assertThat(nextStatus().getState()).isEqualTo(SessionState.SESSION_STATE_RUNNING);
        daemon.close();
        daemon.close(); // idempotent
        take(collector.completedStreams, "the agent completing its stream");
        assertThat(collector.events).isEmpty();
        assertThat(batches).isNotEmpty();
        assertThat(batches.get(batches.size() - 1).getFinalBatch()).isTrue();
        assertThat(daemon.runningSessionIds()).isEmpty();
        assertThat(daemon.isConnected()).isFalse();
    }
}
