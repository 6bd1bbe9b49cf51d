package org.fleettap.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Histogram text, byte for byte, following runtime/stat-common.c (SystemTap 4.8). Row strings are
 * spelled out: label right-aligned in the value column, {@code " |"}, bars, then the count
 * right-aligned to end 50 + 1 + width(largest count) characters after the bar.
 */
class HistogramPrintTest {
    private static final String DASHES = "-".repeat(50);

    /** The talk's first lock-contention histogram, verbatim (seed/systemtap-talk.txt). */
    private static final String TALK_LOCK_HISTOGRAM = """
             value |-------------------------------------------------- count
               256 |                                                    0
               512 |@                                                   1
              1024 |                                                    0
              2048 |@@                                                  2
              4096 |@@@@@@@                                             7
              8192 |@@@@@@@@@@@@@@                                     14
             16384 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                   32
             32768 |@@@@@@@@@@@@@@@                                    15
             65536 |@@@@@@@@@@@@@@@@@@@@@@@@                           24
            131072 |                                                    0
            """;

    /** The talk's second histogram (net_socket.cpp:4, 4 waits, 1512 us on average), verbatim. */
    private static final String TALK_NET_SOCKET_HISTOGRAM = """
            value |-------------------------------------------------- count
              256 |                                                   0
              512 |@@                                                 2
             1024 |@                                                  1
             2048 |@                                                  1
             4096 |                                                   0
            """;

    @Test
    void talkLockHistogram_valuesImpliedByTheTalk_printWithStap48sTwoZeroRowMargin() {
        // 95 waits averaging 37467 us, in the talk's buckets.
        Stat s = new Stat(HistogramSpec.log());
        addN(s, 1, 512);
        addN(s, 2, 2048);
        addN(s, 7, 4096);
        addN(s, 14, 8192);
        addN(s, 32, 16384);
        addN(s, 15, 32768);
        for (int i = 0; i < 24; i++) {
            s.add(65536 + 34280 + (i == 0 ? 5 : 0));
        }
        assertThat(s.count()).isEqualTo(95);
        assertThat(s.avg()).isEqualTo(37467);

        // stat-common.c widens the range by TWO zero rows on each side (128 and 262144 here); the
        // talk's slide shows one. Every row the talk shows is printed identically, in one block.
        String header = TALK_LOCK_HISTOGRAM.substring(0, TALK_LOCK_HISTOGRAM.indexOf('\n') + 1);
        String talkRows = TALK_LOCK_HISTOGRAM.substring(header.length());
        String expected = header
                + "   128 |" + " ".repeat(52) + "0\n"
                + talkRows
                + "262144 |" + " ".repeat(52) + "0\n"
                + "\n";
        String actual = s.histogramText();
        assertThat(actual).isEqualTo(expected);
        assertThat(actual).contains(talkRows);
        assertThat(actual).startsWith(" value |" + DASHES + " count\n");
        assertThat(actual).endsWith("0\n\n");
    }

    @Test
    void talkNetSocketHistogram_valuesImpliedByTheTalk_printWithStap48sTwoZeroRowMargin() {
        Stat s = new Stat(HistogramSpec.log());
        for (long v : new long[] {600, 700, 1500, 3248}) {
            s.add(v);
        }
        assertThat(s.avg()).isEqualTo(1512);
        String body = TALK_NET_SOCKET_HISTOGRAM.substring(TALK_NET_SOCKET_HISTOGRAM.indexOf('\n') + 1);
        String expected = "value |" + DASHES + " count\n"
                + "  128 |" + " ".repeat(51) + "0\n"
                + body
                + " 8192 |" + " ".repeat(51) + "0\n"
                + "\n";
        assertThat(s.histogramText()).isEqualTo(expected);
    }

    @Test
    void log_negativeZeroAndPositive_rangeExtendsBelowZeroOnlyWithNegativeData() {
        Stat s = new Stat(HistogramSpec.log());
        s.add(-5);
        s.add(0);
        s.add(3);
        assertThat(s.histogramText()).isEqualTo(String.join("\n",
                "value |" + DASHES + " count",
                "  -16 |" + row(0, 1, 1),
                "   -8 |" + row(0, 1, 1),
                "   -4 |" + row(1, 1, 1),
                "   -2 |" + row(0, 1, 1),
                "   -1 |" + row(0, 1, 1),
                "    0 |" + row(1, 1, 1),
                "    1 |" + row(0, 1, 1),
                "    2 |" + row(1, 1, 1),
                "    4 |" + row(0, 1, 1),
                "    8 |" + row(0, 1, 1),
                "", ""));
    }

