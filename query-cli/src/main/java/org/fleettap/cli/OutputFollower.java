package org.fleettap.cli;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.fleettap.proto.v1.FollowOutputRequest;
import org.fleettap.proto.v1.OutputEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prints a session's output as the collector streams it (QueryService.FollowOutput), each line prefixed by its
 * host as {@code stap --remote-prefix} does: {@code [web1] text}.
 *
 * <p>Every stream asks for the session's lines from its beginning, so that lines printed before the stream opened
 * (a begin probe's) are not missed. When a stream breaks it is opened again after a pause, and the lines already
 * printed are skipped: per host, the collector sends the stored lines in the order the host printed them, so the
 * first n lines of a host on the new stream are the n already printed.
 */
final class OutputFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OutputFollower.class);
    static final Duration RECONNECT_DELAY = Duration.ofSeconds(1);
    /** Lines from the session's start: the collector sends stored lines from this time on first. */
    private static final long FROM_THE_START = 1;

    private final CollectorClient client;
    private final String sessionId;
    private final List<String> hostIds;
    private final PrintStream out;
    private final PrintStream err;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fleettap-output-follower");
        t.setDaemon(true);
        return t;
    });

    private final Object lock = new Object();
    // guarded by lock:
    private final Map<String, Long> printed = new HashMap<>();
    private Stream current;
    private boolean closed;
    private boolean over;
    private boolean warned;
    private long lastLineNanos = System.nanoTime();

    OutputFollower(CollectorClient client, String sessionId, List<String> hostIds, PrintStream out,
            PrintStream err) {
        this.client = client;
        this.sessionId = sessionId;
        this.hostIds = List.copyOf(hostIds);
        this.out = out;
        this.err = err;
    }

    void start() {
        open();
    }

    /**
     * Waits until no line has arrived for {@code quiet} (counted from this call at the earliest), the collector ended
     * the stream, or {@code max} has passed: what the hosts printed before their sessions ended, and the last
     * batches that carry it, have then most likely arrived.
     */
    void awaitQuiet(Duration quiet, Duration max) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + max.toNanos();
        synchronized (lock) {
            while (!over && !closed) {
                long now = System.nanoTime();
                long quietLeft = Math.max(lastLineNanos, start) + quiet.toNanos() - now;
                if (quietLeft <= 0 || now >= deadline) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, Math.max(1, Math.min(quietLeft, deadline - now)));
            }
        }
    }

    /** Stops following; no line is printed after this returns. */
    @Override
    public void close() {
        Stream s;
        synchronized (lock) {
            closed = true;
            s = current;
            current = null;
            lock.notifyAll();
        }
        if (s != null && s.call != null) {
            s.call.cancel("done", null);
        }
        retries.shutdownNow();
    }

    private void open() {
        Stream s = new Stream();
        synchronized (lock) {
            if (closed) {
                return;
            }
            current = s;
        }
        client.queryStreams().followOutput(FollowOutputRequest.newBuilder().setSessionId(sessionId)
                .addAllHostIds(hostIds).setFromUnixNanos(FROM_THE_START).build(), s);
        synchronized (lock) {
            if (closed) {
                s.call.cancel("done", null); // closed while the call started
            }
        }
    }

    private void line(Stream s, OutputEvent e) {
        synchronized (lock) {
            if (closed || current != s) {
                return;
            }
            long n = s.seen.merge(e.getHostId(), 1L, Long::sum);
            if (n <= printed.getOrDefault(e.getHostId(), 0L)) {
                return; // printed from an earlier stream
            }
            printed.put(e.getHostId(), n);
            lastLineNanos = System.nanoTime();
            out.print("[" + e.getHostId() + "] " + e.getLine().getText() + "\n");
            out.flush();
        }
    }

    private void ended(Stream s, Throwable error) {
        synchronized (lock) {
            if (closed || current != s) {
                return;
            }
            current = null;
            Status status = error == null ? Status.OK : Status.fromThrowable(error);
            if (status.isOk()) {
                log.debug("the collector ended the output stream of session {}", sessionId);
                over = true;
            } else if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                err.println("fleettap: warning: " + client.describe("FollowOutput", status)
                        + ": the session's output is not shown");
                over = true;
            } else {
                if (!warned) {
                    err.println("fleettap: warning: output stream: " + client.describe("FollowOutput", status)
                            + "; trying again every " + RECONNECT_DELAY.toSeconds() + " s");
                    warned = true;
                }
                log.debug("output stream of session {} broke", sessionId, error);
                retries.schedule(this::open, RECONNECT_DELAY.toMillis(), TimeUnit.MILLISECONDS);
            }
            lock.notifyAll();
        }
    }

    /** One FollowOutput call, and how many lines of each host it has delivered. */
    private final class Stream implements ClientResponseObserver<FollowOutputRequest, OutputEvent> {
        private final Map<String, Long> seen = new HashMap<>(); // guarded by lock
        private volatile ClientCallStreamObserver<FollowOutputRequest> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<FollowOutputRequest> requestStream) {
            this.call = requestStream;
        }

        @Override
        public void onNext(OutputEvent e) {
            line(this, e);
        }

        @Override
        public void onError(Throwable t) {
            ended(this, t);
        }

        @Override
        public void onCompleted() {
            ended(this, null);
        }
    }
}
