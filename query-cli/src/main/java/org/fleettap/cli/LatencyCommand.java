package org.fleettap.cli;

import io.grpc.Status;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.fleettap.agent.script.Source;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.FollowAggregatesRequest;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.KeyPart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleettap latency}: how long a function takes, live, on every matching host. A session times each call of
 * the function (entry to return, in microseconds) into a statistic per function; every interval the collector's
 * window of it is printed per host and merged across hosts (count, p50, p90, p99, max), and a call far above the
 * maximum seen so far on its host — once the host has seen enough calls — is reported as the talk's fntimes.stp
 * does ("function F well over max time (T vs MAX)"). At the end the whole session's figures, the same way.
 */
@Command(name = "latency", mixinStandardHelpOptions = true,
        description = {"Time a function on every matching host: per interval and per host, and merged: count, p50, "
                + "p90, p99 and max in microseconds; calls far above the usual maximum are reported as they happen.",
                "Runs until --duration passes or Ctrl-C (--follow says so explicitly)."})
final class LatencyCommand implements Callable<Integer> {
    static final String STATISTIC = "latency_us";

    @Mixin
    CollectorOptions collector;

    @Option(names = "--process", required = true, paramLabel = "NAME",
            description = "The program: a path, or a name found among running processes or on $PATH.")
    String process;

    @Option(names = "--function", required = true, paramLabel = "F",
            description = "The function (a glob such as 'handle_*' times each match).")
    String function;

    @Mixin
    HostsOption hosts;

    @Option(names = "--interval", paramLabel = "DUR", defaultValue = "1s",
            description = "How often to print (default: ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--duration", paramLabel = "DUR", description = "Stop after DUR.")
    String duration;

    @Option(names = "--follow", description = "Print every interval until Ctrl-C (the default without --duration).")
    boolean follow;

    @Option(names = "--min-samples", paramLabel = "N", defaultValue = "100",
            description = "Calls a host must have timed before one is flagged (default: ${DEFAULT-VALUE}).")
    int minSamples;

    @Option(names = "--over-percent", paramLabel = "P", defaultValue = "250",
            description = "Flag a call that takes at least P%% of the maximum so far (default: ${DEFAULT-VALUE}).")
    int overPercent;

    @Option(names = "-o", paramLabel = "FORMAT", defaultValue = "table", converter = OutputFormat.Converter.class,
            description = "table, json (one AggregateWindow per line, then the totals) or csv (a row per host and "
                    + "function per window, led by WINDOW_START and WINDOW_END, then the totals with those empty). "
                    + "With json and csv the session line and the hosts' lines go to stderr.")
    OutputFormat format;

    /** The session's script: the talk's fntimes.stp for one function, in microseconds. */
    static String script(String process, String function, int minSamples, int overPercent) {
        String p = FleetRun.quote(process);
        String f = FleetRun.quote(function);
        return "global " + STATISTIC + ", mincount = " + minSamples + ", note_percent = " + overPercent + "\n"
                + "probe begin { printf(\"timing %s in %s\\n\", " + f + ", " + p + ") }\n"
                + "probe process(" + p + ").function(" + f + ").return {\n"
                + "  t = gettimeofday_us() - @entry(gettimeofday_us())\n"
                + "  if (@count(" + STATISTIC + "[ppfunc()]) >= mincount\n"
                + "      && t >= @max(" + STATISTIC + "[ppfunc()]) * note_percent / 100)\n"
                + "    printf(\"function %s well over max time (%d vs %d)\\n\", ppfunc(), t, @max(" + STATISTIC
                + "[ppfunc()]))\n"
                + "  " + STATISTIC + "[ppfunc()] <<< t\n"
                + "}\n";
    }

    @Override
    public Integer call() throws Exception {
        if (follow && duration != null) {
            throw new UserErrors.UsageException("--follow and --duration exclude each other");
        }
        if (minSamples < 0 || overPercent <= 0) {
            throw new UserErrors.UsageException("--min-samples must be 0 or more and --over-percent more than 0");
        }
        Duration every = Durations.parse(interval);
        if (every.isZero()) {
            throw new UserErrors.UsageException("--interval must be more than 0");
        }
        Duration limit = duration == null ? null : Durations.parse(duration);
        Source src = new Source("latency", script(process, function, minSamples, overPercent));
        PrintStream out = System.out;
        if (format == OutputFormat.CSV) {
            out.print(csv(List.of(), List.of(), "", "").csvHeader());
        }
        AtomicReference<WindowStream> windows = new AtomicReference<>();
        return FleetRun.runScript(collector, src, hosts.selector(), limit, every,
                client -> FleetRun.forCommand(client, format).onStarted(id -> windows.set(follow(client, id, out)))
                .summary(id -> {
                    if (windows.get() != null) {
                        windows.get().close();
                        Status s = windows.get().ended();
                        if (s != null && !s.isOk()) {
                            System.err.println("fleettap: warning: " + client.describe("FollowAggregates", s));
                        }
                    }
                    totals(client, id, out);
                }));
    }

