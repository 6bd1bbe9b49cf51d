package org.fleettap.agent.runtime;

/**
 * Renders histogram buckets in the text format of SystemTap's {@code _stp_stat_print_histogram_buf}
 * (runtime/stat-common.c, SystemTap 4.8). The rules, as read from that function:
 *
 * <ol>
 *   <li>Rows run from the lowest to the highest non-empty bucket, widened by up to two buckets on
 *       each side ({@code HIST_MARGIN}). A log histogram does not widen below the bucket of 0 unless
 *       it holds negative values; a linear one drops the under-/overflow rows when they are empty.
 *   <li>A zero row is elided when every bucket within two rows of it ({@code HIST_ELISION}), inside
 *       the printed range, is zero too; a run of elided rows is marked by one {@code ~} line placed
 *       just before the next printed row.
 *   <li>Value column width: the widest of the first and last row labels (linear: {@code start} and
 *       {@code start + interval * highBucket}, in C int arithmetic, plus one for a {@code <} or
 *       {@code >} prefix), and at least 5 ({@code "value"}). Labels are right-aligned, the prefix
 *       just before the digits.
 *   <li>Bars: one {@code @} per {@code count / scale}, where {@code scale} is 1 when the largest
 *       count is at most 50 ({@code HIST_WIDTH}), else the largest count divided by 50 rounded up.
 *   <li>The count is right-aligned so that it ends {@code 50 + 1 + width(largest count)} characters
 *       after the {@code |}. The header is {@code value |} + 50 dashes + {@code " count"}, and a
 *       blank line ends the histogram.
 * </ol>
 */
final class HistogramPrinter {
    static final int HIST_WIDTH = 50;
    static final int HIST_ELISION = 2;
    static final int HIST_MARGIN = 2;

    private HistogramPrinter() {}

    /** Appends the histogram; the caller ensures at least one bucket is non-zero. */
    static void print(HistogramSpec spec, long[] histogram, StringBuilder out) {
        boolean linear = spec.kind() == HistogramSpec.Kind.LINEAR;
        int buckets = histogram.length;
        int low = -1;
        int high = 0;
        long valmax = 0;
        for (int i = 0; i < buckets; i++) {
            if (histogram[i] > 0) {
                if (low == -1) {
                    low = i;
                }
                high = i;
            }
            valmax = Math.max(valmax, histogram[i]);
        }
        if (low == -1) {
            throw new IllegalStateException("empty histogram");
        }
        for (int i = 0; i < HIST_MARGIN; i++) {
            boolean mayWidenLow = linear ? low > 0 : low != HistogramSpec.LOG_BUCKET0 && low > 0;
            if (mayWidenLow) {
                low--;
            }
            if (high < buckets - 1) {
                high++;
            }
        }
        boolean under = false;
        boolean over = false;
        if (linear) {
            if (low == 0 && histogram[0] == 0) {
                low++;
            }
            if (high == buckets - 1 && histogram[high] == 0) {
                high--;
            }
            under = low == 0;
            over = high == buckets - 1;
        }

        long scale = valmax <= HIST_WIDTH ? 1 : (valmax + HIST_WIDTH - 1) / HIST_WIDTH;
        int countSpace = neededSpace(valmax);
        int valueSpace;
        if (linear) {
            int lastLabel = spec.start() + spec.interval() * high; // C int arithmetic, wraps
            valueSpace = Math.max(neededSpace(spec.start()) + (under ? 1 : 0),
                    neededSpace(lastLabel) + (over ? 1 : 0));
        } else {
            valueSpace = Math.max(neededSpace(HistogramSpec.logBucketValue(high)),
                    neededSpace(HistogramSpec.logBucketValue(low)));
        }
        valueSpace = Math.max(valueSpace, "value".length());

        pad(out, valueSpace, "value");
        out.append(" |");
        repeat(out, '-', HIST_WIDTH);
        out.append(" count\n");

        boolean eliding = false;
        for (int i = low; i <= high; i++) {
            if (elide(histogram, i, low, high, buckets)) {
                eliding = true;
                continue;
            }
            if (eliding) {
                repeat(out, ' ', valueSpace);
                out.append(" ~\n");
                eliding = false;
            }
            long label;
            String prefix = "";
            if (!linear) {
                label = HistogramSpec.logBucketValue(i);
            } else if (i == 0) {
                label = spec.start();
                prefix = "<";
            } else if (i == buckets - 1) {
                label = spec.start() + (long) (i - 2) * spec.interval();
                prefix = ">";
            } else {
                label = spec.start() + (long) (i - 1) * spec.interval();
            }
            pad(out, valueSpace - neededSpace(label), prefix);
            out.append(label).append(" |");
            long bars = histogram[i] / scale;
            repeat(out, '@', (int) bars);
            String count = Long.toString(histogram[i]);
            pad(out, (int) (HIST_WIDTH - bars + 1 + countSpace), count);
            out.append('\n');
        }
        out.append('\n');
    }

    private static boolean elide(long[] histogram, int row, int low, int high, int buckets) {
        int maxElide = Math.min(HIST_ELISION, buckets);
        int from = Math.max(low, row - maxElide);
        int to = Math.min(high, row + maxElide);
        for (int k = from; k <= to; k++) {
            if (histogram[k] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Characters {@code %lld} prints for {@code v} ({@code needed_space}). */
    static int neededSpace(long v) {
        return Long.toString(v).length();
    }

    /** {@code %*s}: right-aligned in {@code width}, left-aligned in {@code -width}, never cut. */
    private static void pad(StringBuilder out, int width, String s) {
        if (width < 0) {
            out.append(s);
            repeat(out, ' ', -width - s.length());
        } else {
            repeat(out, ' ', width - s.length());
            out.append(s);
        }
    }

    private static void repeat(StringBuilder out, char c, int n) {
        for (int i = 0; i < n; i++) {
            out.append(c);
        }
    }
}
