package org.fleettap.cli;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.ListSessionsResponse;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleettap sessions}: the sessions the collector runs (or ran), with how many hosts are where; or the runs a
 * local store holds, every one of which has ended by the time it can be read (the run holds the store while it
 * runs), so they are all listed.
 */
@Command(name = "sessions", mixinStandardHelpOptions = true,
        description = {"List the collector's sessions: script, selector, start, who started it, and the hosts' "
                + "states.",
                "With --data (or without --collector): the local runs stored there, ended ones included."})
final class SessionsCommand implements Callable<Integer> {

    @Mixin
    CollectorOptions collector;

    @Option(names = {"-a", "--all"}, description = "Also sessions that have ended on every host (always, for a local "
            + "store).")
    boolean all;

    @Option(names = "-o", paramLabel = "FORMAT", defaultValue = "table", converter = OutputFormat.Converter.class,
            description = "table, json or csv.")
    OutputFormat format;

    @Override
    public Integer call() throws Exception {
        try (CollectorClient client = collector.connect()) {
            ListSessionsRequest req = ListSessionsRequest.newBuilder().setIncludeEnded(all || collector.local()).build();
            ListSessionsResponse r = client.call("ListSessions", () -> client.query().listSessions(req));
            System.out.print(format == OutputFormat.JSON ? OutputFormat.json(r) : table(r.getSessionsList(), format));
            return 0;
        }
    }

    static String table(List<SessionInfo> sessions) {
        return table(sessions, OutputFormat.TABLE);
    }

    static String table(List<SessionInfo> sessions, OutputFormat format) {
        Table t = new Table(List.of("SESSION", "SCRIPT", "HOSTS", "CREATED", "STARTED BY", "STATES"), false, false,
                false, false, false, false);
        for (SessionInfo s : sessions) {
            t.add(List.of(s.getSpec().getSessionId(), s.getSpec().getScriptName().isEmpty() ? "-"
                    : s.getSpec().getScriptName(), HostSelectors.format(s.getSpec().getTarget()),
                    Times.format(s.getSpec().getCreatedUnixNanos()), s.getStartedBy().isEmpty() ? "-"
                            : s.getStartedBy(), states(s)));
        }
        return t.render(format);
    }

    /** E.g. "2 running, 1 failed"; "no host yet" before any host reported. */
    static String states(SessionInfo s) {
        Map<SessionState, Integer> counts = new EnumMap<>(SessionState.class);
        for (SessionStatus st : s.getStatusesList()) {
            counts.merge(st.getState(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((state, n) -> parts.add(n + " " + word(state)));
        return parts.isEmpty() ? "no host yet" : String.join(", ", parts);
    }

    private static String word(SessionState s) {
        return switch (s) {
            case SESSION_STATE_STARTED, SESSION_STATE_RUNNING, SESSION_STATE_STOPPED, SESSION_STATE_FAILED,
                    SESSION_STATE_LOST ->
                    s.name().substring("SESSION_STATE_".length()).toLowerCase(Locale.ROOT);
            default -> "unknown";
        };
    }
}
