package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.OutputLine;
import org.fleettap.proto.v1.SessionServiceGrpc;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.TargetSelector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.Signal;

/**
 * {@code fleettap agent} as a daemon, in-process against a collector on loopback: it registers with its host id
 * and labels, runs what {@code fleettap run --collector} sends it, ships batches over gRPC through its spool, and
 * on SIGTERM stops its sessions, flushes their last batches and exits 0.
 */
@Timeout(180)
class AgentCommandEndToEndTest {
    private static final String HOST = "cli-agent";

    @TempDir
    Path dir;
    private final LoopbackCollector collector = new LoopbackCollector();

    @AfterEach
    void close() throws InterruptedException {
        collector.close();
    }

    private static List<String> output(List<Batch> batches) {
        return batches.stream().flatMap(b -> b.getOutputList().stream()).map(OutputLine::getText).toList();
    }

    @Test
    void runsPushedSessionsAndFlushesTheirLastBatchesOnSigterm() throws Exception {
        assumeTrue(KernelFeatures.system().hasUprobes(), "kernel lacks uprobes (CONFIG_UPROBE_EVENTS)");
        Path loop = Paths.get(System.getProperty("fleettap.fixtures", "../agent/target/fixtures"), "loop")
                .toAbsolutePath().normalize();
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> agent = Capture.start("agent", "--collector", collector.address(), "--host-id",
                    HOST, "--labels", "role=cli,zone=lab", "--spool", dir.resolve("spool").toString(), "--state",
                    dir.resolve("state").toString());
            Await.until("the agent registered and connected", () -> collector.plane.isConnected(HOST));
            assertThat(collector.agents.host(HOST).orElseThrow().labels()).containsOnlyKeys("role", "zone");

            // A fleet run through it: the batches travel over gRPC, through the agent's spool, to the collector.
            String script = "global calls\n"
                    + "probe begin { printf(\"ready\\n\") }\n"
                    + "probe process(\"" + loop + "\").function(\"f\") { calls++ }\n";
            CompletableFuture<Integer> run = Capture.start("run", "--collector", collector.address(), "--hosts",
                    "host:" + HOST + ",zone=lab", "--interval", "100ms", "-e", script);
            c.awaitStdout("the begin probe's line", out -> out.contains("[cli-agent] ready\n"));
            Process p = new ProcessBuilder(loop.toString(), "1500").inheritIO().start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(run).isNotDone();
            Signal.raise(new Signal("INT")); // to the run command, whose handlers were installed last
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            String id = c.stdout().lines().findFirst().orElseThrow().substring("session ".length());
            assertThat(c.stdout()).isEqualTo("session " + id + "\n[cli-agent] ready\ncalls=0x5dc\n");
            assertThat(c.stderr()).isEmpty();
            assertThat(agent).as("the agent runs on").isNotDone();

            // A session still running when the agent gets SIGTERM: its end probe runs, its last batch goes out.
            ManagedChannel channel = NettyChannelBuilder.forTarget(collector.address()).usePlaintext().build();
            String second;
            try {
                second = SessionServiceGrpc.newBlockingStub(channel).startSession(StartSessionRequest.newBuilder()
                        .setScriptName("bye.stp").setScriptSource("probe begin { printf(\"ready\\n\") }\n"
                                + "probe end { printf(\"bye\\n\") }\n")
                        .setTarget(TargetSelector.getDefaultInstance())
                        .setExportIntervalNanos(Duration.ofMillis(100).toNanos()).build()).getSessionId();
            } finally {
                channel.shutdownNow();
            }
            Await.until("the second session's begin line", () -> output(collector.query.batches(second))
                    .contains("ready"));
            assertThat(agent).isNotDone();
            Signal.raise(new Signal("TERM"));
            assertThat(agent.get(60, TimeUnit.SECONDS)).isZero();
            List<Batch> batches = collector.query.batches(second);
            assertThat(output(batches)).containsExactly("ready", "bye");
            assertThat(batches.get(batches.size() - 1).getFinalBatch()).isTrue();
            assertThat(batches).extracting(Batch::getSequence).isSorted().doesNotHaveDuplicates();
            assertThat(c.stdout()).as("the agent prints nothing on stdout").isEqualTo("session " + id
                    + "\n[cli-agent] ready\ncalls=0x5dc\n");
            assertThat(c.stderr()).isEmpty();
        }
        Await.until("the agent's control stream closed", () -> !collector.plane.isConnected(HOST));
        // The agent's own stop is not the session's end: it runs again when the agent comes back.
        assertThat(collector.sessions.session(collector.sessionIds().get(1)).orElseThrow().isEnded()).isFalse();
    }
}
