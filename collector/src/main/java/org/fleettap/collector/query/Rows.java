package org.fleettap.collector.query;

import java.util.ArrayList;
import java.util.List;
import org.fleettap.aggregate.Summary;
import org.fleettap.collector.store.Losses;
import org.fleettap.collector.store.Row;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.HostLosses;
import org.fleettap.proto.v1.LossCounters;
import org.fleettap.proto.v1.Stats;

/** Store rows and losses as the wire shows them. */
final class Rows {
    private Rows() {
    }

    static List<AggregateRow> toProto(List<Row> rows, GroupBy groupBy, boolean includeAggregates) {
        boolean byHost = groupBy == GroupBy.GROUP_BY_HOST || groupBy == GroupBy.GROUP_BY_HOST_AND_KEY;
        boolean byKey = groupBy == GroupBy.GROUP_BY_KEY || groupBy == GroupBy.GROUP_BY_HOST_AND_KEY
                || groupBy == GroupBy.GROUP_BY_UNSPECIFIED;
        List<AggregateRow> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            AggregateRow.Builder b = AggregateRow.newBuilder().setStats(stats(r.summary()));
            if (byHost) {
                b.setHostId(r.host());
            }
            if (byKey) {
                b.addAllKey(r.key());
            }
            if (includeAggregates) {
                b.setAggregate(r.aggregate().toProto());
            }
            out.add(b.build());
        }
        return out;
    }

    static Stats stats(Summary s) {
        return Stats.newBuilder().setCount(s.count()).setSum(s.sum()).setMin(s.min()).setMax(s.max()).setAvg(s.avg())
                .setP50(s.p50()).setP90(s.p90()).setP99(s.p99()).build();
    }

    /** The wire form of {@code l}, or null when nothing was lost. */
    static HostLosses losses(String host, Losses l) {
        if (l.isEmpty()) {
            return null;
        }
        return HostLosses.newBuilder().setHostId(host).setLosses(LossCounters.newBuilder()
                .setRecordsLost(l.recordsLost()).setEventsDropped(l.eventsDropped()))
                .setSpoolDroppedBatches(l.spoolDroppedBatches()).setMissingBatches(l.missingBatches()).build();
    }
}
