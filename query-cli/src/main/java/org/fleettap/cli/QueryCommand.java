package org.fleettap.cli;

import io.grpc.Status;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateWindow;
import org.fleettap.proto.v1.FollowAggregatesRequest;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.Metric;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fleettap query}: one statistic of a session, merged by the collector over a time range per key, per host,
 * per both or altogether, optionally the top N rows; or, with --follow, each window as it closes. Read-only. With
 * --data (or without --collector) it reads a local run's session from a local store, through the same QueryService.
 */
@Command(name = "query", mixinStandardHelpOptions = true,
        description = {"Show a statistic of a session, merged across hosts and time: count, sum, min, max, avg, "
                + "p50, p90, p99 per key, per host, or both.",
                "Times are RFC 3339 (2024-05-01T12:00:00Z) or relative to now (-5m, -2h)."})
final class QueryCommand implements Callable<Integer> {
    /** The clock relative times count from. */
    Clock clock = Clock.systemUTC();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    CollectorOptions collector;

    @Option(names = "--session", required = true, paramLabel = "ID", description = "The session.")
    String session;

    @Parameters(index = "0", paramLabel = "NAME", description = "The statistic: the script's global.")
    String name;

    @Option(names = "--by", paramLabel = "GROUPS", defaultValue = "key", converter = GroupByConverter.class,
            description = "Rows per host, key, host,key, or none (everything merged); default ${DEFAULT-VALUE}.")
    GroupBy by;

