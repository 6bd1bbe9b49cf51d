package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fleettap.agent.daemon.AgentConfig;
import org.fleettap.agent.daemon.AgentDaemon;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.agent.transport.GrpcTransport;
import org.fleettap.agent.transport.Spool;
import org.fleettap.agent.transport.SpoolConfig;
import org.fleettap.agent.transport.TransportSettings;
import org.fleettap.collector.Collector;
import org.fleettap.collector.CollectorConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet commands against the real collector (RocksDB store, gRPC ingest, QueryService) and a real agent daemon
 * that ships its batches over the gRPC transport through its spool: {@code run --collector} prints the hosts'
 * output and the statistics as the store merged them, and {@code query}, {@code hosts} and {@code sessions} read the
 * same store afterwards.
 */
@Timeout(180)
class RealCollectorEndToEndTest {
    private static final String HOST = "real-host";

    @TempDir
    Path dir;
    private Collector collector;
    private GrpcTransport transport;
    private AgentDaemon daemon;
    private Path loop;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(KernelFeatures.system().hasUprobes(), "kernel lacks uprobes (CONFIG_UPROBE_EVENTS)");
        loop = Paths.get(System.getProperty("fleettap.fixtures", "../agent/target/fixtures"), "loop").toAbsolutePath()
                .normalize();
        collector = new Collector(CollectorConfig.of("127.0.0.1", 0, dir.resolve("data"))).start();
        transport = GrpcTransport.connect(address(), Spool.open(SpoolConfig.of(dir.resolve("spool"))),
                TransportSettings.defaults());
        daemon = new AgentDaemon(AgentConfig.builder(address(), dir.resolve("state")).hostId(HOST)
                .labels(Map.of("role", "real")).backoff(Duration.ofMillis(50), Duration.ofMillis(500)).build(),
                transport::submit);
        daemon.start();
        Await.until("the agent connected", () -> collector.controlPlane().isConnected(HOST));
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
            transport.close();
        }
        if (collector != null) {
            collector.close();
        }
    }

    private String address() {
        return "127.0.0.1:" + collector.port();
    }

    @Test
    void runThenQueryHostsAndSessionsReadWhatTheStoreMerged() throws Exception {
        String script = "global calls, hits\n"
                + "probe begin { printf(\"ready\\n\") }\n"
                + "probe process(\"" + loop + "\").function(\"f\") { calls++; hits[\"f\", 1] <<< 2 }\n"
                + "probe process(\"" + loop + "\").function(\"main\").return {\n"
                + "  printf(\"%d vs %d\\n\", calls, $return); exit()\n"
                + "}\n";
        String id;
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", address(), "--hosts", "role=real",
                    "--interval", "100ms", "-e", script);
            c.awaitStdout("the begin probe's line", out -> out.contains("[real-host] ready\n"));
            Process p = new ProcessBuilder(loop.toString(), "2500").inheritIO().start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            id = c.stdout().lines().findFirst().orElseThrow().substring("session ".length());
            assertThat(c.stdout()).isEqualTo("session " + id + "\n"
                    + "[real-host] ready\n"
                    + "[real-host] 2500 vs 2500\n"
                    + "calls=0x9c4\n"
                    + "hits[\"f\",1] @count=2500 @min=2 @max=2 @sum=5000 @avg=2\n");
            assertThat(c.stderr()).isEmpty();
        }
        try (Capture c = Capture.install()) {
            assertThat(Capture.fleettap("query", "--collector", address(), "--session", id, "hits", "--by",
                    "host,key")).isZero();
            assertThat(c.stdout()).isEqualTo(""
                    + "HOST       KEY    COUNT   SUM  MIN  MAX  AVG  P50  P90  P99\n"
                    + "real-host  \"f\",1   2500  5000    2    2    2    2    2    2\n");
            assertThat(c.stderr()).isEmpty();
        }
        try (Capture c = Capture.install()) {
            assertThat(Capture.fleettap("hosts", "--collector", address())).isZero();
            assertThat(c.stdout()).startsWith("HOST       LABELS     CONNECTED  LAST CONTACT          KERNEL")
                    .contains("\nreal-host  role=real  yes        ")
                    .contains("  " + System.getProperty("os.version") + "  uprobes,tracefs");
            assertThat(Capture.fleettap("sessions", "--collector", address(), "--all")).isZero();
            assertThat(c.stdout()).contains(id + "  -e      role=real  ").endsWith("  1 stopped\n");
        }
    }

    /** `fleettap stop ID` ends a running session on its host and says how it ended; the run then ends too. */
    @Test
    void stopEndsASessionOnItsHostsAndSaysHow() throws Exception {
        String script = "probe begin { printf(\"ready\\n\") }\nprobe timer.s(1) { }\nprobe end { printf(\"bye\\n\") }\n";
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", address(), "--interval", "100ms",
                    "-e", script);
            c.awaitStdout("the begin probe's line", out -> out.contains("[real-host] ready\n"));
            String id = c.stdout().lines().findFirst().orElseThrow().substring("session ".length());
            assertThat(Capture.fleettap("stop", "--collector", address(), id)).isZero();
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            // The run's own lines, and the stop command's one line (the end probe ran before the host reported).
            assertThat(c.stdout().lines().toList()).containsExactlyInAnyOrder("session " + id, "[real-host] ready",
                    "[real-host] bye", "session " + id + " ended: 1 stopped");
            assertThat(c.stderr()).isEmpty();
        }
        try (Capture c = Capture.install()) {
            assertThat(Capture.fleettap("stop", "--collector", address(), "nosuch")).isEqualTo(1);
            assertThat(c.stdout()).isEmpty();
            assertThat(c.stderr()).isEqualTo("fleettap: collector " + address() + ": StopSession: no session nosuch\n");
        }
    }

    /**
     * `fleettap latency` on the loop fixture: the host arms, 3000 calls of f() are timed, and the session's totals
     * count exactly 3000 for the host and merged; the live windows before them add up to no more.
     */
    @Test
    void latencyTimesEveryCallPerHostAndMerged() throws Exception {
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("latency", "--collector", address(), "--process",
                    loop.toString(), "--function", "f", "--interval", "200ms", "--min-samples", "1000000000");
            c.awaitStdout("the host to arm", out -> out.contains("[real-host] timing f in " + loop + "\n"));
            String id = c.stdout().lines().findFirst().orElseThrow().substring("session ".length());
            Process p = new ProcessBuilder(loop.toString(), "3000").inheritIO().start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            c.awaitStdout("a window with calls", out -> out.contains("real-host  f"));
            assertThat(Capture.fleettap("stop", "--collector", address(), id)).isZero();
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            String out = c.stdout();
            String total = out.substring(out.indexOf("session total\n"));
            List<String> rows = total.lines().skip(2).toList();
            assertThat(rows).hasSize(2);
            assertThat(rows.get(0)).matches("real-host\\s+f\\s+3000(\\s+\\d+){4}");
            assertThat(rows.get(1)).matches("\\*\\s+f\\s+3000(\\s+\\d+){4}");
            long windowed = out.substring(0, out.indexOf("session total\n")).lines()
                    .filter(l -> l.startsWith("real-host ")).mapToLong(l -> Long.parseLong(l.split("\\s+")[2])).sum();
            assertThat(windowed).isBetween(1L, 3000L);
            assertThat(c.stderr()).isEqualTo("fleettap: 1 of 1 hosts ended the session\n");
        }
    }

    /**
     * `fleettap latency -o csv`: stdout is one CSV (header once, a row per host and function per window, then the
     * session's totals with empty window cells: exactly 3000 for the host and merged); the session line and the
     * host's lines went to stderr.
     */
    @Test
    void latencyAsCsvKeepsStdoutToTheCsv() throws Exception {
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("latency", "--collector", address(), "--process",
                    loop.toString(), "--function", "f", "--interval", "200ms", "--min-samples", "1000000000", "-o",
                    "csv");
            c.awaitStderr("the host to arm", err -> err.contains("[real-host] timing f in " + loop + "\n"));
            String id = c.stderr().lines().filter(l -> l.startsWith("session ")).findFirst().orElseThrow()
                    .substring("session ".length());
            Process p = new ProcessBuilder(loop.toString(), "3000").inheritIO().start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            c.awaitStdout("a window with calls", out -> out.contains(",real-host,f,"));
            assertThat(Capture.fleettap("stop", "--collector", address(), id)).isZero();
            assertThat(run.get(60, TimeUnit.SECONDS)).isZero();
            // `fleettap stop` ran in this JVM too: its line is the one stdout line that is not the CSV's.
            String stop = "session " + id + " ended: 1 stopped\n";
            assertThat(c.stdout()).containsOnlyOnce(stop);
            List<String> lines = List.of(c.stdout().replace(stop, "").split("\r\n", -1));
            assertThat(lines.get(0)).isEqualTo("WINDOW_START,WINDOW_END,HOST,FUNCTION,COUNT,P50_US,P90_US,P99_US,MAX_US");
            assertThat(lines.get(lines.size() - 1)).isEmpty();
            List<String> rows = lines.subList(1, lines.size() - 1);
            assertThat(rows.get(rows.size() - 2)).matches(",,real-host,f,3000(,\\d+){4}");
            assertThat(rows.get(rows.size() - 1)).matches(",,\\*,f,3000(,\\d+){4}");
            List<String> windows = rows.subList(0, rows.size() - 2);
            assertThat(windows).isNotEmpty().allMatch(r -> r.matches("[-0-9T:.Z]+,[-0-9T:.Z]+,(real-host|\\*),f(,\\d+){5}"));
            long windowed = windows.stream().filter(r -> r.contains(",real-host,"))
                    .mapToLong(r -> Long.parseLong(r.split(",")[4])).sum();
            assertThat(windowed).isBetween(1L, 3000L);
            assertThat(c.stderr()).isEqualTo("session " + id + "\n[real-host] timing f in " + loop + "\n"
                    + "fleettap: 1 of 1 hosts ended the session\n");
        }
    }

    /**
     * `fleettap profile`: a busy shell pinned to CPU 1 shows with every one of its samples on CPU 1 (100.0% and 0.0%
     * exactly, as it cannot run elsewhere), and the host's title counts exactly the samples of its rows.
     */
    @Test
    void profileShowsAPinnedThreadWhollyOnItsCpu() throws Exception {
        Process busy = new ProcessBuilder("taskset", "-c", "1", "sh", "-c", "while :; do :; done").start();
        try (Capture c = Capture.install()) {
            assertThat(Capture.fleettap("profile", "--collector", address(), "--duration", "2s", "--top", "100000"))
                    .isZero();
            List<String> lines = c.stdout().lines().toList();
            assertThat(lines.get(1)).isEqualTo("[real-host] profiling");
            String title = lines.get(2);
            assertThat(title).matches("real-host: \\d+ samples of \\d+ threads on 2 CPUs");
            assertThat(lines.get(3)).matches("\\s*TID\\s+PROCESS\\s+TASK\\s+SAMPLES\\s+CPU0\\s+CPU1");
            // TID first; SAMPLES, CPU0, CPU1 last (names may hold blanks: "C1 CompilerThre").
            List<String[]> rows = lines.subList(4, lines.size()).stream().map(l -> l.strip().split("\\s+")).toList();
            long samples = rows.stream().mapToLong(r -> Long.parseLong(r[r.length - 3])).sum();
            assertThat(title).startsWith("real-host: " + samples + " samples of " + rows.size() + " threads");
            String[] shell = rows.stream().filter(r -> r[0].equals(Long.toString(busy.pid()))).findFirst()
                    .orElseThrow(() -> new AssertionError("no row for the busy shell " + busy.pid() + ":\n" + c.stdout()));
            assertThat(shell).hasSize(6);
            assertThat(shell[1]).isEqualTo("sh");
            assertThat(shell[2]).isEqualTo("sh");
            assertThat(Long.parseLong(shell[3])).isPositive();
            assertThat(shell[4]).isEqualTo("0.0%");
            assertThat(shell[5]).isEqualTo("100.0%");
            assertThat(c.stderr()).isEqualTo("fleettap: 1 of 1 hosts ended the session\n");
        } finally {
            busy.destroyForcibly();
        }
    }
}
