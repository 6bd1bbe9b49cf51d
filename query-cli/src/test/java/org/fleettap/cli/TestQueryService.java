package org.fleettap.cli;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.fleettap.aggregate.InvalidAggregateException;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.collector.control.ControlPlane;
import org.fleettap.collector.control.HostRecord;
import org.fleettap.collector.control.SessionRecord;
import org.fleettap.collector.control.Selectors;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.AggregateQuery;
import org.fleettap.proto.v1.AggregateQueryResponse;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.AggregateWindow;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.FollowAggregatesRequest;
import org.fleettap.proto.v1.FollowOutputRequest;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.ListHostsRequest;
import org.fleettap.proto.v1.ListHostsResponse;
import org.fleettap.proto.v1.ListSessionsRequest;
import org.fleettap.proto.v1.ListSessionsResponse;
import org.fleettap.proto.v1.LossCounters;
import org.fleettap.proto.v1.OutputEvent;
import org.fleettap.proto.v1.OutputLine;
import org.fleettap.proto.v1.QueryServiceGrpc;
import org.fleettap.proto.v1.Stats;

/**
 * A stand-in for the collector's QueryService, for the CLI's tests: hosts and sessions from a real
 * {@link ControlPlane}; aggregates and output from the batches it is given (it is the agents' batch consumer, or
 * fed by hand), merged naively over the whole session (time ranges are not applied), or canned answers; live
 * output as batches arrive; canned windows for FollowAggregates. It records the queries it was asked.
 */
final class TestQueryService extends QueryServiceGrpc.QueryServiceImplBase implements Consumer<Batch> {
    private final ControlPlane plane;
    private final Object lock = new Object();
    private final List<Batch> batches = new ArrayList<>();
    private final List<Follower> followers = new ArrayList<>();
    private final Map<String, AggregateQueryResponse> canned = new HashMap<>();
    private final List<AggregateWindow> windows = new ArrayList<>();
    final List<AggregateQuery> queries = new CopyOnWriteArrayList<>();
    final List<FollowAggregatesRequest> followRequests = new CopyOnWriteArrayList<>();

    private record Follower(FollowOutputRequest request, StreamObserver<OutputEvent> out) {
    }

    private record RowKey(String host, List<KeyPart> key) {
    }

    TestQueryService(ControlPlane plane) {
        this.plane = plane;
    }

    /** Answers QueryAggregates for {@code name} with {@code response}. */
    void canned(String name, AggregateQueryResponse response) {
        synchronized (lock) {
            canned.put(name, response);
        }
    }

    /** FollowAggregates sends these windows, then ends the stream. */
    void windows(List<AggregateWindow> w) {
        synchronized (lock) {
            windows.clear();
            windows.addAll(w);
        }
    }

    @Override
    public void accept(Batch b) {
        synchronized (lock) {
            batches.add(b);
            for (Follower f : followers) {
                send(f, b);
            }
        }
        // As the collector does once a batch is applied: a final batch completes its host.
        plane.applied(java.util.List.of(b));
    }

    List<Batch> batches(String sessionId) {
        synchronized (lock) {
            return batches.stream().filter(b -> b.getSessionId().equals(sessionId)).toList();
        }
    }

