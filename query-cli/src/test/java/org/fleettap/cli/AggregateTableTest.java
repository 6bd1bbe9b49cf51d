package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.cli.Rows.i;
import static org.fleettap.cli.Rows.row;
import static org.fleettap.cli.Rows.s;
import static org.fleettap.cli.Rows.stats;

import java.util.List;
import org.fleettap.proto.v1.AggregateRow;
import org.fleettap.proto.v1.GroupBy;
import org.junit.jupiter.api.Test;

class AggregateTableTest {
    private static final List<AggregateRow> BY_HOST_AND_KEY = List.of(
            row("db1", List.of(s("futex.c:12"), i(3)), stats(120, 61_440, 8, 4096, 512, 500, 2048, 4090)),
            row("web-frontend-2", List.of(s("a"), i(-1)), stats(7, -21, -9, 0, -3, -3, 0, 0)));

    @Test
    void perHostAndKeyTheLabelsAreLeftAndTheFiguresRightAligned() {
        assertThat(AggregateTable.render(BY_HOST_AND_KEY, GroupBy.GROUP_BY_HOST_AND_KEY)).isEqualTo(""
                + "HOST            KEY             COUNT    SUM  MIN   MAX  AVG  P50   P90   P99\n"
                + "db1             \"futex.c:12\",3    120  61440    8  4096  512  500  2048  4090\n"
                + "web-frontend-2  \"a\",-1              7    -21   -9     0   -3   -3     0     0\n");
    }

    @Test
    void perHostPerKeyAndMerged() {
        List<AggregateRow> hosts = List.of(row("a", List.of(), stats(2, 30, 10, 20, 15, 10, 20, 20)),
                row("bb", List.of(), stats(1, 5, 5, 5, 5, 5, 5, 5)));
        assertThat(AggregateTable.render(hosts, GroupBy.GROUP_BY_HOST)).isEqualTo(""
                + "HOST  COUNT  SUM  MIN  MAX  AVG  P50  P90  P99\n"
                + "a         2   30   10   20   15   10   20   20\n"
                + "bb        1    5    5    5    5    5    5    5\n");
        List<AggregateRow> keys = List.of(row("", List.of(i(7)), stats(2, 30, 10, 20, 15, 10, 20, 20)));
        assertThat(AggregateTable.render(keys, GroupBy.GROUP_BY_KEY)).isEqualTo(""
                + "KEY  COUNT  SUM  MIN  MAX  AVG  P50  P90  P99\n"
                + "7        2   30   10   20   15   10   20   20\n");
        assertThat(AggregateTable.render(List.of(row("", List.of(), stats(3, 6, 1, 3, 2, 2, 3, 3))),
                GroupBy.GROUP_BY_NONE)).isEqualTo(""
                + "COUNT  SUM  MIN  MAX  AVG  P50  P90  P99\n"
                + "    3    6    1    3    2    2    3    3\n");
    }

    @Test
    void aCountAbove2To63IsPrintedUnsigned() {
        assertThat(AggregateTable.render(List.of(row("", List.of(), stats(-1, 0, 0, 0, 0, 0, 0, 0))),
                GroupBy.GROUP_BY_NONE)).startsWith("               COUNT  SUM").contains("18446744073709551615");
    }
}
