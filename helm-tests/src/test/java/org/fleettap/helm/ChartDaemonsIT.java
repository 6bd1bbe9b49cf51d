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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.testing.kafka.BrokerSecurity;
import org.fleettap.testing.kafka.KafkaBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The daemons started with exactly the arguments the chart renders — the collector's from its StatefulSet, the
 * agent's from its DaemonSet, each a child {@code java -jar fleettap.jar} — with the volumes' paths moved to
 * temporary directories, the Secrets and ConfigMaps the pods mount filled in as the kubelet would (the TLS Secrets
 * from a directory {@code fleettap certs} made, as the chart's README has them created), and the collector's port
 * on loopback. The agent dials the collector by the Service's DNS name the chart renders (resolved to loopback by a
 * hosts file of its JVM), so the collector's certificate must name it. The agent registers under its node's name and
 * labels and runs a session pushed to it, over gRPC and over a real Kafka broker, and the commands NOTES.txt shows
 * work against them with a user's identity. A flag the daemons no longer take, or a path outside the pod's volumes,
 * fails here.
 */
class ChartDaemonsIT {
    private static final Path JAR = Paths.get(System.getProperty("fleettap.jar", "../query-cli/target/fleettap.jar"))
            .toAbsolutePath().normalize();
    private static final Pattern LISTENING = Pattern.compile("collector listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final String NODE = "node-a";
    /** The collector's Service as the agents dial it: prod-fleettap-collector in namespace tracing. */
    private static final String SERVICE = "prod-fleettap-collector.tracing.svc";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int TAIL_LINES = 30;

    @TempDir
    Path dir;
    private final List<Process> started = new ArrayList<>();
    /** The collector and the agent, by name: neither may exit while the test waits. */
    private final Map<String, Process> daemons = new LinkedHashMap<>();
    /** The Secrets the chart names but does not render (the TLS ones), by name: their files. */
    private final Map<String, Path> secrets = new HashMap<>();
    /** How the CLI talks to the collector: a user's --tls-dir, or --insecure. */
    private List<String> security = List.of();

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
    void overTlsTheRenderedAgentRegistersWithTheRenderedCollectorAndTheNotesCommandsWorkForAUser() throws Exception {
        Path certs = certs();
        List<Manifest> chart = Chart.render(dir, Chart.secureValues("agent.labels", Map.of("zone", "eu-1", "role",
                "db"), "agent.spoolMax", "64MiB", "agent.verbose", true, "collector.verbose", true,
                "collector.hostLostAfter", "45s"));
        int port = startCollector(chart, Map.of());
        Process agent = startAgent(chart, port, Map.of());

        Map<String, Object> host = awaitHost(port);
        assertThat(host.get("labels")).isEqualTo(Map.of("zone", "eu-1", "role", "db"));
        assertThat(host.get("connected")).isEqualTo(true);
        // The agent made its spool and state in the volume the chart mounts at /var/lib/fleettap.
        assertThat(dir.resolve("agent/state/spool")).isDirectory();
        assertThat(dir.resolve("agent/state/state")).isDirectory();
        assertThat(dir.resolve("collector/data/store")).isDirectory();
        // Each pod read its identity from the Secret made of its 'fleettap certs' directory.
        assertThat(dir.resolve("agent/tls/tls.crt")).hasSameBinaryContentAs(certs.resolve("agent/tls.crt"));
        assertThat(dir.resolve("collector/tls/tokens.yaml"))
                .hasSameBinaryContentAs(certs.resolve("collector/tokens.yaml"));

        awaitArmed(port);
        assertThat(log("agent.err")).contains("agent " + NODE + ": batches to the collector at " + SERVICE + ":" + port
                + " through spool " + dir.resolve("agent/state/spool"));

        runTheNotesCommands(port, Chart.secureValues(), certs.resolve("user-admin"));

        // The collector the chart runs lets no one in without a user's identity.
        String address = "127.0.0.1:" + port;
        Result bare = run("hosts", "--collector", address);
        assertThat(bare.exit()).isEqualTo(2);
        assertThat(bare.err()).isEqualTo("fleettap: hosts: give --tls-dir DIR (see 'fleettap certs') or --insecure\n");
        Result plaintext = run("hosts", "--collector", address, "--insecure");
        assertThat(plaintext.exit()).as(plaintext.err()).isEqualTo(1);
        assertThat(plaintext.out()).isEmpty();
        assertThat(plaintext.err()).contains("\nfleettap: cannot reach the collector at " + address + " (")
                .endsWith("; if it uses TLS, give --tls-dir instead of --insecure)\n");
        // An agent's certificate is not a user's (and has no token): refused (issue 7's access control).
        Result asAgent = run("hosts", "--collector", address, "--tls-dir", certs.resolve("agent").toString());
        assertThat(asAgent.exit()).as(asAgent.err()).isEqualTo(1);
        assertThat(asAgent.out()).isEmpty();
        assertThat(asAgent.err()).isEqualTo("fleettap: collector " + address + ": ListHosts: "
                + "fleettap.v1.QueryService/ListHosts is for users: the client certificate is not a user's "
                + "(OU=agent, CN=*)\n");

        daemons.remove("agent");
        agent.destroy(); // SIGTERM, as the kubelet stops a pod
        assertThat(agent.waitFor(60, TimeUnit.SECONDS)).as("the agent stopped").isTrue();
        assertThat(agent.exitValue()).as(log("agent.err")).isZero();
    }

    @Test
    void withKafkaOverSaslAndAPolicyTheAgentsBatchesGoThroughTheTopicAndThePolicyHoldsPushedSessions() throws Exception {
        certs();
        // A broker that lets in only clients logging in with SASL/PLAIN: the daemons reach it only with the
        // properties of kafka.config, which the chart passes as --kafka-config.
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), BrokerSecurity.saslPlain("fleettap",
                "helm-it-secret"))) {
            broker.createTopic("fleet.batches", 1);
            assertThat(broker.clientProperties()).containsEntry("security.protocol", "SASL_PLAINTEXT");
            List<Manifest> chart = Chart.render(dir, Chart.secureValues("kafka.bootstrap", "kafka-0.kafka:9092",
                    "kafka.topic", "fleet.batches", "kafka.group", "helm-it",
                    "kafka.config", new TreeMap<>(broker.clientProperties()),
                    "agent.policy", "kernel_probes: false\n", "collector.verbose", true));
            Map<String, String> kafka = Map.of("--kafka", broker.bootstrapServers());
            int port = startCollector(chart, kafka);
            startAgent(chart, port, kafka);
            awaitHost(port);
            assertThat(log("collector.err")).contains("reading batches from Kafka topic fleet.batches at "
                    + broker.bootstrapServers() + " as group helm-it");
            assertThat(log("agent.err")).contains("agent " + NODE + ": batches to Kafka " + broker.bootstrapServers()
                    + " topic fleet.batches");
            Path policy = dir.resolve("agent/policy/policy.yaml");
            assertThat(log("agent.err")).contains("policy " + policy + ": kernel_probes=false");
            // The session's output lines travel as batches: agent, broker, collector, the CLI.
            awaitArmed(port);

            // What the policy forbids, the agent refuses although the collector sends it.
            Result denied = run(withSecurity("run", "--collector", "127.0.0.1:" + port, "--duration", "5s", "-e",
                    "probe syscall.openat { }"));
            // Its only host failed the session: the run exits 1.
            assertThat(denied.exit()).as(denied.err()).isEqualTo(1);
            assertThat(denied.err()).contains(NODE + ": session failed: policy: " + policy
                    + ":1:16: kernel_probes false does not allow syscall.openat\n");
        }
    }

    @Test
    void insecureDaemonsSayWhatTheyAllowAndTheNotesCommandsReachThemWithInsecure() throws Exception {
        List<Manifest> chart = Chart.render(dir, values("insecure", true, "agent.labels", Map.of("zone", "eu-1")));
        security = List.of("--insecure");
        int port = startCollector(chart, Map.of());
        startAgent(chart, port, Map.of());
        awaitHost(port);
        assertThat(log("collector.err") + log("collector.out"))
                .contains("fleettap: warning: --insecure: plaintext gRPC without authentication");
        assertThat(log("agent.err")).contains("fleettap: warning: --insecure: plaintext gRPC without authentication");
        awaitArmed(port);
        List<List<String>> commands = NotesCommands.parse(Chart.notes(dir, values("insecure", true)));
        Result hosts = runNotes(commands.get(0), port, null, null);
        assertThat(hosts.out()).containsPattern("(?m)^" + NODE + " +zone=eu-1 +yes ");
    }

    /** {@code fleettap certs} into DIR/certs for the chart's collector Service; the test's Secrets are made of it. */
    private Path certs() {
        Path certs = dir.resolve("certs");
        Result r = run("certs", "--out", certs.toString(), "--collector-name", SERVICE);
        assertThat(r.exit()).as(r.err()).isZero();
        secrets.put(Chart.COLLECTOR_SECRET, certs.resolve("collector"));
        secrets.put(Chart.AGENT_SECRET, certs.resolve("agent"));
        security = List.of("--tls-dir", certs.resolve("user-admin").toString());
        return certs;
    }

    /**
     * The commands NOTES.txt shows after an install, as a user pastes them once the collector's port is forwarded
     * (here: the collector's loopback address), with the user's identity made by 'fleettap certs': the host is
     * listed, the session counts openat calls on it (a real tracepoint) and prints the merged count, and the query of
     * that session gives the same sum.
     */
    private void runTheNotesCommands(int port, Map<String, Object> values, Path user) {
        List<List<String>> commands = NotesCommands.parse(Chart.notes(dir, values));
        assertThat(commands).extracting(c -> c.get(0)).containsExactly("hosts", "run", "query", "sessions");

        Result hosts = runNotes(commands.get(0), port, user, null);
        assertThat(hosts.out()).containsPattern("(?m)^" + NODE + " +role=db,zone=eu-1 +yes ");

        Result run = runNotes(commands.get(1), port, user, null);
        Matcher session = Pattern.compile("\\Asession (\\S+)\n").matcher(run.out());
        assertThat(session.find()).as(run.out()).isTrue();
        Matcher opens = Pattern.compile("(?m)^opens=0x([0-9a-f]+)$").matcher(run.out());
        assertThat(opens.find()).as(run.out()).isTrue();
        long counted = Long.parseLong(opens.group(1), 16);
        assertThat(counted).as("openat calls on this host in 10 s").isPositive();

        Result query = runNotes(commands.get(2), port, user, session.group(1));
        List<String> lines = query.out().lines().toList();
        assertThat(lines).as(query.out()).hasSize(2);
        assertThat(lines.get(0).split(" +")).containsExactly("KEY", "COUNT", "SUM", "MIN", "MAX", "AVG", "P50", "P90",
                "P99");
        // The scalar's row has an empty KEY: SUM is its second figure.
        assertThat(Long.parseLong(lines.get(1).strip().split(" +")[1])).isEqualTo(counted);

        Result sessions = runNotes(commands.get(3), port, user, session.group(1));
        assertThat(sessions.out()).startsWith("SESSION  SCRIPT  HOSTS  CREATED  STARTED BY  STATES\n");
        // The session (ended, so listed with --all) records who started it: the user whose certificate and token
        // the notes' command used.
        Result all = run(withSecurity("sessions", "--collector", "127.0.0.1:" + port, "--all"));
        assertThat(all.exit()).as(all.err()).isZero();
        assertThat(all.out()).containsPattern("(?m)^" + Pattern.quote(session.group(1)) + " .*\\sadmin\\s");
    }

    /**
     * One command of the notes with the collector's port forwarded to 127.0.0.1:PORT, the user's directory for the
     * notes' certs/user-admin (none when insecure) and the session id filled in; it must succeed.
     */
    private Result runNotes(List<String> command, int port, Path user, String session) {
        List<String> args = new ArrayList<>(command);
        int collector = args.indexOf("--collector");
        assertThat(collector).as("--collector in %s", command).isNotNegative();
        assertThat(args.get(collector + 1)).endsWith(":7420");
        args.set(collector + 1, "127.0.0.1:" + port);
        int tlsDir = args.indexOf("--tls-dir");
        if (user != null) {
            assertThat(tlsDir).as("--tls-dir in %s", command).isNotNegative();
            assertThat(args.get(tlsDir + 1)).isEqualTo("certs/user-admin");
            args.set(tlsDir + 1, user.toString());
        } else {
            assertThat(args).as("%s", command).contains("--insecure").doesNotContain("--tls-dir");
        }
        if (session != null) {
            args.replaceAll(a -> a.equals("SESSION_ID") ? session : a);
        }
        Result r = run(args.toArray(new String[0]));
        assertThat(r.exit()).as("fleettap %s: %s", args, r.err()).isZero();
        return r;
    }

    /**
     * Starts the collector as its StatefulSet says, its volumes filled, on a free loopback port; returns the port.
     */
    private int startCollector(List<Manifest> chart, Map<String, String> more) throws Exception {
        Map<String, String> addresses = new HashMap<>(more);
        addresses.put("--listen", "127.0.0.1:0");
        Manifest statefulSet = Chart.find(chart, "StatefulSet", "prod-fleettap-collector");
        PodVolumes.fill(statefulSet, chart, dir.resolve("collector"), secrets);
        List<String> args = PodCommand.args(statefulSet, "collector", NODE, dir.resolve("collector"), addresses);
        daemons.put("collector", start("collector", List.of(), args));
        awaitLog("collector.out", () -> LISTENING.matcher(log("collector.out")).find(), "the collector to listen");
        Matcher m = LISTENING.matcher(log("collector.out"));
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    /**
     * Starts the agent as its DaemonSet says, its volumes filled, dialing the collector's Service by its name on the
     * collector's port: a hosts file of the agent's JVM resolves the name to loopback.
     */
    private Process startAgent(List<Manifest> chart, int port, Map<String, String> more) throws Exception {
        Manifest daemonSet = Chart.find(chart, "DaemonSet", "prod-fleettap-agent");
        assertThat(daemonSet.args("agent")).contains("--collector=" + SERVICE + ":7420");
        Map<String, String> addresses = new HashMap<>(more);
        addresses.put("--collector", SERVICE + ":" + port);
        PodVolumes.fill(daemonSet, chart, dir.resolve("agent"), secrets);
        List<String> args = PodCommand.args(daemonSet, "agent", NODE, dir.resolve("agent"), addresses);
        assertThat(args).contains("--host-id=" + NODE);
        Path hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1 " + SERVICE + " localhost\n");
        Process agent = start("agent", List.of("-Djdk.net.hosts.file=" + hosts), args);
        daemons.put("agent", agent);
        return agent;
    }

    /** Polls {@code fleettap hosts} until the agent is listed as connected; returns its entry. */
    private Map<String, Object> awaitHost(int port) throws Exception {
        AtomicReference<Map<String, Object>> found = new AtomicReference<>();
        awaitLog("agent.err", () -> {
            Result r = run(withSecurity("hosts", "--collector", "127.0.0.1:" + port, "-o", "json"));
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
    private void awaitArmed(int port) throws Exception {
        Process run = start("run", List.of(), List.of(withSecurity("run", "--collector", "127.0.0.1:" + port, "-e",
                "probe begin { println(\"armed\") }")));
        awaitLog("run.out", () -> log("run.out").contains("[" + NODE + "] armed\n"), NODE + " to arm the session");
        run.destroy();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("the CLI stopped").isTrue();
        assertThat(log("run.out")).startsWith("session ");
    }

    /** The CLI's arguments followed by how it reaches the collector ({@link #security}). */
    private String[] withSecurity(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(security);
        return all.toArray(new String[0]);
    }

    private Process start(String name, List<String> jvm, List<String> args) throws IOException {
        List<String> cmd = java(jvm, args);
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
            Process p = new ProcessBuilder(java(List.of(), List.of(args))).redirectOutput(out.toFile())
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

    private static List<String> java(List<String> jvm, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
                .toString()));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-jar", JAR.toString()));
        cmd.addAll(args);
        return cmd;
    }
}
