package org.fleettap.cli;

import java.util.List;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.KeyPart;
import org.fleettap.proto.v1.Stats;

/** Aggregate rows for rendering tests. */
final class Rows {
    private Rows() {
    }

    static KeyPart s(String v) {
        return KeyPart.newBuilder().setStringValue(v).build();
    }

    static KeyPart i(long v) {
        return KeyPart.newBuilder().setIntValue(v).build();
    }

    /** count, sum, min, max, avg, p50, p90, p99. */
    static Stats stats(long... f) {
        return Stats.newBuilder().setCount(f[0]).setSum(f[1]).setMin(f[2]).setMax(f[3]).setAvg(f[4]).setP50(f[5])
                .setP90(f[6]).setP99(f[7]).build();
    }

    static AggregateRow row(String host, List<KeyPart> key, Stats stats) {
        return AggregateRow.newBuilder().setHostId(host).addAllKey(key).setStats(stats).build();
    }
}
