package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 end to end, as a user runs it: `fleettap collector`, `fleettap agent` and `fleettap run --collector` as
 * processes, real uprobes on the loop fixture, the collector's RocksDB store, and `fleettap query` for the merged
 * result. Each (host, session, sequence) is applied exactly once, whatever happens to the collector or the agent.
 */
class FleetIT {
    private static final String LOOP = Fleettap.ROOT.resolve("agent/target/fixtures/loop").toString();
    private static final String SCRIPT = "global calls\n"
            + "probe begin { println(\"armed\") }\n"
            + "probe process(\"" + LOOP + "\").function(\"f\") { calls++ }\n";
    private static final Pattern SUM = Pattern.compile("\"sum\"\\s*:\\s*\"?(-?\\d+)");

    @TempDir
    Path dir;
    private LoopbackFleet fleet;

    @BeforeEach
    void newFleet() throws Exception {
        fleet = new LoopbackFleet(dir);
    }

    @AfterEach
    void stopEverything() throws Exception {
        fleet.close();
    }

    /** Starts the counting session; returns its id once every given host printed "armed" (its probes are on). */
    private String session(String... hosts) throws Exception {
        return session(SCRIPT, List.of(), hosts);
    }

    private String session(String script, List<String> options, String... hosts) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--collector", fleet.address()));
        args.addAll(options);
        args.addAll(List.of("-e", script));
        fleet.start("run", args.toArray(new String[0]));
        Fleettap.waitFor(() -> fleet.out("run").startsWith("session "), "the session id");
        for (String h : hosts) {
            Fleettap.waitFor(() -> fleet.out("run").contains("[" + h + "] armed"), h + " to arm the session");
        }
        return fleet.out("run").lines().findFirst().orElseThrow().substring("session ".length()).strip();
    }

    private static void loop(int calls) throws Exception {
        Process p = new ProcessBuilder(LOOP, Integer.toString(calls)).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    /** The merged sum of "calls" as the collector answers `fleettap query` (-1 when it cannot answer). */
    private long queriedCalls(String session) {
        Fleettap.Result r = Fleettap.run("query", "--collector", fleet.address(), "--session", session, "calls",
                "-o", "json");
        Matcher m = SUM.matcher(r.stdout());
        return r.exit() == 0 && m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private void awaitCalls(String session, long expected) throws Exception {
        awaitCalls(session, expected, java.time.Duration.ofSeconds(60));
    }

    private void awaitCalls(String session, long expected, java.time.Duration limit) throws Exception {
        try {
            Fleettap.waitFor(() -> queriedCalls(session) >= expected, "the collector to have " + expected + " calls",
                    limit);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " (it has " + queriedCalls(session) + ")\n" + logs(), e);
        }
        Thread.sleep(2500); // two more export intervals: anything applied twice would show now
        assertThat(queriedCalls(session)).isEqualTo(expected);
    }

    @Test
    void exactlyOnceAcrossACollectorKilledMidRun() throws Exception {
        Process c1 = fleet.collector("collector-1");
        fleet.agent("agent", "h1");
        String session = session("h1");
        loop(2500);
        loop(2500);
        Thread.sleep(1500); // some batches applied, some in flight or spooled
        c1.destroyForcibly(); // SIGKILL: no flush, no clean close of the store
        assertThat(c1.waitFor(30, TimeUnit.SECONDS)).isTrue();
        loop(2500); // counted while the collector is down: the agent's spool keeps the batches
        loop(2500);
        fleet.collector("collector-2");
        awaitCalls(session, 10000);
    }

    @Test
    void anAgentStoppedAndStartedBetweenTwoRunsPicksTheSessionUpAgain() throws Exception {
        fleet.collector("collector");
        Process a1 = fleet.agent("agent-1", "h1");
        String session = session("h1");
        loop(3000);
        a1.destroy(); // SIGTERM: the session's last batch goes out before the agent exits
        assertThat(a1.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(a1.exitValue()).isZero();
        fleet.agent("agent-2", "h1");
        Fleettap.waitFor(() -> fleet.err("agent-2").contains("session " + session), "the session to be pushed again");
        Fleettap.waitFor(() -> fleet.out("run").lines().filter(l -> l.equals("[h1] armed")).count() == 2,
                "the session to be armed again");
        loop(2000);
        awaitCalls(session, 5000);
    }

    /**
     * The collector is down while a session prints 100 lines a second: a spool of 2 KiB holds a few of the batches, the
     * oldest are dropped, and the next batch tells the collector how many. The query then says exactly as many as the
     * agent dropped, the gaps in the batch numbers are exactly those, and the calls counted before are all there.
     */
    @Test
    void aTinySpoolDropsTheOldestBatchesAndTheQuerySaysExactlyHowMany() throws Exception {
        Process c1 = fleet.collector("collector-1");
        Process a = fleet.agent("agent", "h1", "--spool-max", "2KiB");
        String script = SCRIPT + "global ticks\nprobe timer.ms(10) { printf(\"tick %d\\n\", ticks++) }\n";
        String session = session(script, List.of("--interval", "100ms"), "h1");
        loop(2500);
        loop(2500);
        awaitCalls(session, 5000);
        c1.destroyForcibly();
        assertThat(c1.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(5000); // about 50 batches of ticks: far more than 2 KiB holds
        fleet.collector("collector-2");
        Fleettap.waitFor(() -> Fleettap.run("query", "--collector", fleet.address(), "--session", session, "calls",
                "-o", "json").stdout().contains("spool_dropped_batches"), "the collector to hear of the drops");
        Process run = fleet.process("run");
        run.destroy(); // SIGTERM: the CLI stops the session, the agent sends its final batch
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        a.destroy(); // SIGTERM: flushes and logs what it dropped
        assertThat(a.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Matcher stats = Pattern.compile("stopped: (\\d+) batches submitted, (\\d+) acknowledged, (\\d+) left in the "
                + "spool, (\\d+) dropped").matcher(fleet.err("agent"));
        assertThat(stats.find()).as(fleet.err("agent")).isTrue();
        long dropped = Long.parseLong(stats.group(4));
        assertThat(dropped).isGreaterThan(0);
        assertThat(Long.parseLong(stats.group(3))).isZero();
        assertThat(Long.parseLong(stats.group(2)) + dropped).isEqualTo(Long.parseLong(stats.group(1)));

        Fleettap.Result json = Fleettap.run("query", "--collector", fleet.address(), "--session", session, "calls",
                "-o", "json");
        assertThat(json.exit()).isZero();
        assertThat(number(json.stdout(), "spool_dropped_batches")).isEqualTo(dropped);
        assertThat(number(json.stdout(), "missing_batches")).isEqualTo(dropped);
        assertThat(queriedCalls(session)).isEqualTo(5000);
        Fleettap.Result table = Fleettap.run("query", "--collector", fleet.address(), "--session", session, "calls");
        assertThat(table.stderr()).isEqualTo(Fleettap.INSECURE_WARNING + fleet.address() + " can start sessions on its "
                + "agents and read what they record\nfleettap: warning: h1: " + dropped + " batches dropped by its "
                + "spool\n");
    }

    /** The last lines each process wrote, for a failure's message. */
    private String logs() {
        StringBuilder b = new StringBuilder();
        for (String name : fleet.names()) {
            for (String stream : List.of("out", "err")) {
                List<String> lines = Fleettap.read(dir.resolve(name + "." + stream).toFile()).lines().toList();
                b.append("== ").append(name).append('.').append(stream).append('\n');
                lines.subList(Math.max(0, lines.size() - 30), lines.size())
                        .forEach(l -> b.append(l, 0, Math.min(l.length(), 300)).append('\n'));
            }
        }
        return b.toString();
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*\"?(\\d+)").matcher(json);
        assertThat(m.find()).as(field + " in " + json).isTrue();
        return Long.parseLong(m.group(1));
    }

    /**
     * The same count through Kafka: the agent produces its batches to a real KRaft broker, the collector consumes
     * them; the broker is SIGKILLed mid-run (the agent spools) and restarted on the same data.
     */
    @Test
    void exactlyOnceThroughKafkaAcrossABrokerKilledMidRun() throws Exception {
        try (org.fleettap.testing.kafka.KafkaBroker broker = org.fleettap.testing.kafka.KafkaBroker
                .start(dir.resolve("kafka"))) {
            broker.createTopic("fleettap.batches", 3);
            fleet.collector("collector", "--kafka", broker.bootstrapServers());
            fleet.agent("agent", "h1", "--kafka", broker.bootstrapServers());
            String session = session("h1");
            loop(2500);
            loop(2500);
            Thread.sleep(1500);
            broker.kill();
            loop(2500);
            loop(2500);
            broker.restart();
            // After a SIGKILL the broker recovers its logs and the consumer group rejoins: allow for a slow machine.
            awaitCalls(session, 10000, java.time.Duration.ofSeconds(150));
        }
    }
}
