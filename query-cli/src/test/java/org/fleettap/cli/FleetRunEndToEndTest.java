package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.daemon.AgentConfig;
import org.fleettap.agent.daemon.AgentDaemon;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.proto.v1.SessionState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.Signal;

/**
 * {@code fleettap run --collector} end to end: a real agent daemon, attaching real uprobes to the loop fixture,
 * connected over loopback gRPC to the real control plane; its batches feed the test QueryService, from which the
 * command follows the output and reads the merged statistics.
 */
@Timeout(180)
class FleetRunEndToEndTest {
    private static final String HOST = "e2e-host";

    @TempDir
    Path state;
    private final LoopbackCollector collector = new LoopbackCollector();
    private AgentDaemon daemon;
    private Path loop;

    @BeforeEach
    void startAgent() {
        assumeTrue(KernelFeatures.system().hasUprobes(), "kernel lacks uprobes (CONFIG_UPROBE_EVENTS)");
        loop = Paths.get(System.getProperty("fleettap.fixtures", "../agent/target/fixtures"), "loop").toAbsolutePath()
                .normalize();
        assertThat(loop).as("the loop fixture, built by the agent module's test build").isExecutable();
        daemon = new AgentDaemon(AgentConfig.builder(collector.address(), state).hostId(HOST)
                .labels(Map.of("role", "e2e")).backoff(Duration.ofMillis(50), Duration.ofMillis(500)).build(),
                collector.query);
        daemon.start();
        Await.until("the agent connected", () -> collector.plane.isConnected(HOST));
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (daemon != null) {
            daemon.close();
        }
        collector.close();
    }

    private void runLoop(int calls) throws Exception {
        Process p = new ProcessBuilder(loop.toString(), Integer.toString(calls)).inheritIO().start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("loop %d finished", calls).isTrue();
        assertThat(p.exitValue()).as("loop returns its count (mod 256)").isEqualTo(calls & 0xff);
    }

    private static String sessionId(String stdout) {
        return stdout.lines().findFirst().orElseThrow().substring("session ".length());
    }

    @Test
    void theScriptEndsItselfOnEveryHostThenTheMergedStatisticsArePrinted() throws Exception {
        String script = "global calls, hits\n"
                + "probe begin { printf(\"ready\\n\") }\n"
                + "probe process(\"" + loop + "\").function(\"f\") { calls++; hits[\"f\"] <<< 1 }\n"
                + "probe process(\"" + loop + "\").function(\"main\").return {\n"
                + "  printf(\"%d vs %d\\n\", calls, $return); exit()\n"
                + "}\n";
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", collector.address(), "--hosts",
                    "role=e2e", "--interval", "100ms", "-e", script);
            // The begin probe's line is exported once the probes are attached.
            c.awaitStdout("the begin probe's line", out -> out.contains("[e2e-host] ready\n"));
            runLoop(3000);
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            String id = sessionId(c.stdout());
            assertThat(c.stdout()).isEqualTo("session " + id + "\n"
                    + "[e2e-host] ready\n"
                    + "[e2e-host] 3000 vs 3000\n"
                    + "calls=0xbb8\n"
                    + "hits[\"f\"] @count=3000 @min=1 @max=1 @sum=3000 @avg=1\n");
            assertThat(c.stderr()).isEmpty();
            assertThat(collector.sessions.session(id).orElseThrow().statuses().get(HOST).getState())
                    .isEqualTo(SessionState.SESSION_STATE_STOPPED);
        }
    }

    @Test
    void ctrlCStopsTheSessionItsEndProbesOutputComesThenTheStatistics() throws Exception {
        String script = "global calls\n"
                + "probe begin { printf(\"ready\\n\") }\n"
                + "probe process(\"" + loop + "\").function(\"f\") { calls++ }\n"
                + "probe end { printf(\"bye after %d\\n\", calls) }\n";
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", collector.address(), "--interval",
                    "100ms", "-e", script);
            c.awaitStdout("the begin probe's line", out -> out.contains("[e2e-host] ready\n"));
            runLoop(2000);
            assertThat(run).as("the session runs until stopped").isNotDone();
            Signal.raise(new Signal("INT"));
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            String id = sessionId(c.stdout());
            assertThat(c.stdout()).isEqualTo("session " + id + "\n"
                    + "[e2e-host] ready\n"
                    + "[e2e-host] bye after 2000\n"
                    + "calls=0x7d0\n");
            assertThat(c.stderr()).isEmpty();
            assertThat(collector.sessions.session(id).orElseThrow().statuses().get(HOST).getReason())
                    .isEqualTo("stopped by request");
        }
        assertThat(daemon.runningSessionIds()).isEmpty();
    }

    @Test
    void aScriptThatFailsToCompileOnTheHostIsReportedWithTheHostAndExitsOne() throws Exception {
        String script = "global n\nprobe process(\"" + loop + "\").function(\"nosuch\") { n++ }\n";
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", collector.address(), "-e", script);
            assertThat(run.get(60, TimeUnit.SECONDS)).isEqualTo(1);
            String id = sessionId(c.stdout());
            assertThat(c.stdout()).isEqualTo("session " + id + "\n");
            assertThat(c.stderr()).isEqualTo("e2e-host: -e:2:7: error: no function matches 'nosuch' in " + loop
                    + "\n");
        }
    }
}
