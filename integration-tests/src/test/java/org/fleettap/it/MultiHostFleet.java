package org.fleettap.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.fleettap.proto.v1.SessionStatus;

/**
 * A fleet on one machine for the multi-host tests: a {@code fleettap collector} in the root namespaces, listening on
 * the root end of the first host's veth, and one {@code fleettap agent} per {@link NamespaceHost}, each connecting
 * through its own veth and seeing only its host's processes. Agents run with the fixture programs on their $PATH
 * (so {@code process("loop")} and {@code --process loop} name them) and the label {@link #selector()}.
 *
 * <p>A test case takes the hosts ({@link #hosts()}), starts CLI commands in the root namespace ({@link #cli}), waits
 * for each host's output ({@link #awaitEveryHost}), runs fixture workloads on hosts ({@link Host#run}), and reads
 * what the commands printed ({@link #out}, {@link #err}) and the collector's answers ({@link #sumsByHost}, {@link
 * #sessionStates}). E.g. a command that prints per host at its end:
 *
 * <pre>{@code
 * fleet.cli("locks", "locks", "--process", "futex", "--hosts", fleet.selector(), "--duration", "8s");
 * fleet.sessionOf("locks");
 * fleet.awaitEveryHost("locks", "...the session's first line...");
 * for (Host h : fleet.hosts()) { h.run("futex", ...); }
 * assertThat(fleet.awaitExit("locks", Duration.ofSeconds(60))).isZero();
 * ... fleet.out("locks") ...
 * }</pre>
 *
 * {@link #ensureAgents()} restarts agents a case killed. Closing stops every process and removes every namespace.
 */
final class MultiHostFleet implements AutoCloseable {
    /** The probe engine's fixtures (loop, waitloop, threads, ...), first on a host's $PATH. */
    static final Path FIXTURES = Fleettap.ROOT.resolve("agent/target/fixtures");
    /** The talk's example programs (futex, gis_server, ...), next on a host's $PATH. */
    static final Path EXAMPLES = Fleettap.ROOT.resolve("examples");
    private static final String JAVA = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    private static final Pattern ROW = Pattern.compile("\\{[^{}]*\"host_id\"\\s*:\\s*\"([^\"]+)\"[^{}]*\"stats\"\\s*:"
            + "\\s*\\{[^{}]*?\"sum\"\\s*:\\s*\"?(-?\\d+)");

    /** One host: its namespaces and its agent daemon. */
    final class Host {
        private final NamespaceHost ns;
        private Process agent;
        private int starts;

        private Host(NamespaceHost ns) {
            this.ns = ns;
        }

        String name() {
            return ns.name();
        }

        NamespaceHost namespaces() {
            return ns;
        }

        /** Runs {@code program} (a fixture's name, found on the host's $PATH) with {@code args} here to its end. */
        int run(String program, String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(program));
            cmd.addAll(List.of(args));
            return ns.run(cmd, env());
        }

        /** {@code fleettap ARGS} run inside this host (the fixtures on its $PATH) to its end. */
        Fleettap.Result fleettap(String... args) {
            List<String> prefix = new ArrayList<>(List.of("env"));
            env().forEach((k, v) -> prefix.add(k + "=" + v));
            return Fleettap.runAs(ns.enter(prefix), args);
        }

        /** The agent's log so far (its stderr, over every start). */
        String agentLog() {
            StringBuilder b = new StringBuilder();
            for (int i = 1; i <= starts; i++) {
                b.append(Fleettap.read(file("agent-" + name() + "-" + i + ".err")));
            }
            return b.toString();
        }

        boolean agentAlive() {
            return agent != null && agent.isAlive();
        }

        /** SIGKILL to the agent daemon (no flush, no goodbye to the collector); returns once it is gone. */
        void killAgent() throws InterruptedException {
            ProcessHandle daemon = agent.toHandle().children().findFirst()
                    .orElseThrow(() -> new AssertionError(name() + ": the agent daemon is not running"));
            daemon.destroyForcibly();
            assertThat(agent.waitFor(30, TimeUnit.SECONDS)).as(name() + "'s agent gone").isTrue();
        }

        /** Starts the agent daemon; {@link #awaitRegistered} waits for it. */
        private void startAgent() throws IOException {
            starts++;
            String log = "agent-" + name() + "-" + starts;
            // -XX:-UsePerfData: every host's agent has the same pid in its namespace, and they share /tmp. C1 only:
            // four daemons start at once on a small machine.
            agent = ns.start(List.of(JAVA, "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1", "-jar", Fleettap.JAR.toString(), "agent",
                    "--insecure", "--collector", address(), "--host-id", name(), "--labels", selector(), "--spool",
                    dir.resolve("spool-" + name()).toString(), "--state", dir.resolve("state-" + name()).toString()),
                    env(), file(log + ".out"), file(log + ".err"));
            processes.add(agent);
        }

        private void awaitRegistered() throws InterruptedException {
            String log = "agent-" + name() + "-" + starts + ".err";
            await(() -> Fleettap.read(file(log)).contains("registered with the collector"),
                    name() + "'s agent (start " + starts + ") to register");
        }

