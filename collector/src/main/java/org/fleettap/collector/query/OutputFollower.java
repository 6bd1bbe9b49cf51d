package org.fleettap.collector.query;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fleettap.collector.ingest.AppliedFeed;
import org.fleettap.collector.store.Store;
import org.fleettap.collector.store.StoredLine;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.OutputEvent;
import org.fleettap.proto.v1.OutputLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FollowOutput stream. With a start time, the stored lines from then on are sent first, a page at a time (each
 * page read while no batch is being applied), then the lines of the batches applied since the stream began, as the
 * {@link AppliedFeed} hands them over; a batch applied during the stored part is sent once, by the live part (the
 * stored part skips its lines). Lines are sent as the client's flow control allows; up to
 * {@link QuerySettings#followBufferLines()} wait, beyond that the stream ends with RESOURCE_EXHAUSTED.
 *
 * <p>The feed's thread only queues lines; everything written to the stream is written by one task at a time on the
 * query executor.
 */
final class OutputFollower extends FollowStream<OutputEvent> {
    private static final Logger log = LoggerFactory.getLogger(OutputFollower.class);

    private record BatchId(String host, long sequence) {}

    private final Store store;
    private final AppliedFeed feed;
    private final Executor executor;
    private final QuerySettings settings;
    private final String session;
    private final Set<String> hosts;
    private final long from;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    // Guarded by lock.
    private final ArrayDeque<OutputEvent> pending = new ArrayDeque<>();
    private final Set<BatchId> live = new HashSet<>();
    private boolean backlogDone;
    private final Object drainLock = new Object();
    // Touched by the drain task only, under drainLock.
    private List<StoredLine> page = List.of();
    private int pageIndex;
    private boolean lastPage;
    private StoredLine cursor;

    OutputFollower(ServerCallStreamObserver<OutputEvent> out, Store store, AppliedFeed feed, Executor executor,
            QuerySettings settings, String session, Set<String> hosts, long fromUnixNanos, Runnable onEnd) {
        super(out, feed, onEnd, "FollowOutput");
        this.store = store;
        this.feed = feed;
        this.executor = executor;
        this.settings = settings;
        this.session = session;
        this.hosts = Set.copyOf(hosts);
        this.from = fromUnixNanos;
        this.backlogDone = fromUnixNanos == 0;
    }

    /** Call from the service method, before it returns. */
    void start() {
        out.setOnReadyHandler(this::schedule);
        subscribe();
        schedule();
    }

    @Override
    public void applied(List<Batch> batches) {
        boolean overflow = false;
        synchronized (lock) {
            if (stopping()) {
                return;
            }
            for (Batch b : batches) {
                if (!b.getSessionId().equals(session) || !hosts.isEmpty() && !hosts.contains(b.getHostId())) {
                    continue;
                }
                if (!backlogDone) {
                    live.add(new BatchId(b.getHostId(), b.getSequence()));
                }
                for (OutputLine line : b.getOutputList()) {
                    if (from == 0 || line.getTimeUnixNanos() >= from) {
                        pending.addLast(OutputEvent.newBuilder().setHostId(b.getHostId()).setLine(line).build());
                    }
                }
            }
            if (pending.size() > settings.followBufferLines()) {
                overflow = true;
            }
        }
        if (overflow) {
            end(Status.RESOURCE_EXHAUSTED.withDescription("output of session " + session + " arrives faster than "
                    + "the client reads it (more than " + settings.followBufferLines() + " lines waiting)"));
        } else {
            schedule();
        }
    }

    @Override
    protected void ended() {
        pending.clear();
    }

    @Override
    protected void endRequested() {
        schedule();
    }

    @Override
    protected void cancelledByClient() {
        synchronized (lock) {
            pending.clear();
        }
        schedule(); // unsubscribes
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (RuntimeException e) {
                // The executor is shut down: the service is closing and ends every stream.
                scheduled.set(false);
            }
        }
    }

    private void drain() {
        scheduled.set(false);
        // A task queued while this one runs waits here: one writer at a time, the cursor touched by one thread.
        synchronized (drainLock) {
            drainLocked();
        }
    }

    private void drainLocked() {
        try {
            drainOnce();
        } catch (RuntimeException e) {
            log.error("following the output of session {} failed", session, e);
            end(Status.INTERNAL.withDescription("following the output of session " + session + ": " + e));
        }
    }

    private void drainOnce() {
        while (true) {
            Status status;
            boolean stop;
            synchronized (lock) {
                if (finished()) {
                    return;
                }
                status = endStatus();
                stop = mustStop();
            }
            if (stop) {
                finish(status);
                return;
            }
            if (!backlogDone()) {
                if (pageIndex == page.size()) {
                    if (lastPage) {
                        synchronized (lock) {
                            backlogDone = true;
                            live.clear();
                        }
                        continue;
                    }
                    page = feed.read(() -> store.outputLines(session, hosts, from, cursor,
                            settings.backlogPageLines()));
                    pageIndex = 0;
                    lastPage = page.size() < settings.backlogPageLines();
                    continue;
                }
                if (!out.isReady()) {
                    return;
                }
                StoredLine line = page.get(pageIndex++);
                cursor = line;
                boolean skip;
                synchronized (lock) {
                    skip = live.contains(new BatchId(line.host(), line.sequence()));
                }
                if (!skip) {
                    out.onNext(line.toEvent());
                }
            } else {
                if (!out.isReady()) {
                    return;
                }
                OutputEvent e;
                synchronized (lock) {
                    e = pending.pollFirst();
                }
                if (e == null) {
                    return;
                }
                out.onNext(e);
            }
        }
    }

    private boolean backlogDone() {
        synchronized (lock) {
            return backlogDone;
        }
    }

}
