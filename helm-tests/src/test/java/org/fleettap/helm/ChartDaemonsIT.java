package org.fleettap.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.helm.Chart.values;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.testing.kafka.KafkaBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The daemons started with exactly the arguments the chart renders — the collector's from its StatefulSet, the
 * agent's from its DaemonSet, each a child {@code java -jar fleettap.jar} — with the volumes' paths moved to
 * temporary directories and the cluster's addresses to loopback. The agent registers with the collector under
 * its node's name and labels and runs a session pushed to it, over gRPC and over a real Kafka broker, and the
 * commands NOTES.txt shows work against them. A flag the daemons no longer take, or a path outside the pod's
 * volumes, fails here.
 */
class ChartDaemonsIT {
    private static final Path JAR = Paths.get(System.getProperty("fleettap.jar", "../query-cli/target/fleettap.jar"))
            .toAbsolutePath().normalize();
    private static final Pattern LISTENING = Pattern.compile("collector listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final String NODE = "node-a";
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private static final int TAIL_LINES = 30;
    private final List<Process> started = new ArrayList<>();
    /** The collector and the agent, by name: neither may exit while the test waits. */
    private final Map<String, Process> daemons = new LinkedHashMap<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : started) {
            p.destroy();
        }
        for (Process p : started) {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void theRenderedAgentRegistersWithTheRenderedCollectorAndTheNotesCommandsWorkOnThem() throws Exception {
        List<Manifest> chart = Chart.render(dir, values("agent.labels", Map.of("zone", "eu-1", "role", "db"),
                "agent.spoolMax", "64MiB", "agent.verbose", true, "collector.verbose", true,
                "collector.hostLostAfter", "45s"));
        String address = startCollector(chart, Map.of());
        Process agent = startAgent(chart, address, Map.of());

        Map<String, Object> host = awaitHost(address);
        assertThat(host.get("labels")).isEqualTo(Map.of("zone", "eu-1", "role", "db"));
        assertThat(host.get("connected")).isEqualTo(true);
        // The agent made its spool and state in the volume the chart mounts at /var/lib/fleettap.
        assertThat(dir.resolve("agent/state/spool")).isDirectory();
        assertThat(dir.resolve("agent/state/state")).isDirectory();
        assertThat(dir.resolve("collector/data/store")).isDirectory();

        awaitArmed(address);
        assertThat(log("agent.err")).contains("agent " + NODE + ": batches to the collector at " + address
                + " through spool " + dir.resolve("agent/state/spool"));
        runTheNotesCommands(address);

        daemons.remove("agent");
        agent.destroy(); // SIGTERM, as the kubelet stops a pod
        assertThat(agent.waitFor(60, TimeUnit.SECONDS)).as("the agent stopped").isTrue();
        assertThat(agent.exitValue()).as(log("agent.err")).isZero();
    }

    @Test
    void withKafkaTheAgentsBatchesReachTheCollectorThroughTheTopicTheChartNames() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
            broker.createTopic("fleet.batches", 1);
            List<Manifest> chart = Chart.render(dir, values("kafka.bootstrap", "kafka-0.kafka:9092",
                    "kafka.topic", "fleet.batches", "kafka.group", "helm-it", "collector.verbose", true));
            Map<String, String> kafka = Map.of("--kafka", broker.bootstrapServers());
            String address = startCollector(chart, kafka);
            startAgent(chart, address, kafka);
            awaitHost(address);
            assertThat(log("collector.err")).contains("reading batches from Kafka topic fleet.batches at "
                    + broker.bootstrapServers() + " as group helm-it");
            assertThat(log("agent.err")).contains("agent " + NODE + ": batches to Kafka " + broker.bootstrapServers()
                    + " topic fleet.batches");
            // The session's output lines travel as batches: agent, broker, collector, the CLI.
            awaitArmed(address);
        }
    }

    @Test
    void theDaemonsTakeNoTlsOptionYetSoTheChartPassesNone() {
        // When the daemons get one (issue 7's --tls-dir), the chart must pass it for tls.*Secret: this fails then.
        for (String daemon : List.of("agent", "collector")) {
            Result help = run(daemon, "--help");
            assertThat(help.exit()).isZero();
            assertThat(help.out()).as(daemon + " --help").contains("--" + (daemon.equals("agent") ? "collector"
                    : "listen") + "=HOST:PORT").doesNotContain("--tls");
        }
        List<Manifest> chart = Chart.render(dir, values("tls.collectorSecret", "c-tls", "tls.agentSecret", "a-tls"));
        assertThat(Chart.find(chart, "DaemonSet", "prod-fleettap-agent").args("agent"))
                .noneMatch(a -> a.startsWith("--tls"));
        assertThat(Chart.find(chart, "StatefulSet", "prod-fleettap-collector").args("collector"))
                .noneMatch(a -> a.startsWith("--tls"));
    }

    /**
     * The commands NOTES.txt shows after an install, as a user pastes them once the collector's port is forwarded
     * (here: the collector's loopback address): the host is listed, the session counts openat calls on it (a real
     * tracepoint) and prints the merged count, and the query of that session gives the same sum.
     */
    private void runTheNotesCommands(String address) {
        List<List<String>> commands = NotesCommands.parse(Chart.notes(dir, Chart.secureValues()));
        assertThat(commands).extracting(c -> c.get(0)).containsExactly("hosts", "run", "query", "sessions");

        Result hosts = runNotes(commands.get(0), address, null);
        assertThat(hosts.out()).containsPattern("(?m)^" + NODE + " +role=db,zone=eu-1 +yes ");

        Result run = runNotes(commands.get(1), address, null);
        Matcher session = Pattern.compile("\\Asession (\\S+)\n").matcher(run.out());
        assertThat(session.find()).as(run.out()).isTrue();
        Matcher opens = Pattern.compile("(?m)^opens=0x([0-9a-f]+)$").matcher(run.out());
        assertThat(opens.find()).as(run.out()).isTrue();
        long counted = Long.parseLong(opens.group(1), 16);
        assertThat(counted).as("openat calls on this host in 10 s").isPositive();

        Result query = runNotes(commands.get(2), address, session.group(1));
        List<String> lines = query.out().lines().toList();
        assertThat(lines).as(query.out()).hasSize(2);
        assertThat(lines.get(0).split(" +")).containsExactly("KEY", "COUNT", "SUM", "MIN", "MAX", "AVG", "P50", "P90",
                "P99");
        // The scalar's row has an empty KEY: SUM is its second figure.
        assertThat(Long.parseLong(lines.get(1).strip().split(" +")[1])).isEqualTo(counted);

        Result sessions = runNotes(commands.get(3), address, session.group(1));
        assertThat(sessions.out()).startsWith("SESSION  SCRIPT  HOSTS  CREATED  STATES\n");
    }

    /** One command of the notes with the collector's address (and the session id) filled in; it must succeed. */
    private Result runNotes(List<String> command, String address, String session) {
        List<String> args = new ArrayList<>(command);
        int collector = args.indexOf("--collector");
        assertThat(collector).as("--collector in %s", command).isNotNegative();
        args.set(collector + 1, address);
        if (session != null) {
            args.replaceAll(a -> a.equals("SESSION_ID") ? session : a);
        }
        Result r = run(args.toArray(new String[0]));
        assertThat(r.exit()).as("fleettap %s: %s", args, r.err()).isZero();
        return r;
    }

    /** Starts the collector as its StatefulSet says, on a free loopback port; returns that HOST:PORT. */
    private String startCollector(List<Manifest> chart, Map<String, String> more) throws Exception {
        Map<String, String> addresses = new HashMap<>(more);
        addresses.put("--listen", "127.0.0.1:0");
        List<String> args = PodCommand.args(Chart.find(chart, "StatefulSet", "prod-fleettap-collector"), "collector",
                NODE, dir.resolve("collector"), addresses);
        daemons.put("collector", start("collector", args));
        awaitLog("collector.out", () -> LISTENING.matcher(log("collector.out")).find(), "the collector to listen");
        Matcher m = LISTENING.matcher(log("collector.out"));
        assertThat(m.find()).isTrue();
        return "127.0.0.1:" + m.group(1);
    }

    private Process startAgent(List<Manifest> chart, String collector, Map<String, String> more) throws Exception {
        Map<String, String> addresses = new HashMap<>(more);
        addresses.put("--collector", collector);
        List<String> args = PodCommand.args(Chart.find(chart, "DaemonSet", "prod-fleettap-agent"), "agent", NODE,
                dir.resolve("agent"), addresses);
        assertThat(args).contains("--host-id=" + NODE);
        Process agent = start("agent", args);
        daemons.put("agent", agent);
        return agent;
    }

    /** Polls {@code fleettap hosts} until the agent is listed as connected; returns its entry. */
    private Map<String, Object> awaitHost(String address) throws Exception {
        AtomicReference<Map<String, Object>> found = new AtomicReference<>();
        awaitLog("agent.err", () -> {
            Result r = run("hosts", "--collector", address, "-o", "json");
            if (r.exit() != 0) {
                return false;
            }
            Object hosts = Chart.cast(new Yaml().load(r.out())).get("hosts");
            if (hosts == null) {
                return false;
            }
            for (Object h : Chart.list(hosts)) {
                Map<String, Object> host = Chart.cast(h);
                if (NODE.equals(host.get("host_id")) && Boolean.TRUE.equals(host.get("connected"))) {
                    found.set(host);
                    return true;
                }
            }
            return false;
        }, NODE + " in fleettap hosts");
        return found.get();
    }

    /**
     * Starts a session that prints "armed" on each host, waits until this node's line reaches the CLI, and stops
     * the session (SIGTERM to the CLI, as Ctrl-C would).
     */
    private void awaitArmed(String address) throws Exception {
        Process run = start("run", List.of("run", "--collector", address, "-e", "probe begin { println(\"armed\") }"));
        awaitLog("run.out", () -> log("run.out").contains("[" + NODE + "] armed\n"), NODE + " to arm the session");
        run.destroy();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("the CLI stopped").isTrue();
        assertThat(log("run.out")).startsWith("session ");
    }

    private Process start(String name, List<String> args) throws IOException {
        List<String> cmd = java(args);
        System.out.println(name + ": " + cmd);
        Process p = new ProcessBuilder(cmd).redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile()).start();
        started.add(p);
        return p;
    }

    /**
     * Polls {@code condition} until {@link #WAIT}; fails at once when a daemon has exited (a flag it refuses ends
     * it with status 2), with the last lines of each daemon's log and of {@code file}.
     */
    private void awaitLog(String file, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            for (Map.Entry<String, Process> d : daemons.entrySet()) {
                if (!d.getValue().isAlive()) {
                    throw new AssertionError("the " + d.getKey() + " exited with status " + d.getValue().exitValue()
                            + " while waiting for " + what + ":\n" + tail(d.getKey() + ".err"));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "\ncollector:\n" + tail("collector.err")
                        + "\nagent:\n" + tail("agent.err") + "\n" + file + ":\n" + tail(file));
            }
            Thread.sleep(100);
        }
    }

    private String tail(String name) {
        List<String> lines = log(name).lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
    }

    private String log(String name) {
        File f = dir.resolve(name).toFile();
        try {
            return f.exists() ? Files.readString(f.toPath(), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** What one short fleettap command printed. */
    private record Result(int exit, String out, String err) {
    }

    private Result run(String... args) {
        try {
            Path out = Files.createTempFile(dir, "cli", ".out");
            Path err = Files.createTempFile(dir, "cli", ".err");
            Process p = new ProcessBuilder(java(List.of(args))).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("fleettap " + List.of(args) + " did not end in 120 s");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new IllegalStateException("running fleettap " + List.of(args), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> java(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString()));
        cmd.addAll(args);
        return cmd;
    }
}
