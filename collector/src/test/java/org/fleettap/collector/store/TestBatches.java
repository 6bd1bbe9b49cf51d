package org.fleettap.collector.store;

import java.util.ArrayList;
import java.util.List;
import org.fleettap.aggregate.MergeableAggregate;
import org.fleettap.proto.v1.Aggregate;
import org.fleettap.proto.v1.AggregateDelta;
import org.fleettap.proto.v1.Batch;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.LossCounters;
import org.fleettap.proto.v1.OutputLine;

/** Builds batches and aggregates for the store's tests. */
final class TestBatches {
    static final long SECOND = 1_000_000_000L;
    static final long MINUTE = 60 * SECOND;
    static final long HOUR = 60 * MINUTE;
    /** 2025-01-01T00:00:00Z, an hour boundary. */
    static final long T0 = 1_735_689_600L * SECOND;

    private TestBatches() {}

    static MergeableAggregate aggregate(long... values) {
        MergeableAggregate a = new MergeableAggregate();
        for (long v : values) {
            a.record(v);
        }
        return a;
    }

    static Aggregate proto(long... values) {
        return aggregate(values).toProto();
    }

    static KeyPart k(long v) {
        return KeyPart.newBuilder().setIntValue(v).build();
    }

    static KeyPart k(String v) {
        return KeyPart.newBuilder().setStringValue(v).build();
    }

    static Builder batch(String host, String session, long sequence, long windowStart) {
        return new Builder(host, session, sequence, windowStart);
    }

    static final class Builder {
        private final Batch.Builder b;

        Builder(String host, String session, long sequence, long windowStart) {
            b = Batch.newBuilder().setHostId(host).setSessionId(session).setSequence(sequence)
                    .setWindowStartUnixNanos(windowStart).setWindowEndUnixNanos(windowStart + SECOND);
        }

        Builder add(String name, List<KeyPart> key, long... values) {
            b.addAggregates(AggregateDelta.newBuilder().setName(name).addAllKey(key).setAggregate(proto(values)));
            return this;
        }

        Builder add(String name, List<KeyPart> key, Aggregate a) {
            b.addAggregates(AggregateDelta.newBuilder().setName(name).addAllKey(key).setAggregate(a));
            return this;
        }

        Builder line(long time, String text) {
            b.addOutput(OutputLine.newBuilder().setTimeUnixNanos(time).setText(text));
            return this;
        }

        Builder losses(long recordsLost, long eventsDropped) {
            b.setLosses(LossCounters.newBuilder().setRecordsLost(recordsLost).setEventsDropped(eventsDropped));
            return this;
        }

        Builder spoolDropped(long n) {
            b.setSpoolDroppedBatches(n);
            return this;
        }

        Builder window(long start, long end) {
            b.setWindowStartUnixNanos(start).setWindowEndUnixNanos(end);
            return this;
        }

        Batch build() {
            return b.build();
        }
    }

    /** values from..to (inclusive). */
    static long[] range(long from, long to) {
        List<Long> l = new ArrayList<>();
        for (long v = from; v <= to; v++) {
            l.add(v);
        }
        return l.stream().mapToLong(Long::longValue).toArray();
    }
}