    /** Prints each window as the collector closes it: per host, then merged. */
    private WindowStream follow(CollectorClient client, String id, PrintStream out) {
        FollowAggregatesRequest req = FollowAggregatesRequest.newBuilder().setSessionId(id).setName(STATISTIC)
                .setGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY).build();
        return WindowStream.open(client, req, w -> {
            List<AggregateRow> merged = List.of();
            try {
                merged = query(client, id, w.getWindowStartUnixNanos(), w.getWindowEndUnixNanos()).getRowsList();
            } catch (CollectorClient.CollectorException e) {
                System.err.println("fleettap: warning: " + e.getMessage());
            }
            synchronized (out) {
                if (format == OutputFormat.JSON) {
                    out.print(OutputFormat.jsonLine(w));
                } else if (format == OutputFormat.CSV) {
                    out.print(csv(w.getRowsList(), merged, Times.formatMillis(w.getWindowStartUnixNanos()),
                            Times.formatMillis(w.getWindowEndUnixNanos())).csvRows());
                } else if (w.getRowsCount() > 0) {
                    out.print(Times.formatMillis(w.getWindowStartUnixNanos()) + " .. "
                            + Times.formatMillis(w.getWindowEndUnixNanos()) + "\n" + table(w.getRowsList(), merged));
                }
                out.flush();
            }
        });
    }

    /** The statistic merged across hosts per function, over [from, to) (0, 0: the whole session). */
    private static AggregateQueryResponse query(CollectorClient client, String id, long from, long to)
            throws CollectorClient.CollectorException {
        AggregateQuery q = AggregateQuery.newBuilder().setSessionId(id).setName(STATISTIC).setFromUnixNanos(from)
                .setToUnixNanos(to).setGroupBy(GroupBy.GROUP_BY_KEY).build();
        return client.call("QueryAggregates", () -> client.query().queryAggregates(q));
    }

    /** The whole session: per host and function, then merged. */
    private void totals(CollectorClient client, String id, PrintStream out) throws CollectorClient.CollectorException {
        AggregateQuery q = AggregateQuery.newBuilder().setSessionId(id).setName(STATISTIC)
                .setGroupBy(GroupBy.GROUP_BY_HOST_AND_KEY).build();
        AggregateQueryResponse perHost = client.call("QueryAggregates", () -> client.query().queryAggregates(q));
        AggregateQueryResponse merged = query(client, id, 0, 0);
        synchronized (out) {
            if (format == OutputFormat.JSON) {
                out.print(OutputFormat.jsonLine(perHost));
                out.print(OutputFormat.jsonLine(merged));
            } else if (perHost.getRowsCount() == 0) {
                System.err.println("fleettap: no call of " + function + " was timed");
            } else if (format == OutputFormat.CSV) {
                out.print(csv(perHost.getRowsList(), merged.getRowsList(), "", "").csvRows());
            } else {
                out.print("session total\n" + table(perHost.getRowsList(), merged.getRowsList()));
            }
            out.flush();
        }
    }

    private static final List<String> COLUMNS = List.of("HOST", "FUNCTION", "COUNT", "P50_US", "P90_US", "P99_US",
            "MAX_US");

    /** Rows per host and function, then one "*" row per function merged across hosts. */
    static String table(List<AggregateRow> perHost, List<AggregateRow> merged) {
        Table t = new Table(COLUMNS, false, false, true, true, true, true, true);
        rows(perHost, merged, List.of()).forEach(t::add);
        return t.render();
    }

    /**
     * The same rows led by WINDOW_START and WINDOW_END: one CSV for the whole run, its header printed once; the
     * session's totals come last, with both window cells empty.
     */
    static Table csv(List<AggregateRow> perHost, List<AggregateRow> merged, String start, String end) {
        List<String> header = new ArrayList<>(List.of("WINDOW_START", "WINDOW_END"));
        header.addAll(COLUMNS);
        Table t = new Table(header, false, false, false, false, true, true, true, true, true);
        rows(perHost, merged, List.of(start, end)).forEach(t::add);
        return t;
    }

    private static List<List<String>> rows(List<AggregateRow> perHost, List<AggregateRow> merged, List<String> lead) {
        List<List<String>> rows = new ArrayList<>();
        for (AggregateRow r : perHost) {
            rows.add(row(lead, r.getHostId(), r));
        }
        for (AggregateRow r : merged) {
            rows.add(row(lead, "*", r));
        }
        return rows;
    }

    private static List<String> row(List<String> lead, String host, AggregateRow r) {
        String fn = r.getKeyCount() == 0 ? "" : r.getKeyList().stream().map(KeyPart::getStringValue)
                .reduce((a, b) -> a + "," + b).orElse("");
        List<String> cells = new ArrayList<>(lead);
        cells.addAll(List.of(host, fn, Long.toUnsignedString(r.getStats().getCount()),
                Long.toString(r.getStats().getP50()), Long.toString(r.getStats().getP90()),
                Long.toString(r.getStats().getP99()), Long.toString(r.getStats().getMax())));
        return cells;
    }
}
