package org.fleettap.collector.query;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fleettap.collector.control.ControlPlane;
import org.fleettap.collector.control.HostRecord;
import org.fleettap.collector.control.Selectors;
import org.fleettap.collector.control.SessionRecord;
import org.fleettap.collector.control.Unary;
import org.fleettap.collector.ingest.AppliedFeed;
import org.fleettap.collector.store.AggregateResult;
import org.fleettap.collector.store.Store;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateWindow;
import org.fleettap.proto.v1.FollowAggregatesRequest;
import org.fleettap.proto.v1.FollowOutputRequest;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.ListHostsRequest;
import org.fleettap.proto.v1.ListHostsResponse;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.ListSessionsResponse;
import org.fleettap.proto.v1.Metric;
import org.fleettap.proto.v1.OutputEvent;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.fleettap.proto.v1.TargetSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QueryService: hosts and sessions from the {@link ControlPlane}, aggregates from the {@link Store}, and live
 * streams of a session's output and of its windows as batches are applied ({@link AppliedFeed}).
 *
 * <p>QueryAggregates maps the wire's open bounds to the store's: {@code from = 0} reads from the first window,
 * {@code to = 0} up to now (the collector's clock); the response carries {@code from} as asked and the {@code to}
 * used (the store does not report which windows it found, so {@code from = 0} stays 0). Its losses are each
 * host's losses over the whole session (the store keeps them per (host, session), not per window), for the hosts
 * the query names, or every host that sent the session batches.
 *
 * <p>Live streams are written by a small executor of their own; {@link #close} ends them with UNAVAILABLE.
 */
public final class QueryServiceImpl extends QueryServiceGrpc.QueryServiceImplBase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QueryServiceImpl.class);
    static final String THREAD_NAME = "fleettap-query-follow";
    private static final int THREADS = 2;

    /** A live stream, ended by the service when it closes. */
    interface Follower {
        void end(Status status);
    }

    private final Store store;
    private final ControlPlane plane;
    private final AppliedFeed feed;
    private final QuerySettings settings;
    private final Clock clock;
    private final ScheduledExecutorService executor;
    private final Set<Follower> followers = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public QueryServiceImpl(Store store, ControlPlane plane, AppliedFeed feed, QuerySettings settings, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.plane = Objects.requireNonNull(plane, "plane");
        this.feed = Objects.requireNonNull(feed, "feed");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newScheduledThreadPool(THREADS, r -> {
            Thread t = new Thread(r, THREAD_NAME + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Live streams open now. */
    public int followers() {
        return followers.size();
    }

    @Override
    public void listHosts(ListHostsRequest request, StreamObserver<ListHostsResponse> out) {
        Unary.respond("ListHosts", out, () -> {
            TargetSelector selector = request.getSelector();
            ListHostsResponse.Builder b = ListHostsResponse.newBuilder();
            for (HostRecord h : plane.agents().hosts()) {
                if (Selectors.matches(selector, h.hostId(), h.labels())) {
                    b.addHosts(h.toInfo(plane.isConnected(h.hostId())));
                }
            }
            return b.build();
        });
    }

    @Override
    public void listSessions(ListSessionsRequest request, StreamObserver<ListSessionsResponse> out) {
        Unary.respond("ListSessions", out, () -> {
            ListSessionsResponse.Builder b = ListSessionsResponse.newBuilder();
            for (SessionRecord s : plane.sessions().sessions(request.getIncludeEnded())) {
                b.addSessions(s.toInfo());
            }
            return b.build();
        });
    }

    @Override
    public void queryAggregates(AggregateQuery request, StreamObserver<AggregateQueryResponse> out) {
        Unary.respond("QueryAggregates", out, () -> {
            requireNonEmpty(request.getSessionId(), "session_id");
            requireNonEmpty(request.getName(), "name");
            long from = request.getFromUnixNanos() == 0 ? Long.MIN_VALUE : request.getFromUnixNanos();
            long to = request.getToUnixNanos() == 0 ? nowNanos() : request.getToUnixNanos();
            GroupBy groupBy = request.getGroupBy();
            Metric orderBy = request.getOrderBy();
            if (groupBy == GroupBy.UNRECOGNIZED) {
                throw invalid("unknown group_by " + request.getGroupByValue());
            }
            if (orderBy == Metric.UNRECOGNIZED) {
                throw invalid("unknown order_by " + request.getOrderByValue());
            }
            if (from >= to) {
                throw invalid("empty range: from_unix_nanos " + request.getFromUnixNanos()
                        + " is not before to_unix_nanos " + to);
            }
            int topN = request.getTopN() < 0 ? Integer.MAX_VALUE : request.getTopN();
            Set<String> hosts = Set.copyOf(request.getHostIdsList());
            AggregateResult result = store.aggregates(new org.fleettap.collector.store.AggregateQuery(
                    request.getSessionId(), request.getName(), from, to, hosts, groupBy, orderBy, topN));
            AggregateQueryResponse.Builder b = AggregateQueryResponse.newBuilder()
                    .addAllRows(Rows.toProto(result.rows(), groupBy, request.getIncludeAggregates()))
                    .setTotalRows(result.totalRows())
                    .setFromUnixNanos(request.getFromUnixNanos()).setToUnixNanos(to);
            List<String> lossHosts = hosts.isEmpty() ? store.hosts(request.getSessionId())
                    : new ArrayList<>(new java.util.TreeSet<>(hosts));
            for (String host : lossHosts) {
                HostLosses l = Rows.losses(host, store.lost(request.getSessionId(), host));
                if (l != null) {
                    b.addLosses(l);
                }
            }
            return b.build();
        });
    }

    @Override
    public void followOutput(FollowOutputRequest request, StreamObserver<OutputEvent> responses) {
        if (request.getSessionId().isEmpty()) {
            responses.onError(invalid("session_id is empty"));
            return;
        }
        if (closed) {
            responses.onError(Status.UNAVAILABLE.withDescription("the collector is shutting down").asRuntimeException());
            return;
        }
        Follower[] self = new Follower[1];
        OutputFollower f = new OutputFollower((ServerCallStreamObserver<OutputEvent>) responses, store, feed, executor,
                settings, request.getSessionId(), Set.copyOf(request.getHostIdsList()), request.getFromUnixNanos(),
                () -> followers.remove(self[0]));
        self[0] = f;
        followers.add(f);
        f.start();
        log.debug("following the output of session {} (hosts {}, from {})", request.getSessionId(),
                request.getHostIdsList(), request.getFromUnixNanos());
    }

    @Override
    public void followAggregates(FollowAggregatesRequest request, StreamObserver<AggregateWindow> responses) {
        if (request.getSessionId().isEmpty() || request.getName().isEmpty()) {
            responses.onError(invalid(request.getSessionId().isEmpty() ? "session_id is empty" : "name is empty"));
            return;
        }
        if (request.getGroupBy() == GroupBy.UNRECOGNIZED) {
            responses.onError(invalid("unknown group_by " + request.getGroupByValue()));
            return;
        }
        if (closed) {
            responses.onError(Status.UNAVAILABLE.withDescription("the collector is shutting down").asRuntimeException());
            return;
        }
        Follower[] self = new Follower[1];
        WindowFollower f = new WindowFollower((ServerCallStreamObserver<AggregateWindow>) responses, store, feed,
                executor, settings, System::nanoTime, request.getSessionId(), request.getName(),
                Set.copyOf(request.getHostIdsList()), request.getGroupBy(), request.getIncludeAggregates(),
                () -> followers.remove(self[0]));
        self[0] = f;
        followers.add(f);
        f.start();
    }

    /** Ends every live stream with UNAVAILABLE and stops the executor. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Follower f : List.copyOf(followers)) {
            f.end(Status.UNAVAILABLE.withDescription("the collector is shutting down"));
        }
        // The streams' tasks, queued by end(), write their ends before the executor stops.
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("live query streams did not end within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }

    private long nowNanos() {
        Instant t = clock.instant();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static void requireNonEmpty(String value, String field) {
        if (value.isEmpty()) {
            throw invalid(field + " is empty");
        }
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

}
