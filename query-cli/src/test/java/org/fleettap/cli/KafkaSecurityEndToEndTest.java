package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.testing.kafka.BrokerSecurity;
import org.fleettap.testing.kafka.KafkaBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleettap agent} and {@code fleettap collector} as processes, talking to a real broker whose listener takes
 * SASL/PLAIN (or TLS), with their Kafka client settings from {@code --kafka-config}: with the right password (or the
 * broker's certificate) every call counted by a real uprobe arrives exactly once; with a wrong one each daemon says so in one line, no password in
 * its output, and the agent keeps the batches in its spool until it is started with the right password.
 */
@Timeout(300)
class KafkaSecurityEndToEndTest {
    private static final String USER = "fleettap";
    private static final String PASSWORD = "Kafka-pa55word";
    private static final String WRONG = "not-the-password";
    private static final String HOST = "sasl-host";
    private static final BrokerSecurity.SaslPlain SASL = BrokerSecurity.saslPlain(USER, PASSWORD);
    private static final Pattern SUM = Pattern.compile("\"sum\"\\s*:\\s*\"?(-?\\d+)");

    @TempDir
    Path dir;
    private KafkaBroker kafka;
    private Path loop;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void uprobes() {
        assumeTrue(KernelFeatures.system().hasUprobes(), "kernel lacks uprobes (CONFIG_UPROBE_EVENTS)");
        loop = Paths.get(System.getProperty("fleettap.fixtures", "../agent/target/fixtures"), "loop").toAbsolutePath()
                .normalize();
    }

    private void broker(BrokerSecurity security) {
        kafka = KafkaBroker.start(dir.resolve("kafka"), security);
        kafka.createTopic("fleettap.batches", 2);
    }

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** A settings file with the broker's user and {@code password}. */
    private Path settings(String name, String password) throws Exception {
        return settings(name, SASL.clientProperties(USER, password));
    }

    private Path settings(String name, Map<String, String> settings) throws Exception {
        StringBuilder text = new StringBuilder("# Kafka client settings of the fleet\n");
        settings.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        return Files.writeString(dir.resolve(name), text);
    }

    /** {@code fleettap ARGS} in a JVM of its own; stdout and stderr go to NAME.out and NAME.err. */
    private Process fleettap(String name, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(Capture.insecure(args)));
        Process p = new ProcessBuilder(command).redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile()).start();
        processes.add(p);
        return p;
    }

    private String out(String name) {
        return read(dir.resolve(name + ".out"));
    }

    /** NAME.err without the --insecure warning that {@link Capture#insecure} causes. */
    private String err(String name) {
        return Capture.withoutInsecureWarning(read(dir.resolve(name + ".err")));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Starts a collector reading the topic with the settings in {@code file}; returns its HOST:PORT. */
    private String collector(String name, Path file, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("collector", "--listen", "127.0.0.1:0", "--data",
                dir.resolve(name + "-data").toString(), "--kafka", kafka.bootstrapServers(), "--kafka-config",
                file.toString()));
        args.addAll(List.of(more));
        fleettap(name, args.toArray(new String[0]));
        await(name + " to listen", () -> out(name).contains("collector listening on "));
        String line = out(name).lines().findFirst().orElseThrow();
        return line.substring("collector listening on ".length());
    }

    private Process agent(String name, String collector, Path file, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("agent", "--collector", collector, "--host-id", HOST, "--spool",
                dir.resolve("spool").toString(), "--state", dir.resolve("state").toString(), "--kafka",
                kafka.bootstrapServers(), "--kafka-config", file.toString()));
        args.addAll(List.of(more));
        Process p = fleettap(name, args.toArray(new String[0]));
        await(name + " to register", () -> err(name).contains("registered with the collector"));
        return p;
    }

    private void runLoop(int calls) throws Exception {
        Process p = new ProcessBuilder(loop.toString(), Integer.toString(calls)).inheritIO().start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theRightPasswordCarriesEveryCountedCallExactlyOnce() throws Exception {
        broker(SASL);
        Path right = settings("right.properties", PASSWORD);
        String collector = collector("collector", right, "--verbose");
        agent("agent", collector, right, "--verbose");
        countTenThousandCalls(collector);
        // --verbose says which settings it passed on, the secret hidden; the password appears nowhere
        assertThat(err("agent")).contains("sasl.mechanism=PLAIN, sasl.jaas.config=(hidden)")
                .contains("security.protocol=SASL_PLAINTEXT").doesNotContain(PASSWORD);
        assertThat(err("collector")).contains("sasl.mechanism=PLAIN, sasl.jaas.config=(hidden)")
                .doesNotContain(PASSWORD);
    }

    /** The same through TLS: the file names the broker's certificate as a PEM truststore. */
    @Test
    void tlsCarriesEveryCountedCallExactlyOnce() throws Exception {
        broker(BrokerSecurity.ssl(dir.resolve("tls")));
        Path tls = settings("tls.properties", kafka.clientProperties());
        String collector = collector("collector", tls);
        agent("agent", collector, tls);
        countTenThousandCalls(collector);
        assertThat(err("collector")).isEmpty();
        // a first send may time out while the TLS handshake runs on a loaded machine: retried, one line, no trace
        assertThat(err("agent")).doesNotContain("\tat ").doesNotContain("[ERROR]");
        assertThat(err("agent").lines().filter(l -> l.contains("[WARN]")).toList())
                .allMatch(l -> l.contains("[WARN] KafkaLink - sending batch " + HOST));
    }

    private void countTenThousandCalls(String collector) throws Exception {
        String script = "global calls\n"
                + "probe begin { printf(\"ready\\n\") }\n"
                + "probe process(\"" + loop + "\").function(\"f\") { calls++ }\n"
                + "probe process(\"" + loop + "\").function(\"main\").return {\n"
                + "  printf(\"%d vs %d\\n\", calls, $return); exit()\n"
                + "}\n";
        try (Capture c = Capture.install()) {
            CompletableFuture<Integer> run = Capture.start("run", "--collector", collector, "--interval", "100ms",
                    "-e", script);
            c.awaitStdout("the begin probe's line through Kafka", out -> out.contains("[" + HOST + "] ready\n"));
            runLoop(10_000);
            assertThat(run.get(120, TimeUnit.SECONDS)).as(c.stderr()).isZero();
            String id = c.stdout().lines().findFirst().orElseThrow().substring("session ".length());
            assertThat(c.stdout()).isEqualTo("session " + id + "\n"
                    + "[" + HOST + "] ready\n"
                    + "[" + HOST + "] 10000 vs 10000\n"
                    + "calls=0x2710\n");
            assertThat(c.stderr()).isEmpty();
        }
    }

    @Test
    void aWrongPasswordIsOneLineAndTheAgentsBatchesWaitInItsSpool() throws Exception {
        broker(SASL);
        Path right = settings("right.properties", PASSWORD);
        Path wrong = settings("wrong.properties", WRONG);
        String collector = collector("collector", right);
        Process agent = agent("agent-wrong", collector, wrong);
        String script = "global calls\n"
                + "probe begin { printf(\"armed\\n\") }\n"
                + "probe process(\"" + loop + "\").function(\"f\") { calls++ }\n";
        String id;
        try (Capture c = Capture.install()) {
            Capture.start("run", "--collector", collector, "--interval", "100ms", "-e", script);
            c.awaitStdout("the session id", out -> out.startsWith("session ") && out.contains("\n"));
            id = c.stdout().lines().findFirst().orElseThrow().substring("session ".length());
            // the begin probe's batch was refused: the probes are on
            await("the agent to report the refusal", () -> err("agent-wrong").contains("Kafka refused"));
            runLoop(5000);
            Thread.sleep(1000); // a few export intervals: the counts are in batches, in the spool
            agent.destroy();
            assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(agent.exitValue()).isZero();

            String agentErr = err("agent-wrong");
            List<String> refusals = agentErr.lines().filter(l -> l.contains("Kafka refused")).toList();
            assertThat(refusals).hasSize(1);
            assertThat(refusals.get(0)).as(agentErr).matches(".* \\[WARN\\] KafkaLink - sending batch " + HOST
                    + "/\\S+ failed: Kafka refused the agent: Authentication failed: Invalid username or password "
                    + "\\(Kafka topic fleettap\\.batches, \\d+ failures since the last delivery; check the Kafka client "
                    + "settings\\); the batches stay in the spool, next attempt in \\d+ ms");
            assertThat(agentErr).doesNotContain("\tat ").doesNotContain(WRONG).doesNotContain(PASSWORD);
            // (a first attempt may time out, on a slow machine, before the broker says why: one line too)
            assertThat(agentErr.lines().filter(l -> l.contains("[ERROR]") || l.contains("[WARN]")).toList())
                    .as("warnings and errors").allMatch(l -> l.contains("[WARN] KafkaLink - sending batch "))
                    .hasSizeLessThanOrEqualTo(2);
            assertThat(queriedCalls(collector, id)).as("nothing reached the collector").isIn(-1L, 0L);

            // the same spool, the right password: the spooled batches arrive, each once
            agent("agent-right", collector, right);
            await("the collector to have the 5000 calls", () -> queriedCalls(collector, id) == 5000);
            Thread.sleep(2000);
            assertThat(queriedCalls(collector, id)).isEqualTo(5000);
            assertThat(Capture.fleettap("stop", "--collector", collector, id)).isZero();
        }
        assertThat(err("collector")).isEmpty();
    }

    @Test
    void aCollectorWithAWrongPasswordSaysSoInOneLine() throws Exception {
        broker(SASL);
        Path wrong = settings("wrong.properties", WRONG);
        Process collector = fleettap("collector", "collector", "--listen", "127.0.0.1:0", "--data",
                dir.resolve("data").toString(), "--kafka", kafka.bootstrapServers(), "--kafka-config",
                wrong.toString());
        await("the collector to report the refusal", () -> err("collector").contains("refused"));
        Thread.sleep(3000); // it retries every second: still one line
        collector.destroy();
        assertThat(collector.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(collector.exitValue()).isZero();
        String text = err("collector");
        assertThat(text.lines().collect(Collectors.toList())).hasSize(1);
        assertThat(text).startsWith("[ERROR] KafkaIngest - Kafka at " + kafka.bootstrapServers() + " refused the "
                + "collector reading topic fleettap.batches: Authentication failed: Invalid username or password "
                + "(check the Kafka client settings); retrying every PT1S").doesNotContain(WRONG);
    }

    /** Waits (polling every 100 ms, up to 90 s: JVMs start slowly on a loaded machine) until {@code done}. */
    private static void await(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 90 s: " + what);
            }
            Thread.sleep(100);
        }
    }

    /** The collector's sum of "calls" for the session, -1 when it has none. */
    private static long queriedCalls(String collector, String session) {
        try (Capture c = Capture.install()) {
            int exit = Capture.fleettap("query", "--collector", collector, "--session", session, "calls", "-o",
                    "json");
            Matcher m = SUM.matcher(c.stdout());
            return exit == 0 && m.find() ? Long.parseLong(m.group(1)) : -1;
        }
    }
}
