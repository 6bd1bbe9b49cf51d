package org.fleettap.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.SessionInfo;
import org.fleettap.proto.v1.SessionStatus;
import org.fleettap.proto.v1.StopSessionRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fleettap stop ID...}: stops sessions on every host that runs them (their end probes run, their last batches
 * are sent) and waits, up to {@code --wait}, until each host has reported the end.
 */
@Command(name = "stop", mixinStandardHelpOptions = true,
        description = {"Stop sessions on every host that runs them, and wait until the hosts report the end.",
                "Exit status 1 when a session does not exist or a host did not report its end in time."})
final class StopCommand implements Callable<Integer> {
    private static final Duration POLL = Duration.ofMillis(200);

    @Mixin
    CollectorOptions collector;

    @Parameters(arity = "1..*", paramLabel = "ID", description = "The sessions (see 'fleettap sessions').")
    List<String> ids;

    @Option(names = "--wait", paramLabel = "DUR", defaultValue = "20s",
            description = "How long to wait for the hosts to report the end (default: ${DEFAULT-VALUE}; 0: do not).")
    String wait;

    @Override
    public Integer call() throws Exception {
        Duration limit = Durations.parse(wait);
        int status = 0;
        try (CollectorClient client = collector.connectCollector()) {
            List<String> stopping = new ArrayList<>();
            for (String id : ids) {
                try {
                    client.call("StopSession", () -> client.sessions().stopSession(StopSessionRequest.newBuilder()
                            .setSessionId(id).build()));
                    stopping.add(id);
                } catch (CollectorClient.CollectorException e) {
                    System.err.println("fleettap: " + e.getMessage());
                    status = 1;
                }
            }
            long deadline = System.nanoTime() + limit.toNanos();
            for (String id : stopping) {
                SessionInfo s = awaitEnd(client, id, deadline);
                if (s.getEndedUnixNanos() != 0) {
                    System.out.println("session " + id + " ended: " + SessionsCommand.states(s));
                } else if (limit.isZero()) {
                    System.out.println("session " + id + " stopping: " + SessionsCommand.states(s));
                } else {
                    System.err.println("fleettap: warning: session " + id + ": " + String.join(", ", running(s))
                            + " did not report the end within " + limit.toSeconds() + " s");
                    status = 1;
                }
            }
        }
        return status;
    }

    private static SessionInfo awaitEnd(CollectorClient client, String id, long deadline) throws Exception {
        while (true) {
            Optional<SessionInfo> s = client.call("ListSessions", () -> client.query().listSessions(
                    ListSessionsRequest.newBuilder().setIncludeEnded(true).build())).getSessionsList().stream()
                    .filter(i -> i.getSpec().getSessionId().equals(id)).findFirst();
            if (s.isEmpty()) {
                throw new CollectorClient.CollectorException("the collector no longer lists session " + id, null);
            }
            if (s.get().getEndedUnixNanos() != 0 || System.nanoTime() >= deadline) {
                return s.get();
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** The hosts the session was pushed to that have not reported its end. */
    private static List<String> running(SessionInfo s) {
        TreeSet<String> hosts = new TreeSet<>(s.getPushedHostIdsList());
        for (SessionStatus st : s.getStatusesList()) {
            if (FleetRun.isDone(st.getState())) {
                hosts.remove(st.getHostId());
            }
        }
        return List.copyOf(hosts);
    }
}