    @Test
    void log_positiveOnly_marginStopsAtTheZeroBucket() {
        Stat s = new Stat(HistogramSpec.log());
        s.add(1);
        assertThat(s.histogramText()).isEqualTo(String.join("\n",
                "value |" + DASHES + " count",
                "    0 |" + row(0, 1, 1),
                "    1 |" + row(1, 1, 1),
                "    2 |" + row(0, 1, 1),
                "    4 |" + row(0, 1, 1),
                "", ""));
    }

    @Test
    void log_zeroOnly_noRowsBelowZero() {
        Stat s = new Stat(HistogramSpec.log());
        s.add(0);
        s.add(0);
        assertThat(s.histogramText()).isEqualTo(String.join("\n",
                "value |" + DASHES + " count",
                "    0 |" + row(2, 1, 1),
                "    1 |" + row(0, 1, 1),
                "    2 |" + row(0, 1, 1),
                "", ""));
    }

    @Test
    void log_gapOfZeroRows_isElidedToOneTildeLineBeforeTheNextPrintedRow() {
        Stat s = new Stat(HistogramSpec.log());
        s.add(1);
        s.add(1024);
        assertThat(s.histogramText()).isEqualTo(String.join("\n",
                "value |" + DASHES + " count",
                "    0 |" + row(0, 1, 1),
                "    1 |" + row(1, 1, 1),
                "    2 |" + row(0, 1, 1),
                "    4 |" + row(0, 1, 1),
                "      ~",
                "  256 |" + row(0, 1, 1),
                "  512 |" + row(0, 1, 1),
                " 1024 |" + row(1, 1, 1),
                " 2048 |" + row(0, 1, 1),
                " 4096 |" + row(0, 1, 1),
                "", ""));
    }

    @Test
    void log_exactlyFourZeroRowsBetweenData_oneIsElided() {
        // 1 and 64: rows 2,4,8,16,32 are zero; only the middle one (8) has no data within two rows.
        Stat s = new Stat(HistogramSpec.log());
        s.add(1);
        s.add(64);
        String text = s.histogramText();
        assertThat(text).contains("    4 |", "   16 |", "      ~\n   16 |").doesNotContain("    8 |");
    }

    @Test
    void log_extremes_longMinAndLongMax_20CharValueColumnAndElision() {
        Stat s = new Stat(HistogramSpec.log());
        s.add(Long.MIN_VALUE);
        s.add(Long.MAX_VALUE);
        s.add(Long.MAX_VALUE - 1);
        assertThat(s.histogramText()).isEqualTo(String.join("\n",
                "               value |" + DASHES + " count",
                "-9223372036854775808 |" + row(1, 1, 1),
                "-4611686018427387904 |" + row(0, 1, 1),
                "-2305843009213693952 |" + row(0, 1, 1),
                "                     ~",
                " 1152921504606846976 |" + row(0, 1, 1),
                " 2305843009213693952 |" + row(0, 1, 1),
                " 4611686018427387904 |" + row(2, 1, 1),
                "", ""));
    }

    @Test
    void bars_scaleToFiftyColumns_roundingTheScaleUp() {
        Stat s = new Stat(HistogramSpec.log());
        addN(s, 120, 4); // scale = ceil(120 / 50) = 3 -> 40 bars
        addN(s, 2, 8); // 2 / 3 -> no bar
        assertThat(s.histogramText()).isEqualTo(String.join("\n",
                "value |" + DASHES + " count",
                "    1 |" + row(0, 3, 3),
                "    2 |" + row(0, 3, 3),
                "    4 |" + row(120, 3, 3),
                "    8 |" + row(2, 3, 3),
                "   16 |" + row(0, 3, 3),
                "   32 |" + row(0, 3, 3),
                "", ""));
    }

    @Test
    void linear_underAndOverflowRows_withPrefixesAndInclusiveStop() {
        Stat s = new Stat(HistogramSpec.linear(0, 100, 10));
        for (long v : new long[] {-5, 0, 15, 99, 100, 110, 1000}) {
            s.add(v);
        }
        // 13 buckets: <0, [0,10) ... [100,110), >100. 100 falls in [100,110), 110 and 1000 overflow.
        assertThat(s.histogramText()).isEqualTo(String.join("\n",
                "value |" + DASHES + " count",
                "   <0 |" + row(1, 1, 1),
                "    0 |" + row(1, 1, 1),
                "   10 |" + row(1, 1, 1),
                "   20 |" + row(0, 1, 1),
                "   30 |" + row(0, 1, 1),
                "      ~",
                "   70 |" + row(0, 1, 1),
                "   80 |" + row(0, 1, 1),
                "   90 |" + row(1, 1, 1),
                "  100 |" + row(1, 1, 1),
                " >100 |" + row(2, 1, 1),
                "", ""));
    }

