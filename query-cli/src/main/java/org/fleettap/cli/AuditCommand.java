package org.fleettap.cli;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.fleettap.proto.v1.AuditAction;
import org.fleettap.proto.v1.AuditEntry;
import org.fleettap.proto.v1.ListAuditRequest;
import org.fleettap.proto.v1.ListAuditResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleettap audit}: the collector's audit log (AdminService.ListAudit, admin role): who started and stopped
 * which session with which script, and which operator or admin requests were refused, oldest first.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Show the collector's audit log: session starts and stops (who, script and its SHA-256, "
                + "selector, outcome) and refused operator/admin requests, oldest first. Needs the admin role.")
final class AuditCommand implements Callable<Integer> {
    static final int DEFAULT_LIMIT = 1000;

    @Mixin
    CollectorOptions collector;

    @Option(names = "--since", paramLabel = "DUR", description = "Only entries of the last DUR, e.g. 1h, 30m "
            + "(default: all).")
    String since;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "" + DEFAULT_LIMIT,
            description = "At most N entries, the oldest that match (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "-o", paramLabel = "FORMAT", defaultValue = "table", converter = OutputFormat.Converter.class,
            description = "table, json or csv.")
    OutputFormat format;

    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() throws Exception {
        if (collector.local()) {
            throw new UserErrors.UsageException("audit: give --collector HOST:PORT (only a collector keeps an audit "
                    + "log)");
        }
        if (limit <= 0) {
            throw new UserErrors.UsageException("--limit must be more than 0, not " + limit);
        }
        ListAuditRequest.Builder req = ListAuditRequest.newBuilder().setLimit(limit);
        if (since != null) {
            Duration d = Durations.parse(since);
            Instant from = clock.instant().minus(d);
            req.setSinceUnixNanos(Math.max(0, from.getEpochSecond() * 1_000_000_000L + from.getNano()));
        }
        try (CollectorClient client = collector.connect()) {
            ListAuditResponse r = client.call("ListAudit", () -> client.admin().listAudit(req.build()));
            System.out.print(format == OutputFormat.JSON ? OutputFormat.json(r) : table(r.getEntriesList(), format));
            if (r.getTruncated()) {
                System.err.println("fleettap: the first " + r.getEntriesCount() + " entries; raise --limit or narrow "
                        + "--since for the rest");
            }
            return 0;
        }
    }

    static String table(List<AuditEntry> entries, OutputFormat format) {
        Table t = new Table(List.of("TIME", "USER", "ROLE", "ACTION", "SESSION", "SCRIPT", "SHA-256", "HOSTS",
                "OUTCOME"), false, false, false, false, false, false, false, false, false);
        for (AuditEntry e : entries) {
            String sha = e.getScriptSha256();
            t.add(List.of(Times.format(e.getTimeUnixNanos()),
                    e.getUser() + (e.getInsecure() ? " (insecure)" : ""),
                    dash(e.getRole()), action(e.getAction()), dash(e.getSessionId()), dash(e.getScriptName()),
                    // The table shows a prefix, as git does; CSV and JSON have all of it.
                    dash(format == OutputFormat.TABLE && sha.length() > 12 ? sha.substring(0, 12) : sha),
                    e.hasTarget() ? HostSelectors.format(e.getTarget()) : "-", e.getOutcome()));
        }
        return t.render(format);
    }

    private static String action(AuditAction a) {
        return switch (a) {
            case AUDIT_ACTION_START_SESSION -> "start";
            case AUDIT_ACTION_STOP_SESSION -> "stop";
            case AUDIT_ACTION_REFUSED -> "refused";
            default -> "unknown";
        };
    }

    private static String dash(String s) {
        return s.isEmpty() ? "-" : s;
    }
}
