package org.fleettap.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.fleettap.agent.script.CheckedScript;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.script.Type;
import org.fleettap.agent.script.VariableInfo;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.CompileError;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostInfo;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.ListHostsRequest;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.StartSessionRequest;
import org.fleettap.proto.v1.StartSessionResponse;
import org.fleettap.proto.v1.StopSessionRequest;
import org.fleettap.proto.v1.TargetSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code fleettap run --collector}: a checked script becomes a session on the hosts the selector picks. Prints
 * {@code session ID} first, then each host's output as it arrives ({@code [HOST] text}), and each host's compile
 * errors and failures on stderr once ({@code HOST: file:line:col: error: message}). When every host has ended the
 * session, or on SIGINT/SIGTERM, it stops the session, waits (boundedly) for the hosts to report their end, and
 * prints the script's statistics and numbers as the collector merged them across hosts ({@link StatsBlock}).
 *
 * <p>The session's progress is read by polling ListSessions every {@link #POLL}: the hosts it waits for are those
 * the selector matched that were connected when the session started, and any host that reports on it later.
 */
final class FleetRun {
    private static final Logger log = LoggerFactory.getLogger(FleetRun.class);
    static final Duration POLL = Duration.ofMillis(500);
    /** After StopSession, how long to wait for the hosts to report the session's end (agents allow 15 s). */
    static final Duration STOP_WAIT = Duration.ofSeconds(20);
    /** Output is taken as complete once no line arrived for this long after the hosts ended (at most SETTLE_MAX). */
    static final Duration QUIET = Duration.ofMillis(500);
    static final Duration SETTLE_MAX = Duration.ofSeconds(5);

    /**
     * What to run.
     *
     * @param duration how long the session runs (null: until stopped or the script exits)
     * @param interval how often agents export (null: the agents' default, 1 s)
     */
    record Request(Source source, CheckedScript script, List<String> args, TargetSelector selector,
            Duration duration, Duration interval) {
    }

    private final CollectorClient client;
    private final PrintStream out;
    private final PrintStream err;
    private final Set<String> expected = new TreeSet<>();
    private final Set<String> reported = new HashSet<>();
    private final Set<String> warned = new HashSet<>();
    private SessionInfo latest;
    private java.util.function.Consumer<String> onStarted = id -> { };
    private PrintStream announce = System.out;
    private Summary summary;

    /** What a command prints at the end instead of the script's statistics. */
    @FunctionalInterface
    interface Summary {
        void print(String sessionId) throws CollectorClient.CollectorException;
    }

    /**
     * {@code out} takes the hosts' output and the statistics; {@code session ID} goes to stdout (see {@link
     * #forCommand}).
     */
    FleetRun(CollectorClient client, PrintStream out, PrintStream err) {
        this.client = client;
        this.out = out;
        this.err = err;
    }

    /**
     * Runs a script a command wrote (latency, profile) on the hosts {@code hosts} picks, with the FleetRun {@code
     * setUp} makes for the client (its hooks and summary): checked here first like any script, then sent.
     */
    static int runScript(CollectorOptions collector, Source src, TargetSelector hosts, Duration limit, Duration every,
            java.util.function.Function<CollectorClient, FleetRun> setUp) throws Exception {
        org.fleettap.agent.script.Compilation c = org.fleettap.agent.script.Frontend.check(src);
        if (!c.succeeded()) {
            System.err.print(c.format());
            return 1;
        }
        try (CollectorClient client = collector.connectCollector(); StopSignals stop = StopSignals.install()) {
            return setUp.apply(client).run(new Request(src, c.script().orElseThrow(), List.of(), hosts, limit, every),
                    stop);
        }
    }

    /** Called with the session's id once it started (before its output is followed). */
    FleetRun onStarted(java.util.function.Consumer<String> hook) {
        this.onStarted = hook;
        return this;
    }

    /** {@code s} as a string literal of the script language, for the scripts the commands write. */
    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * For a fleet command that prints its own summary in {@code format}: with JSON or CSV stdout is kept to that
     * data alone, so {@code session ID} and the hosts' lines go to stderr.
     */
    static FleetRun forCommand(CollectorClient client, OutputFormat format) {
        PrintStream text = format == OutputFormat.TABLE ? System.out : System.err;
        FleetRun r = new FleetRun(client, text, System.err);
        r.announce = text;
        return r;
    }

    /** Printed at the end instead of the script's statistics. */
    FleetRun summary(Summary s) {
        this.summary = s;
        return this;
    }