    @Option(names = "--hosts", paramLabel = "HOST[,HOST...]", split = ",", hideParamSyntax = true,
            description = "Only these hosts (default: all).")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--from", paramLabel = "TIME", description = "Windows from TIME (default: the session's start).")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "Windows before TIME (default: now).")
    String to;

    @Option(names = "--top", paramLabel = "N", description = "Only the N rows with the largest --order figure.")
    Integer top;

    @Option(names = "--order", paramLabel = "FIGURE", converter = MetricConverter.class,
            description = "With --top: count, sum, min, max, avg, p50, p90 or p99 (default count).")
    Metric order;

    @Option(names = "--follow", description = "Print each window as it closes, until Ctrl-C.")
    boolean follow;

    @Option(names = "-o", paramLabel = "FORMAT", defaultValue = "table", converter = OutputFormat.Converter.class,
            description = "table, csv or json (the collector's answer in protobuf's JSON mapping; one line per window "
                    + "with --follow). With --follow, csv is one CSV whose rows lead with WINDOW_START and WINDOW_END.")
    OutputFormat format;

    @Override
    public Integer call() throws Exception {
        if (order != null && top == null) {
            throw usage("--order needs --top");
        }
        if (top != null && top < 1) {
            throw usage("Invalid value for option '--top': " + top + " is not 1 or more");
        }
        if (follow && (from != null || to != null || top != null)) {
            throw usage("--follow cannot be used with --from, --to or --top");
        }
        if (follow && collector.local()) {
            throw usage("--follow needs --collector (a local store gets nothing new while it is read: a run holds it "
                    + "while it runs)");
        }
        long fromNanos = time("--from", from);
        long toNanos = time("--to", to);
        if (fromNanos != 0 && toNanos != 0 && fromNanos >= toNanos) {
            throw usage("--from " + from + " is not before --to " + to);
        }
        try (CollectorClient client = collector.connect()) {
            if (follow) {
                return follow(client);
            }
            AggregateQuery.Builder q = AggregateQuery.newBuilder().setSessionId(session).setName(name)
                    .setFromUnixNanos(fromNanos).setToUnixNanos(toNanos).addAllHostIds(hosts).setGroupBy(by);
            if (top != null) {
                q.setTopN(top).setOrderBy(order != null ? order : Metric.METRIC_COUNT);
            }
            AggregateQueryResponse r = client.call("QueryAggregates", () -> client.query().queryAggregates(
                    q.build()));
            if (format == OutputFormat.JSON) {
                System.out.print(OutputFormat.json(r));
                return 0;
            }
            if (r.getRowsCount() == 0) {
                System.err.println("fleettap: no data for " + name + " in session " + session);
            }
            if (r.getRowsCount() > 0 || format == OutputFormat.CSV) {
                System.out.print(AggregateTable.render(r.getRowsList(), by, format));
            }
            if (top != null && r.getTotalRows() > r.getRowsCount()) {
                System.err.println("fleettap: top " + r.getRowsCount() + " of " + r.getTotalRows() + " rows by "
                        + figure(q.getOrderBy()));
            }
            warnLosses(r.getLossesList());
            return 0;
        }
    }

    /** Prints windows until the stream ends or a stop signal; 1 when the stream failed. */
    private int follow(CollectorClient client) throws InterruptedException {
        FollowAggregatesRequest req = FollowAggregatesRequest.newBuilder().setSessionId(session).setName(name)
                .addAllHostIds(hosts).setGroupBy(by).build();
        Object lock = new Object();
        Status ended;
        if (format == OutputFormat.CSV) {
            System.out.print(windowTable(AggregateWindow.getDefaultInstance()).csvHeader());
            System.out.flush();
        }
        try (StopSignals stop = StopSignals.install(); WindowStream stream = WindowStream.open(client, req, w -> {
            synchronized (lock) {
                System.out.print(switch (format) {
                    case JSON -> OutputFormat.jsonLine(w);
                    case CSV -> windowTable(w).csvRows();
                    case TABLE -> window(w);
                });
                System.out.flush();
                if (format != OutputFormat.JSON) {
                    warnLosses(w.getLossesList());
                }
            }
        })) {
            while (!stop.stopped() && stream.ended() == null) {
                stop.await(200);
            }
            ended = stream.ended();
        }
        if (ended != null && !ended.isOk()) {
            System.err.println("fleettap: " + client.describe("FollowAggregates", ended));
            return 1;
        }
        return 0;
    }

    /** A window's rows led by its start and end: one CSV for the whole stream, its header printed once. */
    private Table windowTable(AggregateWindow w) {
        return AggregateTable.table(w.getRowsList(), by, List.of("WINDOW_START", "WINDOW_END"), List.of(
                Times.formatMillis(w.getWindowStartUnixNanos()), Times.formatMillis(w.getWindowEndUnixNanos())));
    }

    private String window(AggregateWindow w) {
        return "window " + Times.formatMillis(w.getWindowStartUnixNanos()) + " .. "
                + Times.formatMillis(w.getWindowEndUnixNanos()) + "\n" + AggregateTable.render(w.getRowsList(), by)
                + "\n";
    }

    private static void warnLosses(List<HostLosses> losses) {
        for (HostLosses l : losses) {
            String what = Losses.describe(l);
            if (!what.isEmpty()) {
                System.err.println("fleettap: warning: " + l.getHostId() + ": " + what);
            }
        }
    }

    private long time(String option, String text) {
        if (text == null) {
            return 0;
        }
        try {
            return Times.parse(text, clock.instant());
        } catch (IllegalArgumentException e) {
            throw usage("Invalid value for option '" + option + "': " + e.getMessage());
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static String figure(Metric m) {
        return m == Metric.METRIC_UNSPECIFIED ? "count"
                : m.name().substring("METRIC_".length()).toLowerCase(Locale.ROOT);
    }

    /** --by: host, key, host,key (or key,host), none. */
    static final class GroupByConverter implements CommandLine.ITypeConverter<GroupBy> {
        @Override
        public GroupBy convert(String value) {
            return switch (value.strip().toLowerCase(Locale.ROOT).replace(" ", "")) {
                case "host" -> GroupBy.GROUP_BY_HOST;
                case "key" -> GroupBy.GROUP_BY_KEY;
                case "host,key", "key,host" -> GroupBy.GROUP_BY_HOST_AND_KEY;
                case "none" -> GroupBy.GROUP_BY_NONE;
                default -> throw new CommandLine.TypeConversionException("'" + value
                        + "' is not host, key, host,key or none");
            };
        }
    }

    /** --order: count, sum, min, max, avg, p50, p90, p99. */
    static final class MetricConverter implements CommandLine.ITypeConverter<Metric> {
        @Override
        public Metric convert(String value) {
            return switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "count" -> Metric.METRIC_COUNT;
                case "sum" -> Metric.METRIC_SUM;
                case "min" -> Metric.METRIC_MIN;
                case "max" -> Metric.METRIC_MAX;
                case "avg" -> Metric.METRIC_AVG;
                case "p50" -> Metric.METRIC_P50;
                case "p90" -> Metric.METRIC_P90;
                case "p99" -> Metric.METRIC_P99;
                default -> throw new CommandLine.TypeConversionException("'" + value
                        + "' is not count, sum, min, max, avg, p50, p90 or p99");
            };
        }
    }
}