    @Test
    void linear_emptyUnderAndOverflowRowsAreNotPrinted() {
        Stat s = new Stat(HistogramSpec.linear(0, 10, 1));
        s.add(0);
        s.add(10);
        String text = s.histogramText();
        assertThat(text).doesNotContain("<", ">");
        assertThat(text).startsWith("value |" + DASHES + " count\n    0 |@");
        assertThat(text).endsWith("   10 |" + row(1, 1, 1) + "\n\n");
    }

    @Test
    void linear_negativeStart_valueColumnCountsThePrefix() {
        Stat s = new Stat(HistogramSpec.linear(-100000, 100000, 50000));
        s.add(-200000);
        s.add(-100000);
        s.add(150000); // past [100000, 150000): overflow
        assertThat(s.histogramText()).isEqualTo(String.join("\n",
                "   value |" + DASHES + " count",
                "<-100000 |" + row(1, 1, 1),
                " -100000 |" + row(1, 1, 1),
                "  -50000 |" + row(0, 1, 1),
                "       0 |" + row(0, 1, 1),
                "   50000 |" + row(0, 1, 1),
                "  100000 |" + row(0, 1, 1),
                " >100000 |" + row(1, 1, 1),
                "", ""));
    }

    @Test
    void linear_hugeValueWithNegativeStart_wrapsInto64BitUnderflowAsTheRuntimeDoes() {
        // __stp_stat_add computes value - start in int64: Long.MAX_VALUE - (-10) wraps negative.
        Stat s = new Stat(HistogramSpec.linear(-10, 10, 5));
        s.add(Long.MAX_VALUE);
        assertThat(s.bucket(0)).isEqualTo(1);
        Stat t = new Stat(HistogramSpec.linear(0, 10, 5));
        t.add(Long.MAX_VALUE);
        assertThat(t.bucket(t.bucketCount() - 1)).isEqualTo(1);
    }

    @Test
    void linear_invalidParameters_areRejectedWithStapsRule() {
        assertThatThrownBy(() -> HistogramSpec.linear(0, 10, 0)).hasMessageContaining("interval must be positive");
        assertThatThrownBy(() -> HistogramSpec.linear(0, 1000, 1)).hasMessageContaining("between 1 and 126");
        assertThatThrownBy(() -> HistogramSpec.linear(10, 0, 1)).hasMessageContaining("between 1 and 126");
        assertThat(HistogramSpec.linear(0, 125, 1).buckets()).isEqualTo(128);
    }

    @Test
    void emptyStatistic_histogramIsAnEmptyAggregateError() {
        Stat s = new Stat(HistogramSpec.log());
        assertThatThrownBy(s::histogramText).isInstanceOf(StapRuntimeException.class).hasMessage("empty aggregate");
    }

    @Test
    void logBuckets_boundaries() {
        HistogramSpec log = HistogramSpec.log();
        assertThat(List.of(log.bucketOf(0), log.bucketOf(1), log.bucketOf(2), log.bucketOf(3), log.bucketOf(4)))
                .containsExactly(64, 65, 66, 66, 67);
        assertThat(List.of(log.bucketOf(-1), log.bucketOf(-2), log.bucketOf(-3), log.bucketOf(-4)))
                .containsExactly(63, 62, 62, 61);
        assertThat(log.bucketOf(Long.MAX_VALUE)).isEqualTo(127);
        assertThat(log.bucketOf(Long.MIN_VALUE)).isEqualTo(0);
        assertThat(log.bucketOf(Long.MIN_VALUE + 1)).isEqualTo(1);
        assertThat(HistogramSpec.logBucketValue(63)).isEqualTo(-1);
        assertThat(HistogramSpec.logBucketValue(127)).isEqualTo(1L << 62);
    }

    /** The part of a row after {@code " |"}: bars then the count, for a given scale and count width. */
    private static String row(long count, long scale, int countWidth) {
        long bars = count / scale;
        String c = Long.toString(count);
        return "@".repeat((int) bars) + " ".repeat((int) (50 - bars + 1 + countWidth - c.length())) + c;
    }

    private static void addN(Stat s, int n, long value) {
        for (int i = 0; i < n; i++) {
            s.add(value);
        }
    }
}
