package org.fleettap.cli;

import io.grpc.Status;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.fleettap.agent.runtime.Stat;
import org.fleettap.agent.script.Source;
import org.fleettap.aggregate.InvalidAggregateException;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.FollowAggregatesRequest;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.Metric;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.Stats;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleettap locks}: which pthread mutexes make a program's threads wait, on every matching host — the talk's
 * futex.stp (S8) for a fleet. A session times every futex call of the program that waits for a lock (FUTEX_WAIT,
 * FUTEX_WAIT_BITSET, FUTEX_LOCK_PI, FUTEX_LOCK_PI2: a contended lock; an uncontended one never enters the kernel)
 * into a statistic keyed by the lock's name, so that the same lock on different hosts merges into one row. At the
 * end (or every interval with --follow) it prints the locks with the most contended waits: count, total, average
 * and longest wait, the hosts they were seen on, and stap's log2 histogram of the waits.
 *
 * <p>A lock is named by the line that initialised it (the caller of libc's {@code pthread_mutex_init}, from a uprobe
 * on its return), else by its data symbol (a static {@code PTHREAD_MUTEX_INITIALIZER} mutex), else by its address
 * and process: an address means something only inside one process. The session's stored results are shown again
 * with {@code --session} or {@code --since}, rendered the same way.
 */
@Command(name = "locks", mixinStandardHelpOptions = true,
        description = {"Find the pthread mutexes a program's threads wait for, on every matching host: per lock the "
                + "contended waits (count, total, average and longest, in microseconds), a log2 histogram of the waits "
                + "and the hosts, merged across hosts.",
                "A lock is named by the source line that called pthread_mutex_init for it (file:line; the program "
                        + "needs debug info), else by its data symbol (a static mutex: 'name+0x0/0x28 [binary]'), "
                        + "else by its address and process ('0x7f2a1c0 in pid 4242': an address means something "
                        + "only inside one process, so such a lock is never merged with another process's).",
                "Waits are futex calls that block on a lock (FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_LOCK_PI[2]); "
                        + "condition variables and joins wait on futexes too and show as locks named by address.",
                "The program is found by its task name (as ps -o comm shows it: the file name, at most 15 "
                        + "characters); a thread that renamed itself is not traced. Its C library is libc.so.6 as "
                        + "the host's running processes map it.",
                "With --session ID or --since DUR, shows stored results again instead of running a session."})
final class LocksCommand implements Callable<Integer> {
    static final String STATISTIC = "lock_waits_us";
    /** What a session's script_name is, to find locks sessions again (--since). */
    static final String SCRIPT_NAME = "locks";
    /** TASK_COMM_LEN - 1: the kernel keeps this many bytes of a task's name. */
    static final int COMM_BYTES = 15;

    /** The clock --since counts from. */
    Clock clock = Clock.systemUTC();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    CollectorOptions collector;

    @Option(names = "--process", paramLabel = "NAME",
            description = "The program (a path or a name; its file name is matched against task names).")
    String process;

    @Mixin
    HostsOption hosts;

    @Option(names = "--duration", paramLabel = "DUR", description = "Stop after DUR (default: at Ctrl-C).")
    String duration;

    @Option(names = "--follow", description = "Also print every interval's locks, until Ctrl-C.")
    boolean follow;