    /**
     * Runs the session to its end; the exit status: 0, or 1 (and no statistics) when it ran on no host or failed on
     * every host.
     */
    int run(Request r, StopSignals stop) throws CollectorClient.CollectorException, InterruptedException {
        StartSessionRequest.Builder start = StartSessionRequest.newBuilder().setScriptName(r.source().name())
                .setScriptSource(r.source().text()).addAllScriptArgs(r.args()).setTarget(r.selector());
        if (r.duration() != null) {
            start.setDurationNanos(r.duration().toNanos());
        }
        if (r.interval() != null) {
            start.setExportIntervalNanos(r.interval().toNanos());
        }
        StartSessionResponse started = client.call("StartSession", () -> client.sessions().startSession(
                start.build()));
        String id = started.getSessionId();
        announce.println("session " + id);
        announce.flush();
        expectConnected(started, r.selector());
        onStarted.accept(id);

        try (OutputFollower output = new OutputFollower(client, id, List.of(), out, err)) {
            output.start();
            while (!stop.stopped() && !(poll(id) && !expected.isEmpty() && running().isEmpty())) {
                stop.await(POLL.toMillis());
            }
            client.call("StopSession", () -> client.sessions().stopSession(StopSessionRequest.newBuilder()
                    .setSessionId(id).build()));
            long deadline = System.nanoTime() + STOP_WAIT.toNanos();
            awaitNone(id, this::running, deadline, " did not report the session's end within " + STOP_WAIT.toSeconds()
                    + " s; what they export later is not in the statistics below");
            // A host's end is reported on its control stream; its last batch may still be on its way (a spool,
            // Kafka): the statistics wait until the collector has applied it.
            awaitNone(id, this::incomplete, deadline, ": their last batch has not reached the collector within "
                    + STOP_WAIT.toSeconds() + " s; the statistics below may miss their last interval");
            output.awaitQuiet(QUIET, SETTLE_MAX);
        }
        if (expected.isEmpty()) {
            err.println("fleettap: no host ran session " + id);
            return 1;
        }
        if (failedEverywhere()) {
            return 1;
        }
        if (summary != null) {
            summary.print(id);
        } else {
            printStatistics(id, r.script());
        }
        // The fleet commands (a summary of their own) always say how many hosts answered; a script, run as stap
        // runs one, says so only when some did not.
        String answered = answered(summary != null);
        if (!answered.isEmpty()) {
            err.println("fleettap: " + answered);
        }
        return 0;
    }

    /** Which matched hosts the run waits for; warns about those that do not run the session now. */
    private void expectConnected(StartSessionResponse started, TargetSelector selector) {
        if (started.getHostIdsCount() == 0) {
            err.println("fleettap: warning: no registered host matches " + HostSelectors.format(selector)
                    + "; agents that register and match will run the session (Ctrl-C to stop)");
            return;
        }
        Set<String> connected = new HashSet<>();
        try {
            for (HostInfo h : client.call("ListHosts", () -> client.query().listHosts(ListHostsRequest.newBuilder()
                    .setSelector(selector).build())).getHostsList()) {
                if (h.getConnected()) {
                    connected.add(h.getHostId());
                }
            }
        } catch (CollectorClient.CollectorException e) {
            log.debug("listing hosts; waiting for every matched host", e);
            connected.addAll(started.getHostIdsList());
        }
        for (String host : started.getHostIdsList()) {
            if (connected.contains(host)) {
                expected.add(host);
            } else {
                err.println("fleettap: warning: " + host + " is not connected; it runs the session when it "
                        + "reconnects");
            }
        }
    }

    /** Reads the session's progress and reports what is new; false when it could not be read. */
    private boolean poll(String id) {
        Optional<SessionInfo> info;
        try {
            info = client.call("ListSessions", () -> client.query().listSessions(ListSessionsRequest.newBuilder()
                    .setIncludeEnded(true).build())).getSessionsList().stream()
                    .filter(s -> s.getSpec().getSessionId().equals(id)).findFirst();
        } catch (CollectorClient.CollectorException e) {
            warnOnce(e.getMessage() + "; trying again");
            return false;
        }
        if (info.isEmpty()) {
            warnOnce("the collector does not list session " + id);
            return false;
        }
        latest = info.get();
        for (CompileErrors errors : latest.getCompileErrorsList()) {
            expected.add(errors.getHostId());
            for (CompileError e : errors.getErrorsList()) {
                reportOnce(errors.getHostId() + ": " + location(e) + ": error: " + e.getMessage()
                        + (e.getHint().isEmpty() ? "" : " (hint: " + e.getHint() + ")"));
            }
        }
        for (SessionStatus s : latest.getStatusesList()) {
            expected.add(s.getHostId());
            // A failed compilation says so in its compile errors.
            if (s.getState() == SessionState.SESSION_STATE_FAILED && !s.getReason().startsWith("compile error")) {
                reportOnce(s.getHostId() + ": session failed: " + s.getReason());
            }
            // A host's policy stopped the session there: say why (an agent-side rule the user cannot see otherwise).
            if (s.getState() == SessionState.SESSION_STATE_STOPPED && s.getReason().startsWith("stopped by policy")) {
                reportOnce(s.getHostId() + ": " + s.getReason());
            }
            if (s.getState() == SessionState.SESSION_STATE_LOST) {
                reportOnce("fleettap: warning: " + s.getHostId() + " lost (" + s.getReason() + "): the session goes on "
                        + "without it; what it sent before is kept");
            }
        }
        return true;
    }

