package org.fleettap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fleettap.cli.Rows.i;
import static org.fleettap.cli.Rows.row;
import static org.fleettap.cli.Rows.s;
import static org.fleettap.cli.Rows.stats;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The end-of-run lines as stap prints globals (GlobalDisplay in the agent), from the collector's merged rows. */
class StatsBlockTest {

    @Test
    void aStatisticAsStapPrintsIt() {
        assertThat(StatsBlock.lines("phi", true, false, List.of(row("", List.of(), stats(4, 10, 1, 4, 2, 2, 4, 4)))))
                .isEqualTo("phi @count=4 @min=1 @max=4 @sum=10 @avg=2\n");
        assertThat(StatsBlock.lines("phi", true, false, List.of())).isEqualTo("phi @count=0x0\n");
    }

    @Test
    void aNumberIsItsMergedSumInHex() {
        assertThat(StatsBlock.lines("calls", false, false, List.of(row("", List.of(), stats(3, 10000, 1, 9000,
                3333, 1, 9000, 9000))))).isEqualTo("calls=0x2710\n");
        assertThat(StatsBlock.lines("calls", false, false, List.of())).isEqualTo("calls=0x0\n");
    }

    @Test
    void arraysOneLinePerKeyLargestFirst() {
        assertThat(StatsBlock.lines("lat", true, true, List.of(
                row("", List.of(s("read"), i(3)), stats(2, 30, 10, 20, 15, 10, 20, 20)),
                row("", List.of(s("write"), i(-1)), stats(5, 50, 1, 20, 10, 10, 20, 20)),
                row("", List.of(s("open"), i(0)), stats(2, 4, 2, 2, 2, 2, 2, 2))))).isEqualTo(""
                + "lat[\"write\",-1] @count=5 @min=1 @max=20 @sum=50 @avg=10\n"
                + "lat[\"read\",3] @count=2 @min=10 @max=20 @sum=30 @avg=15\n"
                + "lat[\"open\",0] @count=2 @min=2 @max=2 @sum=4 @avg=2\n");
        assertThat(StatsBlock.lines("alpha", false, true, List.of(
                row("", List.of(s("one"), i(1)), stats(1, 1, 1, 1, 1, 1, 1, 1)),
                row("", List.of(s("two"), i(2)), stats(2, 16, 8, 8, 8, 8, 8, 8))))).isEqualTo(""
                + "alpha[\"two\",2]=0x10\n"
                + "alpha[\"one\",1]=0x1\n");
        assertThat(StatsBlock.lines("empty", true, true, List.of())).isEmpty();
    }
}
