package org.fleettap.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.collector.CollectorTesting.CALLS;
import static org.fleettap.collector.CollectorTesting.SESSION;
import static org.fleettap.collector.CollectorTesting.counted;
import static org.fleettap.collector.CollectorTesting.totalCount;
import static org.fleettap.collector.CollectorTesting.totalSum;

import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.fleettap.agent.transport.GrpcTransport;
import org.fleettap.agent.transport.Spool;
import org.fleettap.agent.transport.SpoolConfig;
import org.fleettap.agent.transport.TransportSettings;
import org.fleettap.agent.transport.TransportStats;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across a collector crash: an agent's GrpcTransport streams numbered batches to a collector process,
 * which is killed with SIGKILL mid-stream; a new collector process on the same data directory and port takes over,
 * the transport replays what was not acknowledged from its spool, and the merged totals are exactly the submitted
 * ones.
 */
class CollectorCrashTest {
    private static final int BATCHES = 1500;
    private static final int KILL_AFTER_APPLIED = 400;

    @TempDir
    Path tmp;

    @Test
    void sigkillMidStreamThenRestartAppliesEveryBatchExactlyOnce() throws Exception {
        Path data = tmp.resolve("store");
        Child first = Child.start(data, 0, tmp.resolve("first.stderr"));
        int port = first.port;
        TransportSettings settings = TransportSettings.defaults().withIntakeCapacity(BATCHES)
                .withBackoff(Duration.ofMillis(50), Duration.ofMillis(300)).withAckTimeout(Duration.ofSeconds(10));
        Child second = null;
        try (GrpcTransport agent = GrpcTransport.connect("127.0.0.1:" + port,
                Spool.open(SpoolConfig.of(tmp.resolve("spool"))), settings)) {
            Thread producer = new Thread(() -> {
                for (int seq = 1; seq <= BATCHES; seq++) {
                    agent.submit(counted("h", SESSION, seq));
                    LockSupport.parkNanos(1_000_000); // about 1,000 batches a second, so the kill lands mid-stream
                }
            }, "test-producer");
            producer.start();
            CollectorTesting.await("applied " + KILL_AFTER_APPLIED + " batches",
                    () -> agent.stats().applied() >= KILL_AFTER_APPLIED);
            first.kill();
            assertThat(agent.stats().submitted()).as("killed mid-stream").isLessThan(BATCHES);

            second = Child.start(data, port, tmp.resolve("second.stderr"));
            producer.join();
            agent.flush(Duration.ofSeconds(60));
            TransportStats stats = agent.stats();
            assertThat(stats.submitted()).isEqualTo(BATCHES);
            assertThat(stats.applied() + stats.duplicates()).as("%s", stats).isGreaterThanOrEqualTo(BATCHES);
            assertThat(stats.spool().batches()).as("%s", stats).isZero();
            assertThat(stats.failures()).as("the kill broke the stream: %s", stats).isPositive();

            ManagedChannel ch = CollectorTesting.channel(port);
            try {
                AggregateQueryResponse r = QueryServiceGrpc.newBlockingStub(ch).queryAggregates(AggregateQuery
                        .newBuilder().setSessionId(SESSION).setName(CALLS).setGroupBy(GroupBy.GROUP_BY_NONE).build());
                assertThat(r.getRows(0).getStats().getCount()).isEqualTo(totalCount(BATCHES));
                assertThat(r.getRows(0).getStats().getSum()).isEqualTo(totalSum(BATCHES));
                assertThat(r.getLossesList()).isEmpty();
            } finally {
                ch.shutdownNow();
            }
        } finally {
            first.kill();
            if (second != null) {
                second.stop();
            }
        }
    }

    /** A collector in a child JVM. */
    private static final class Child {
        final Process process;
        final int port;
        final Path stderr;

        private Child(Process process, int port, Path stderr) {
            this.process = process;
            this.port = port;
            this.stderr = stderr;
        }

        /** Starts one on {@code port}; retries while the port is still held by a killed predecessor's sockets. */
        static Child start(Path data, int port, Path stderr) throws IOException, InterruptedException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            for (int attempt = 1; ; attempt++) {
                Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                        CollectorChild.class.getName(), data.toString(), Integer.toString(port))
                        .redirectError(stderr.toFile()).start();
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8));
                String line = out.readLine();
                if (line != null && line.startsWith("listening ")) {
                    return new Child(p, Integer.parseInt(line.substring("listening ".length())), stderr);
                }
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
                String err = Files.readString(stderr);
                if (attempt >= 20 || !err.contains("Address already in use")) {
                    throw new AssertionError("collector child did not start: " + err);
                }
                LockSupport.parkNanos(200_000_000);
            }
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        void stop() throws IOException, InterruptedException {
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("collector child did not stop within 30 s: " + Files.readString(stderr));
            }
        }
    }
}
