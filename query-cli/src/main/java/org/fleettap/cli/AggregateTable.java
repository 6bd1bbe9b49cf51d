package org.fleettap.cli;

import java.util.ArrayList;
import java.util.List;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.GroupBy;
import org.fleettap.proto.v1.Stats;

/**
 * Rows of a statistic as a table: HOST and/or KEY as the rows are grouped, then COUNT, SUM, MIN, MAX, AVG, P50,
 * P90 and P99.
 */
final class AggregateTable {
    private static final List<String> FIGURES = List.of("COUNT", "SUM", "MIN", "MAX", "AVG", "P50", "P90", "P99");

    private AggregateTable() {
    }

    static boolean byHost(GroupBy g) {
        return g == GroupBy.GROUP_BY_HOST || g == GroupBy.GROUP_BY_HOST_AND_KEY;
    }

    static boolean byKey(GroupBy g) {
        return g == GroupBy.GROUP_BY_KEY || g == GroupBy.GROUP_BY_HOST_AND_KEY || g == GroupBy.GROUP_BY_UNSPECIFIED;
    }

    static String render(List<AggregateRow> rows, GroupBy by) {
        return render(rows, by, OutputFormat.TABLE);
    }

    static String render(List<AggregateRow> rows, GroupBy by, OutputFormat format) {
        return table(rows, by, List.of(), List.of()).render(format);
    }

    /**
     * The table, each row led by {@code lead} under the columns {@code leadHeader} (a stream's window, for one CSV
     * across windows).
     */
    static Table table(List<AggregateRow> rows, GroupBy by, List<String> leadHeader, List<String> lead) {
        boolean host = byHost(by);
        boolean key = byKey(by);
        List<String> header = new ArrayList<>(leadHeader);
        if (host) {
            header.add("HOST");
        }
        if (key) {
            header.add("KEY");
        }
        int labels = header.size();
        header.addAll(FIGURES);
        boolean[] numeric = new boolean[header.size()];
        for (int i = labels; i < numeric.length; i++) {
            numeric[i] = true;
        }
        Table t = new Table(header, numeric);
        for (AggregateRow r : rows) {
            List<String> cells = new ArrayList<>(lead);
            if (host) {
                cells.add(r.getHostId());
            }
            if (key) {
                cells.add(Keys.format(r.getKeyList()));
            }
            Stats s = r.getStats();
            cells.add(Long.toUnsignedString(s.getCount()));
            for (long v : new long[] {s.getSum(), s.getMin(), s.getMax(), s.getAvg(), s.getP50(), s.getP90(),
                    s.getP99()}) {
                cells.add(Long.toString(v));
            }
            t.add(cells);
        }
        return t;
    }
}