    /** The hosts waited for that have not reported the session's end. */
    private Set<String> running() {
        Map<String, SessionState> states = states();
        Set<String> running = new TreeSet<>();
        for (String host : expected) {
            SessionState s = states.get(host);
            if (!isDone(s)) {
                running.add(host);
            }
        }
        return running;
    }

    /**
     * E.g. "2 of 3 hosts ended the session; lost: db-9"; unless {@code always}, empty when every host waited for
     * ended it normally (the usual case says nothing).
     */
    String answered(boolean always) {
        return answered(expected, states(), always);
    }

    /** {@link #answered(boolean)} for the hosts {@code expected} (in order) that reported {@code states}. */
    static String answered(Set<String> expected, Map<String, SessionState> states, boolean always) {
        Map<SessionState, List<String>> by = new java.util.TreeMap<>();
        int ended = 0;
        for (String host : expected) {
            SessionState s = states.getOrDefault(host, SessionState.SESSION_STATE_UNSPECIFIED);
            if (s == SessionState.SESSION_STATE_STOPPED) {
                ended++;
            } else {
                by.computeIfAbsent(s, k -> new ArrayList<>()).add(host);
            }
        }
        if (by.isEmpty() && !always) {
            return "";
        }
        StringBuilder b = new StringBuilder(ended + " of " + expected.size() + " hosts ended the session");
        by.forEach((s, hosts) -> b.append("; ").append(switch (s) {
            case SESSION_STATE_FAILED -> "failed";
            case SESSION_STATE_LOST -> "lost";
            default -> "did not report its end";
        }).append(": ").append(String.join(", ", hosts)));
        return b.toString();
    }

    /** Polls until {@code hosts} is empty or {@code deadline}; then warns about those left. */
    private void awaitNone(String id, java.util.function.Supplier<Set<String>> hosts, long deadline, String warning)
            throws InterruptedException {
        while (!hosts.get().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis());
            poll(id);
        }
        Set<String> left = hosts.get();
        if (!left.isEmpty()) {
            err.println("fleettap: warning: " + String.join(", ", left) + warning);
        }
    }

    /** The hosts that ended the session normally but whose final batch the collector has not applied yet. */
    private Set<String> incomplete() {
        Set<String> hosts = new TreeSet<>();
        if (latest == null) {
            return hosts;
        }
        for (SessionStatus s : latest.getStatusesList()) {
            if (expected.contains(s.getHostId()) && s.getState() == SessionState.SESSION_STATE_STOPPED
                    && !latest.getCompleteHostIdsList().contains(s.getHostId())) {
                hosts.add(s.getHostId());
            }
        }
        return hosts;
    }

    /** Whether a host in state {@code s} is done with the session: stopped, failed, or lost to the collector. */
    static boolean isDone(SessionState s) {
        return s == SessionState.SESSION_STATE_STOPPED || s == SessionState.SESSION_STATE_FAILED
                || s == SessionState.SESSION_STATE_LOST;
    }

    private boolean failedEverywhere() {
        Map<String, SessionState> states = states();
        return expected.stream().allMatch(h -> states.get(h) == SessionState.SESSION_STATE_FAILED);
    }

    private Map<String, SessionState> states() {
        Map<String, SessionState> states = new LinkedHashMap<>();
        if (latest != null) {
            for (SessionStatus s : latest.getStatusesList()) {
                states.put(s.getHostId(), s.getState());
            }
        }
        return states;
    }

    /**
     * The script's statistics and numbers, merged over the whole session across hosts; then, on stderr, what
     * hosts lost.
     */
    private void printStatistics(String id, CheckedScript script) throws CollectorClient.CollectorException {
        StringBuilder sb = new StringBuilder();
        List<HostLosses> losses = new ArrayList<>();
        for (VariableInfo v : script.globals().values()) {
            boolean statistic = v.type() == Type.STATS;
            if (!v.written() || !statistic && v.type() != Type.LONG) {
                continue;
            }
            AggregateQuery q = AggregateQuery.newBuilder().setSessionId(id).setName(v.name())
                    .setGroupBy(v.array() ? GroupBy.GROUP_BY_KEY : GroupBy.GROUP_BY_NONE).build();
            AggregateQueryResponse r = client.call("QueryAggregates", () -> client.query().queryAggregates(q));
            sb.append(StatsBlock.lines(v.name(), statistic, v.array(), r.getRowsList()));
            if (losses.isEmpty()) {
                losses.addAll(r.getLossesList());
            }
        }
        out.print(sb);
        out.flush();
        for (HostLosses l : losses) {
            String what = Losses.describe(l);
            if (!what.isEmpty()) {
                err.println("fleettap: warning: " + l.getHostId() + ": " + what);
            }
        }
    }

    private static String location(CompileError e) {
        if (e.getLine() == 0) {
            return e.getFile();
        }
        return e.getFile() + ":" + e.getLine() + (e.getColumn() == 0 ? "" : ":" + e.getColumn());
    }

    private void reportOnce(String line) {
        if (reported.add(line)) {
            err.println(line);
        }
    }

    private void warnOnce(String message) {
        if (warned.add(message)) {
            err.println("fleettap: warning: " + message);
        }
    }
}
