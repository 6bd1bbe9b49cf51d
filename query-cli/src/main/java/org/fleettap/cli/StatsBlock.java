package org.fleettap.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.fleettap.agent.runtime.StapFormat;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.Stats;

/**
 * The statistics a fleet run prints at the end, merged across hosts by the collector, in the format stap (and the
 * local {@code fleettap run}) prints globals with: a statistic as {@code name @count=4 @min=1 @max=4 @sum=10 @avg=2}
 * ({@code name @count=0x0} when nothing was recorded), a number as {@code name=0x2710}; arrays one line per key,
 * {@code name["x",2] @count=...} or {@code name["x",2]=0x1}, in stap's {@code foreach ([...] in name-)} order
 * (statistics by descending count, numbers by descending value). A number's merged value is the sum of its changes
 * on every host, which is what the agents export.
 */
final class StatsBlock {
    private static final StapFormat NUMBER = StapFormat.compile("=%#x\n");
    private static final StapFormat STATISTIC = StapFormat.compile(" @count=%#d @min=%#d @max=%#d @sum=%#d @avg=%#d\n");

    private StatsBlock() {
    }

    /**
     * The lines of one global.
     *
     * @param statistic a statistic ({@code <<<}), else a number
     * @param array     an array, whose rows are grouped by key; else a scalar, with at most one row
     */
    static String lines(String name, boolean statistic, boolean array, List<AggregateRow> rows) {
        StringBuilder sb = new StringBuilder();
        if (!array) {
            sb.append(name);
            if (rows.isEmpty()) {
                sb.append(statistic ? " @count=0x0\n" : "=0x0\n");
            } else {
                value(sb, statistic, rows.get(0).getStats());
            }
            return sb.toString();
        }
        List<AggregateRow> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingLong((AggregateRow r) -> statistic ? r.getStats().getCount()
                : r.getStats().getSum()).reversed());
        for (AggregateRow r : sorted) {
            sb.append(name).append('[').append(Keys.format(r.getKeyList())).append(']');
            value(sb, statistic, r.getStats());
        }
        return sb.toString();
    }

    private static void value(StringBuilder sb, boolean statistic, Stats s) {
        if (statistic) {
            STATISTIC.printf(sb, s.getCount(), s.getMin(), s.getMax(), s.getSum(), s.getAvg());
        } else {
            NUMBER.printf(sb, s.getSum());
        }
    }
}
