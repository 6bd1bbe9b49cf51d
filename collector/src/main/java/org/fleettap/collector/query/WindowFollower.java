package org.fleettap.collector.query;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.fleettap.collector.ingest.AppliedFeed;
import org.fleettap.collector.store.AggregateQuery;
import org.fleettap.collector.store.AggregateResult;
import org.fleettap.collector.store.Losses;
import org.fleettap.collector.store.Resolution;
import org.fleettap.collector.store.Store;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.AggregateWindow;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.Metric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FollowAggregates stream: the 1 s windows (the store's finest) that batches applied since the stream began
 * touched, each sent once, in order of its start, as the store holds it merged and grouped when it is sent. A window
 * is sent once every host seen on the stream has sent a batch of a later window (batches of one host arrive in
 * order), or {@link QuerySettings#windowGrace()} after its first batch arrived; deltas that arrive later are stored
 * and show in QueryAggregates only. A window's losses are those its batches reported.
 */
final class WindowFollower extends FollowStream<AggregateWindow> {
    private static final Logger log = LoggerFactory.getLogger(WindowFollower.class);
    static final long TICK_MILLIS = 100;
    private static final long SECOND = Resolution.SECOND.nanos();

    /** A window seen on the stream: when its first batch arrived, and what its batches reported lost, per host. */
    private static final class Window {
        final long firstSeenNanos;
        final Map<String, long[]> losses = new TreeMap<>();

        Window(long firstSeenNanos) {
            this.firstSeenNanos = firstSeenNanos;
        }
    }

    private final Store store;
    private final ScheduledExecutorService executor;
    private final QuerySettings settings;
    private final LongSupplier nanoTime;
    private final String session;
    private final String name;
    private final Set<String> hosts;
    private final GroupBy groupBy;
    private final boolean includeAggregates;
    // Guarded by lock.
    private final TreeMap<Long, Window> windows = new TreeMap<>();
    private final Map<String, Long> latest = new HashMap<>();
    // Set in start, then touched by the tick only.
    private ScheduledFuture<?> ticks;

    WindowFollower(ServerCallStreamObserver<AggregateWindow> out, Store store, AppliedFeed feed,
            ScheduledExecutorService executor, QuerySettings settings, LongSupplier nanoTime, String session,
            String name, Set<String> hosts, GroupBy groupBy, boolean includeAggregates, Runnable onEnd) {
        super(out, feed, onEnd, "FollowAggregates");
        this.store = store;
        this.executor = executor;
        this.settings = settings;
        this.nanoTime = nanoTime;
        this.session = session;
        this.name = name;
        this.hosts = Set.copyOf(hosts);
        this.groupBy = groupBy;
        this.includeAggregates = includeAggregates;
    }

    /** Call from the service method, before it returns. */
    void start() {
        subscribe();
        ticks = executor.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void applied(List<Batch> batches) {
        long now = nanoTime.getAsLong();
        synchronized (lock) {
            if (stopping()) {
                return;
            }
            for (Batch b : batches) {
                if (!b.getSessionId().equals(session) || !hosts.isEmpty() && !hosts.contains(b.getHostId())) {
                    continue;
                }
                long start = Resolution.SECOND.floor(b.getWindowStartUnixNanos());
                latest.merge(b.getHostId(), start, Math::max);
                boolean lost = b.getLosses().getRecordsLost() != 0 || b.getLosses().getEventsDropped() != 0
                        || b.getSpoolDroppedBatches() != 0;
                if (!lost && !hasStatistic(b)) {
                    continue;
                }
                Window w = windows.computeIfAbsent(start, s -> new Window(now));
                long[] l = w.losses.computeIfAbsent(b.getHostId(), h -> new long[3]);
                l[0] += b.getLosses().getRecordsLost();
                l[1] += b.getLosses().getEventsDropped();
                l[2] += b.getSpoolDroppedBatches();
            }
        }
    }

    private boolean hasStatistic(Batch b) {
        for (AggregateDelta d : b.getAggregatesList()) {
            if (d.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected void endRequested() {
        try {
            executor.execute(this::tick);
        } catch (RuntimeException e) {
            // Shut down already: nothing writes to the stream any more.
            log.debug("ending a FollowAggregates stream after the executor stopped", e);
        }
    }

    @Override
    protected void cancelledByClient() {
        // The next tick ends the stream.
    }

    private final Object tickLock = new Object();

    /** Sends the windows that are complete; ends the stream when asked to. Runs on the executor, one at a time. */
    private void tick() {
        synchronized (tickLock) {
            tickLocked();
        }
    }

    private void tickLocked() {
        try {
            Status status;
            boolean stop;
            List<Map.Entry<Long, Window>> ready = new ArrayList<>();
            synchronized (lock) {
                if (finished()) {
                    return;
                }
                status = endStatus();
                stop = mustStop();
                if (!stop) {
                    long now = nanoTime.getAsLong();
                    while (!windows.isEmpty()) {
                        Map.Entry<Long, Window> first = windows.firstEntry();
                        if (!complete(first.getKey(), first.getValue(), now)) {
                            break;
                        }
                        ready.add(windows.pollFirstEntry());
                    }
                }
            }
            if (stop) {
                finish(status);
                return;
            }
            for (Map.Entry<Long, Window> w : ready) {
                send(w.getKey(), w.getValue());
            }
        } catch (RuntimeException e) {
            log.error("following statistic {} of session {} failed", name, session, e);
            end(Status.INTERNAL.withDescription("following statistic " + name + " of session " + session + ": " + e));
        }
    }

    /** Under lock. */
    private boolean complete(long start, Window w, long now) {
        if (now - w.firstSeenNanos >= settings.windowGrace().toNanos()) {
            return true;
        }
        for (long l : latest.values()) {
            if (l <= start) {
                return false;
            }
        }
        return true;
    }

    private void send(long start, Window w) {
        AggregateResult result = store.aggregates(new AggregateQuery(session, name, start, start + SECOND, hosts,
                groupBy, Metric.METRIC_COUNT, 0));
        AggregateWindow.Builder b = AggregateWindow.newBuilder().setWindowStartUnixNanos(start)
                .setWindowEndUnixNanos(start + SECOND)
                .addAllRows(Rows.toProto(result.rows(), groupBy, includeAggregates));
        for (Map.Entry<String, long[]> e : w.losses.entrySet()) {
            long[] l = e.getValue();
            HostLosses hl = Rows.losses(e.getKey(), new Losses(l[0], l[1], l[2], 0));
            if (hl != null) {
                b.addLosses(hl);
            }
        }
        if (b.getRowsCount() > 0 || b.getLossesCount() > 0) {
            out.onNext(b.build());
        }
    }

    @Override
    protected void finish(Status status) {
        ticks.cancel(false);
        super.finish(status);
    }
}