        @Override
        public String toString() {
            return ns.toString();
        }
    }

    private final Path dir;
    private final String runLabel;
    private final List<NamespaceHost> namespaces = new ArrayList<>();
    private final List<Host> hosts = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, Process> commands = new LinkedHashMap<>();
    private String address;
    private Process collector;
    /** For polling while a case waits (a CLI run per poll would load the machine the agents run on). */
    private ManagedChannel channel;

    private MultiHostFleet(Path dir) {
        this.dir = dir;
        this.runLabel = "mh" + ProcessHandle.current().pid();
    }

    /**
     * Removes what killed runs left, creates {@code count} hosts (h1, h2, ...), starts the collector with {@code
     * collectorArgs} and the agents, and waits until every agent registered. On failure, everything made is removed.
     */
    static MultiHostFleet start(Path dir, int count, String... collectorArgs) throws Exception {
        NamespaceHost.removeStale();
        MultiHostFleet fleet = new MultiHostFleet(dir);
        try {
            for (int i = 1; i <= count; i++) {
                NamespaceHost ns = NamespaceHost.create("h" + i, i);
                fleet.namespaces.add(ns);
                fleet.hosts.add(fleet.new Host(ns));
            }
            fleet.startCollector(collectorArgs);
            fleet.ensureAgents();
            return fleet;
        } catch (Exception | AssertionError e) {
            fleet.close();
            throw e;
        }
    }

    private void startCollector(String... more) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        address = namespaces.get(0).outerIp() + ":" + port;
        List<String> args = new ArrayList<>(List.of("collector", "--listen", address, "--data",
                dir.resolve("collector-data").toString()));
        args.addAll(List.of(more));
        collector = Fleettap.start(file("collector.out"), file("collector.err"), args.toArray(new String[0]));
        processes.add(collector);
        await(() -> Fleettap.read(file("collector.out")).contains("collector listening on"), "the collector to listen");
        channel = Grpc.newChannelBuilder(address, InsecureChannelCredentials.create()).build();
    }

    List<Host> hosts() {
        return List.copyOf(hosts);
    }

    /** The collector's HOST:PORT, reachable from the root namespace and from every host. */
    String address() {
        return address;
    }

    /** The label selector that picks exactly this fleet's agents. */
    String selector() {
        return "fleet=" + runLabel;
    }

    /** Starts any agent that is not running (a case killed it) and waits until it registered again. */
    void ensureAgents() throws IOException, InterruptedException {
        List<Host> started = new ArrayList<>();
        for (Host h : hosts) {
            if (!h.agentAlive()) {
                h.startAgent();
                started.add(h);
            }
        }
        for (Host h : started) {
            h.awaitRegistered();
        }
    }

    /**
     * Starts {@code fleettap ARGS} in the root namespace as command {@code name} (stdout and stderr to {@code
     * name.out}, {@code name.err}), with {@code --collector ADDRESS} after the subcommand.
     */
    Process cli(String name, String subcommand, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(subcommand, "--collector", address));
        all.addAll(List.of(args));
        Process p = Fleettap.start(file(name + ".out"), file(name + ".err"), all.toArray(new String[0]));
        processes.add(p);
        commands.put(name, p);
        return p;
    }

    /** What command {@code name} printed on stdout so far. */
    String out(String name) {
        return Fleettap.read(file(name + ".out"));
    }

    /** What command {@code name} printed on stderr so far. */
    String err(String name) {
        return Fleettap.read(file(name + ".err"));
    }

    /** The id a {@code run}, {@code latency} or similar command printed first ("session ID"). */
    String sessionOf(String name) throws InterruptedException {
        await(() -> out(name).startsWith("session ") && out(name).contains("\n"), name + " to print its session");
        return out(name).lines().findFirst().orElseThrow().substring("session ".length()).strip();
    }

    /** Waits until command {@code name} printed {@code "[HOST] " + line} for every host. */
    void awaitEveryHost(String name, String line) throws InterruptedException {
        for (Host h : hosts) {
            await(() -> out(name).lines().anyMatch(l -> l.equals("[" + h.name() + "] " + line)),
                    h.name() + " to print '" + line + "' in " + name);
        }
    }

    /** Stops command {@code name} with SIGTERM, as Ctrl-C would; returns its exit status. */
    int stop(String name) throws InterruptedException {
        Process p = commands.get(name);
        long start = System.nanoTime();
        p.destroy();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as(name + " to end after SIGTERM\n" + logs()).isTrue();
        System.out.printf("%s ended %d ms after SIGTERM%n", name, (System.nanoTime() - start) / 1_000_000);
        return p.exitValue();
    }

    /** Waits for command {@code name} to end by itself (at most {@code limit}); returns its exit status. */
    int awaitExit(String name, Duration limit) throws InterruptedException {
        Process p = commands.get(name);
        assertThat(p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)).as(name + " to end\n" + logs()).isTrue();
        return p.exitValue();
    }

    /** {@code fleettap ARGS --collector ADDRESS ...} run to its end. */
    Fleettap.Result query(String subcommand, String... args) {
        List<String> all = new ArrayList<>(List.of(subcommand, "--collector", address));
        all.addAll(List.of(args));
        return Fleettap.run(all.toArray(new String[0]));
    }

    /** A number's or statistic's sum per host as the collector has it now ({@code query --by host}); empty on error. */
    Map<String, Long> sumsByHost(String session, String statistic) {
        Fleettap.Result r = query("query", "--session", session, statistic, "--by", "host", "-o", "json");
        Map<String, Long> sums = new TreeMap<>();
        if (r.exit() != 0) {
            return sums;
        }
        Matcher m = ROW.matcher(r.stdout());
        while (m.find()) {
            sums.merge(m.group(1), Long.parseLong(m.group(2)), Long::sum);
        }
        return sums;
    }

    /**
     * Waits until the collector's per-host sums of {@code statistic} are {@code expected} (other hosts absent), then
     * two export intervals more and checks they stayed so (nothing applied twice, nothing late).
     */
    void awaitSums(String session, String statistic, Map<String, Long> expected) throws InterruptedException {
        try {
            await(() -> polledSums(session, statistic).equals(expected), "the collector to have " + expected,
                    Duration.ofSeconds(60));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " (it has " + polledSums(session, statistic) + ")\n" + logs(), e);
        }
        Thread.sleep(2200);
        assertThat(polledSums(session, statistic)).isEqualTo(expected);
    }

    /**
     * Each host's state in {@code session} as the collector lists it ({@code sessions -a -o json}), e.g. {h1=RUNNING,
     * h3=LOST}; empty on error.
     */
    Map<String, String> sessionStates(String session) {
        Fleettap.Result r = query("sessions", "-a", "-o", "json");
        Map<String, String> states = new TreeMap<>();
        Matcher m = Pattern.compile("\\{[^{}]*\"session_id\"\\s*:\\s*\"" + Pattern.quote(session)
                + "\"[^{}]*\"host_id\"\\s*:\\s*\"([^\"]+)\"[^{}]*\"state\"\\s*:\\s*\"SESSION_STATE_(\\w+)\"")
                .matcher(r.exit() == 0 ? r.stdout() : "");
        while (m.find()) {
            states.put(m.group(1), m.group(2));
        }
        return states;
    }

    /** {@link #sumsByHost} asked over gRPC from this process, for polling; empty on error. */
    private Map<String, Long> polledSums(String session, String statistic) {
        Map<String, Long> sums = new TreeMap<>();
        try {
            for (AggregateRow row : QueryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .queryAggregates(AggregateQuery.newBuilder().setSessionId(session).setName(statistic)
                            .setGroupBy(GroupBy.GROUP_BY_HOST).build()).getRowsList()) {
                sums.put(row.getHostId(), row.getStats().getSum());
            }
        } catch (StatusRuntimeException e) {
            sums.clear();
        }
        return sums;
    }

    /** {@link #sessionStates} asked over gRPC from this process, for checks while a session runs; empty on error. */
    Map<String, String> polledStates(String session) {
        Map<String, String> states = new TreeMap<>();
        try {
            for (SessionInfo info : QueryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .listSessions(ListSessionsRequest.newBuilder().setIncludeEnded(true).build()).getSessionsList()) {
                if (info.getSpec().getSessionId().equals(session)) {
                    for (SessionStatus st : info.getStatusesList()) {
                        states.put(st.getHostId(), st.getState().name().substring("SESSION_STATE_".length()));
                    }
                }
            }
        } catch (StatusRuntimeException e) {
            states.clear();
        }
        return states;
    }

    /** The environment of everything started on a host: the fixtures on $PATH. */
    private static Map<String, String> env() {
        return Map.of("PATH", FIXTURES + File.pathSeparator + EXAMPLES + File.pathSeparator
                + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    private File file(String name) {
        return dir.resolve(name).toFile();
    }

    void await(BooleanSupplier condition, String what) throws InterruptedException {
        await(condition, what, Duration.ofSeconds(60));
    }

    void await(BooleanSupplier condition, String what, Duration limit) throws InterruptedException {
        try {
            Fleettap.waitFor(condition, what, limit);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + logs(), e);
        }
    }

    /** The last lines of every log of this fleet, for a failure's message. */
    String logs() {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".out") || p.toString().endsWith(".err")).sorted()
                    .toList()) {
                List<String> lines = Fleettap.read(f.toFile()).lines().toList();
                b.append("== ").append(f.getFileName()).append('\n');
                lines.subList(Math.max(0, lines.size() - 25), lines.size())
                        .forEach(l -> b.append(l, 0, Math.min(l.length(), 300)).append('\n'));
            }
        } catch (IOException e) {
            b.append("(logs unreadable: ").append(e.getMessage()).append(")\n");
        }
        return b.toString();
    }

    /** Stops every process (SIGTERM, then SIGKILL after 20 s) and removes every host's namespaces. */
    @Override
    public void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
        for (Process p : processes) {
            p.toHandle().descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (Process p : processes) {
            try {
                if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        for (NamespaceHost ns : namespaces) {
            ns.close();
        }
    }
}