    @Override
    public void listHosts(ListHostsRequest r, StreamObserver<ListHostsResponse> out) {
        ListHostsResponse.Builder b = ListHostsResponse.newBuilder();
        for (HostRecord h : plane.agents().hosts()) {
            if (Selectors.matches(r.getSelector(), h.hostId(), h.labels())) {
                b.addHosts(h.toInfo(plane.isConnected(h.hostId())));
            }
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void listSessions(ListSessionsRequest r, StreamObserver<ListSessionsResponse> out) {
        ListSessionsResponse.Builder b = ListSessionsResponse.newBuilder();
        for (SessionRecord s : plane.sessions().sessions(r.getIncludeEnded())) {
            b.addSessions(s.toInfo());
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void queryAggregates(AggregateQuery q, StreamObserver<AggregateQueryResponse> out) {
        queries.add(q);
        AggregateQueryResponse r;
        synchronized (lock) {
            r = canned.get(q.getName());
            if (r == null) {
                try {
                    r = merge(q);
                } catch (InvalidAggregateException e) {
                    out.onError(io.grpc.Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
                    return;
                }
            }
        }
        out.onNext(r);
        out.onCompleted();
    }

    @Override
    public void followOutput(FollowOutputRequest r, StreamObserver<OutputEvent> out) {
        Follower f = new Follower(r, out);
        synchronized (lock) {
            if (r.getFromUnixNanos() > 0) {
                for (Batch b : batches) {
                    send(f, b);
                }
            }
            followers.add(f);
        }
        ((ServerCallStreamObserver<OutputEvent>) out).setOnCancelHandler(() -> {
            synchronized (lock) {
                followers.remove(f);
            }
        });
    }

    @Override
    public void followAggregates(FollowAggregatesRequest r, StreamObserver<AggregateWindow> out) {
        followRequests.add(r);
        List<AggregateWindow> w;
        synchronized (lock) {
            w = List.copyOf(windows);
        }
        w.forEach(out::onNext);
        out.onCompleted();
    }

    private static void send(Follower f, Batch b) {
        FollowOutputRequest r = f.request();
        if (!b.getSessionId().equals(r.getSessionId())
                || r.getHostIdsCount() > 0 && !r.getHostIdsList().contains(b.getHostId())) {
            return;
        }
        for (OutputLine l : b.getOutputList()) {
            if (l.getTimeUnixNanos() >= r.getFromUnixNanos()) {
                f.out().onNext(OutputEvent.newBuilder().setHostId(b.getHostId()).setLine(l).build());
            }
        }
    }

    private AggregateQueryResponse merge(AggregateQuery q) throws InvalidAggregateException {
        GroupBy by = q.getGroupBy();
        boolean host = by == GroupBy.GROUP_BY_HOST || by == GroupBy.GROUP_BY_HOST_AND_KEY;
        boolean key = by == GroupBy.GROUP_BY_KEY || by == GroupBy.GROUP_BY_HOST_AND_KEY
                || by == GroupBy.GROUP_BY_UNSPECIFIED;
        Map<RowKey, MergeableAggregate> rows = new LinkedHashMap<>();
        Map<String, HostLosses.Builder> losses = new LinkedHashMap<>();
        for (Batch b : batches) {
            if (!b.getSessionId().equals(q.getSessionId())
                    || q.getHostIdsCount() > 0 && !q.getHostIdsList().contains(b.getHostId())) {
                continue;
            }
            HostLosses.Builder l = losses.computeIfAbsent(b.getHostId(), h -> HostLosses.newBuilder().setHostId(h));
            l.setLosses(LossCounters.newBuilder()
                    .setRecordsLost(l.getLosses().getRecordsLost() + b.getLosses().getRecordsLost())
                    .setEventsDropped(l.getLosses().getEventsDropped() + b.getLosses().getEventsDropped()));
            l.setSpoolDroppedBatches(l.getSpoolDroppedBatches() + b.getSpoolDroppedBatches());
            for (AggregateDelta d : b.getAggregatesList()) {
                if (d.getName().equals(q.getName())) {
                    rows.computeIfAbsent(new RowKey(host ? b.getHostId() : "", key ? d.getKeyList() : List.of()),
                            k -> new MergeableAggregate()).merge(MergeableAggregate.fromProto(d.getAggregate()));
                }
            }
        }
        List<AggregateRow> out = new ArrayList<>();
        rows.entrySet().stream().sorted(Comparator.comparing((Map.Entry<RowKey, MergeableAggregate> e)
                -> e.getKey().host()).thenComparing(e -> Keys.format(e.getKey().key()))).forEach(e -> {
                    MergeableAggregate a = e.getValue();
                    out.add(AggregateRow.newBuilder().setHostId(e.getKey().host()).addAllKey(e.getKey().key())
                            .setStats(Stats.newBuilder().setCount(a.count()).setSum(a.sum()).setMin(a.min())
                                    .setMax(a.max()).setAvg(a.avg()).setP50(a.quantile(0.5))
                                    .setP90(a.quantile(0.9)).setP99(a.quantile(0.99)))
                            .build());
                });
        AggregateQueryResponse.Builder r = AggregateQueryResponse.newBuilder().setTotalRows(out.size());
        r.addAllRows(q.getTopN() > 0 ? out.subList(0, Math.min(out.size(), q.getTopN())) : out);
        for (HostLosses.Builder l : losses.values()) {
            if (l.getLosses().getRecordsLost() + l.getLosses().getEventsDropped() + l.getSpoolDroppedBatches() > 0) {
                r.addLosses(l);
            }
        }
        return r.build();
    }
}