    @Option(names = "--interval", paramLabel = "DUR",
            description = "How often hosts export, and --follow prints (default: 1s).")
    String interval;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10",
            description = "The N locks with the most contended waits (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--session", paramLabel = "ID", description = "Show this locks session's stored results.")
    String session;

    @Option(names = "--since", paramLabel = "DUR", description = "Show the stored results of the last DUR (of "
            + "--session ID, else of every locks session that ran then).")
    String since;

    @Option(names = "-o", paramLabel = "FORMAT", defaultValue = "table", converter = OutputFormat.Converter.class,
            description = "table, csv (a row per host and lock, then per lock merged as host '*'; no histograms; with "
                    + "--follow one CSV whose rows lead with WINDOW_START and WINDOW_END, empty for the totals) or "
                    + "json (the collector's answers, with the histograms' buckets: per host and lock, then per lock "
                    + "merged; one pair per line). With json and csv the session line and the hosts' lines go to "
                    + "stderr.")
    OutputFormat format;

    /**
     * The session's script for the program whose task name is {@code comm}: the talk's futex-all.stp, keyed by lock
     * name, waits in microseconds.
     */
    static String script(String comm) {
        String c = FleetRun.quote(comm);
        return "global lock_names, " + STATISTIC + "\n"
                + "probe begin { printf(\"tracing lock contention in %s\\n\", " + c + ") }\n"
                // The call site (the line of the call: the return address - 1), when the program has line
                // information; else the lock is named at its first wait. uaddr(), not ustack(1): every process on
                // the host hits this probe (a JVM initialises thousands of mutexes a second as it starts), and a
                // user stack copied into each record would fill the ring buffers.
                + "probe process(\"libc.so.6\").function(\"pthread_mutex_init\").return {\n"
                + "  if (execname() != " + c + ") next\n"
                + "  site = usymfileline(uaddr() - 1)\n"
                + "  if (substr(site, 0, 2) != \"0x\") lock_names[pid(), @entry(pointer_arg(1))] = site\n"
                + "}\n"
                + "probe syscall.futex.return {\n"
                + "  if (execname() != " + c + ") next\n"
                // FUTEX_CMD_MASK: without FUTEX_PRIVATE_FLAG (128) and FUTEX_CLOCK_REALTIME (256).
                + "  cmd = $op & 127\n"
                + "  if (cmd != 0 && cmd != 9 && cmd != 6 && cmd != 13) next\n"
                + "  if (!([pid(), $uaddr] in lock_names)) {\n"
                + "    data = usymdata($uaddr)\n"
                + "    lock_names[pid(), $uaddr] = substr(data, 0, 2) == \"0x\" ? sprintf(\"%s in pid %d\", data, pid())"
                + " : data\n"
                + "  }\n"
                + "  " + STATISTIC + "[lock_names[pid(), $uaddr]] <<< gettimeofday_us() - @entry(gettimeofday_us())\n"
                + "}\n";
    }

    /** The task name a program runs under: its file name, cut to the kernel's 15 bytes. */
    static String comm(String process) {
        Path name = Path.of(process).getFileName();
        byte[] b = (name == null ? process : name.toString()).getBytes(StandardCharsets.UTF_8);
        return b.length <= COMM_BYTES ? new String(b, StandardCharsets.UTF_8)
                : new String(b, 0, COMM_BYTES, StandardCharsets.UTF_8);
    }

    @Override
    public Integer call() throws Exception {
        boolean stored = session != null || since != null;
        if (top < 1) {
            throw usage("--top must be 1 or more");
        }
        if (stored) {
            if (process != null || follow || duration != null || interval != null || hosts.hosts != null) {
                throw usage("--session and --since show stored results: --process, --hosts, --duration, --follow "
                        + "and --interval run a session");
            }
            return showStored();
        }
        if (process == null) {
            throw usage("locks needs --process NAME (run a session) or --session ID / --since DUR (show stored "
                    + "results)");
        }
        if (process.isBlank() || process.contains("\n")) {
            throw usage("--process '" + process + "' is not a program name");
        }
        if (follow && duration != null) {
            throw usage("--follow and --duration exclude each other");
        }
        if (collector.collector == null) {
            throw usage("--process runs a session on the fleet: it needs --collector HOST:PORT");
        }
        Duration every = interval == null ? null : parse("--interval", interval);
        if (every != null && every.isZero()) {
            throw usage("--interval must be more than 0");
        }
        Duration limit = duration == null ? null : parse("--duration", duration);
        if (limit != null && limit.isZero()) {
            throw usage("--duration must be more than 0");
        }
        Source src = new Source(SCRIPT_NAME, script(comm(process)));
        PrintStream out = System.out;
        if (follow && format == OutputFormat.CSV) {
            out.print(csv(List.of(), List.of(), WINDOW_COLUMNS, List.of("", "")).csvHeader());
        }
        AtomicReference<WindowStream> windows = new AtomicReference<>();
        return FleetRun.runScript(collector, src, hosts.selector(), limit, every,
                client -> FleetRun.forCommand(client, format).onStarted(id -> {
                    if (follow) {
                        windows.set(follow(client, id, out));
                    }
                }).summary(id -> {
                    if (windows.get() != null) {
                        windows.get().close();
                        Status s = windows.get().ended();
                        if (s != null && !s.isOk()) {
                            System.err.println("fleettap: warning: " + client.describe("FollowAggregates", s));
                        }
                    }
                    Result r = query(client, id, 0, 0);
                    synchronized (out) {
                        if (follow && format == OutputFormat.TABLE) {
                            out.print("session total\n");
                        }
                        print(r, out, "session " + id, List.of("", ""));
                    }
                }));
    }

    /** --session and/or --since: the stored results, one block per session. */
    private int showStored() throws Exception {
        long from = 0;
        if (since != null) {
            Duration d = parse("--since", since);
            if (d.isZero()) {
                throw usage("--since must be more than 0");
            }
            from = clock.instant().minus(d).toEpochMilli() * 1_000_000L;
        }
        try (CollectorClient client = collector.connect()) {
            List<SessionInfo> all = client.call("ListSessions", () -> client.query().listSessions(
                    ListSessionsRequest.newBuilder().setIncludeEnded(true).build())).getSessionsList();
            List<SessionInfo> shown = new ArrayList<>();
            for (SessionInfo s : all) {
                if (session != null ? s.getSpec().getSessionId().equals(session)
                        : s.getSpec().getScriptName().equals(SCRIPT_NAME) && ranSince(s, from)) {
                    shown.add(s);
                }
            }
            if (shown.isEmpty()) {
                System.err.println("fleettap: " + (session != null ? "no session " + session
                        : "no locks session ran in the last " + since));
                return 1;
            }
            for (SessionInfo s : shown) {
                String id = s.getSpec().getSessionId();
                if (format == OutputFormat.TABLE) {
                    System.out.print("session " + id + "\n");
                }
                print(query(client, id, from, 0), System.out, "session " + id, null);
                System.err.println("fleettap: session " + id + ": " + answered(s));
            }
            return 0;
        }
    }

    /** Whether {@code s} ran at or after {@code from} (unix nanos; 0: ever). */
    private static boolean ranSince(SessionInfo s, long from) {
        return from == 0 || s.getEndedUnixNanos() == 0 || s.getEndedUnixNanos() >= from;
    }

    /**
     * How many of the hosts a stored session was pushed to ended it, and which did not, as a fleet command says it
     * at its end.
     */
    static String answered(SessionInfo s) {
        Map<String, SessionState> states = new LinkedHashMap<>();
        for (SessionStatus st : s.getStatusesList()) {
            states.put(st.getHostId(), st.getState());
        }
        return FleetRun.answered(new java.util.TreeSet<>(s.getPushedHostIdsList()), states, true);
    }

    /** Prints each window's locks as the collector closes it (per host and merged, as at the end). */
    private WindowStream follow(CollectorClient client, String id, PrintStream out) {
        FollowAggregatesRequest req = FollowAggregatesRequest.newBuilder().setSessionId(id).setName(STATISTIC)
                .setGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY).build();
        return WindowStream.open(client, req, w -> {
            if (w.getRowsCount() == 0) {
                return;
            }
            Result r;
            try {
                r = query(client, id, w.getWindowStartUnixNanos(), w.getWindowEndUnixNanos());
            } catch (CollectorClient.CollectorException e) {
                System.err.println("fleettap: warning: " + e.getMessage());
                return;
            }
            synchronized (out) {
                if (format == OutputFormat.TABLE) {
                    out.print(Times.formatMillis(w.getWindowStartUnixNanos()) + " .. "
                            + Times.formatMillis(w.getWindowEndUnixNanos()) + "\n");
                }
                print(r, out, null, List.of(Times.formatMillis(w.getWindowStartUnixNanos()),
                        Times.formatMillis(w.getWindowEndUnixNanos())));
            }
        });
    }

    /** The top locks merged across hosts (with their buckets), and every host's rows. */
    record Result(AggregateQueryResponse merged, AggregateQueryResponse perHost) {
    }

    /** The session's locks over [from, to) (0, 0: the whole session): the top merged, and per host. */
    private Result query(CollectorClient client, String id, long from, long to)
            throws CollectorClient.CollectorException {
        AggregateQuery merged = AggregateQuery.newBuilder().setSessionId(id).setName(STATISTIC)
                .setFromUnixNanos(from).setToUnixNanos(to).setGroupBy(GroupBy.GROUP_BY_KEY).setTopN(top)
                .setOrderBy(Metric.METRIC_COUNT).setIncludeAggregates(format != OutputFormat.CSV).build();
        AggregateQuery perHost = merged.toBuilder().setGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY).setTopN(0)
                .setOrderBy(Metric.METRIC_UNSPECIFIED).setIncludeAggregates(format == OutputFormat.JSON).build();
        return new Result(client.call("QueryAggregates", () -> client.query().queryAggregates(merged)),
                client.call("QueryAggregates", () -> client.query().queryAggregates(perHost)));
    }

    /**
     * Prints a result in the chosen format; {@code what} names it when it has no locks (null: say nothing). With
     * --follow as CSV the rows are led by {@code window} (start and end; empty for the session's totals) under the
     * header printed once at the start.
     */
    private void print(Result r, PrintStream out, String what, List<String> window) {
        if (format == OutputFormat.CSV && follow) {
            out.print(csv(r.merged().getRowsList(), r.perHost().getRowsList(), WINDOW_COLUMNS, window).csvRows());
        } else if (format == OutputFormat.JSON) {
            out.print(OutputFormat.jsonLine(only(r.perHost(), r.merged())));
            out.print(OutputFormat.jsonLine(r.merged()));
        } else if (r.merged().getRowsCount() == 0 && format == OutputFormat.TABLE) {
            if (what != null) {
                System.err.println("fleettap: no contended lock in " + what);
            }
        } else {
            out.print(render(r.merged().getRowsList(), r.perHost().getRowsList(), format));
            if (r.merged().getTotalRows() > r.merged().getRowsCount()) {
                System.err.println("fleettap: top " + r.merged().getRowsCount() + " of " + r.merged().getTotalRows()
                        + " locks by contended waits");
            }
        }
        out.flush();
        if (format != OutputFormat.JSON) {
            for (HostLosses l : r.perHost().getLossesList()) {
                String lost = Losses.describe(l);
                if (!lost.isEmpty()) {
                    System.err.println("fleettap: warning: " + l.getHostId() + ": " + lost);
                }
            }
        }
    }

    /** {@code perHost} with only the rows of the locks in {@code merged} (the top N). */
    private static AggregateQueryResponse only(AggregateQueryResponse perHost, AggregateQueryResponse merged) {
        List<String> names = merged.getRowsList().stream().map(LocksCommand::lock).toList();
        return perHost.toBuilder().clearRows().addAllRows(perHost.getRowsList().stream()
                .filter(r -> names.contains(lock(r))).toList()).build();
    }

    private static String lock(AggregateRow r) {
        return r.getKeyCount() == 0 ? "" : r.getKey(0).getStringValue();
    }

    /**
     * The locks in {@code merged}'s order. Table: a summary line per lock (LOCK, CONTENDED, TOTAL_US, AVG_US,
     * MAX_US, HOSTS), then per lock its title, its hosts' figures and the merged histogram of its waits as stap
     * prints {@code @hist_log}. CSV: a row per host and lock, then the lock merged as host {@code *}.
     */
    static String render(List<AggregateRow> merged, List<AggregateRow> perHost, OutputFormat format) {
        if (format == OutputFormat.CSV) {
            return csv(merged, perHost, List.of(), List.of()).csv();
        }
        Map<String, List<AggregateRow>> byLock = byLock(merged, perHost);
        Table summary = new Table(List.of("LOCK", "CONTENDED", "TOTAL_US", "AVG_US", "MAX_US", "HOSTS"), false, true,
                true, true, true, true);
        for (AggregateRow m : merged) {
            List<String> cells = new ArrayList<>(figures(List.of(lock(m)), m.getStats()));
            cells.add(Integer.toString(byLock.get(lock(m)).size()));
            summary.add(cells);
        }
        StringBuilder b = new StringBuilder(summary.render());
        for (AggregateRow m : merged) {
            Stats s = m.getStats();
            b.append('\n').append(lock(m)).append(": contended ").append(Long.toUnsignedString(s.getCount()))
                    .append(" times, ").append(s.getSum()).append(" us in all, ").append(s.getAvg())
                    .append(" avg us, ").append(s.getMax()).append(" max us\n");
            Table hostsTable = new Table(List.of("HOST", "CONTENDED", "TOTAL_US", "AVG_US", "MAX_US"), false, true,
                    true, true, true);
            for (AggregateRow h : byLock.get(lock(m))) {
                hostsTable.add(figures(List.of(h.getHostId()), h.getStats()));
            }
            b.append(hostsTable.render());
            b.append(histogram(m));
        }
        return b.toString();
    }

    /** Each lock of {@code merged}, in its order, with its hosts' rows. */
    private static Map<String, List<AggregateRow>> byLock(List<AggregateRow> merged, List<AggregateRow> perHost) {
        Map<String, List<AggregateRow>> byLock = new LinkedHashMap<>();
        for (AggregateRow r : merged) {
            byLock.put(lock(r), new ArrayList<>());
        }
        for (AggregateRow r : perHost) {
            List<AggregateRow> rows = byLock.get(lock(r));
            if (rows != null) {
                rows.add(r);
            }
        }
        return byLock;
    }

    /** The CSV columns that lead each row of a --follow run: the window's start and end. */
    private static final List<String> WINDOW_COLUMNS = List.of("WINDOW_START", "WINDOW_END");

    /**
     * The CSV: a row per host and lock, then the lock merged as host {@code *}, in {@code merged}'s order; each row
     * led by {@code lead} under {@code leadHeader}.
     */
    static Table csv(List<AggregateRow> merged, List<AggregateRow> perHost, List<String> leadHeader,
            List<String> lead) {
        Map<String, List<AggregateRow>> byLock = byLock(merged, perHost);
        List<String> header = new ArrayList<>(leadHeader);
        header.addAll(List.of("HOST", "LOCK", "CONTENDED", "TOTAL_US", "AVG_US", "MAX_US"));
        boolean[] numeric = new boolean[header.size()];
        for (int i = header.size() - 4; i < numeric.length; i++) {
            numeric[i] = true;
        }
        Table t = new Table(header, numeric);
        for (AggregateRow m : merged) {
            for (AggregateRow h : byLock.get(lock(m))) {
                List<String> labels = new ArrayList<>(lead);
                labels.addAll(List.of(h.getHostId(), lock(m)));
                t.add(figures(labels, h.getStats()));
            }
            List<String> labels = new ArrayList<>(lead);
            labels.addAll(List.of("*", lock(m)));
            t.add(figures(labels, m.getStats()));
        }
        return t;
    }

    private static List<String> figures(List<String> labels, Stats s) {
        List<String> cells = new ArrayList<>(labels);
        cells.add(Long.toUnsignedString(s.getCount()));
        cells.add(Long.toString(s.getSum()));
        cells.add(Long.toString(s.getAvg()));
        cells.add(Long.toString(s.getMax()));
        return cells;
    }

    /** The row's merged waits as stap prints {@code @hist_log} (with its blank line); "" without buckets. */
    private static String histogram(AggregateRow r) {
        if (!r.hasAggregate() || r.getAggregate().getCount() == 0) {
            return "";
        }
        try {
            return Stat.ofLog2(MergeableAggregate.fromProto(r.getAggregate())).histogramText();
        } catch (InvalidAggregateException e) {
            return "(no histogram: " + e.getMessage() + ")\n";
        }
    }

    private Duration parse(String option, String text) {
        try {
            return Durations.parse(text);
        } catch (UserErrors.UsageException e) {
            throw usage("Invalid value for option '" + option + "': " + e.getMessage());
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
