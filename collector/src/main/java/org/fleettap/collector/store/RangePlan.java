package org.fleettap.collector.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Which windows cover a query range: the coarsest whose windows lie wholly inside the range, finer
 * ones at the edges. With {@code [from, to)} clamped to what windows can start at, the segments
 * are disjoint, ascending and together hold exactly the 1 s windows that start in the range.
 */
final class RangePlan {
    private RangePlan() {}

    /** Windows of one resolution that start in {@code [from, to)}. */
    record Segment(Resolution resolution, long from, long to) {}

    static List<Segment> segments(long from, long to, boolean rollup) {
        long f = Math.max(from, BatchDecoder.MIN_TIME);
        long t = Math.min(to, BatchDecoder.MAX_TIME);
        List<Segment> out = new ArrayList<>(5);
        if (f < t) {
            split(f, t, rollup ? Resolution.HOUR : Resolution.SECOND, out);
        }
        return out;
    }

    private static void split(long from, long to, Resolution r, List<Segment> out) {
        if (from >= to) {
            return;
        }
        if (r == Resolution.SECOND) {
            out.add(new Segment(r, from, to));
            return;
        }
        long a = r.ceil(from);
        long b = r.floor(to);
        if (a >= b) {
            split(from, to, r.finer(), out);
            return;
        }
        split(from, a, r.finer(), out);
        out.add(new Segment(r, a, b));
        split(b, to, r.finer(), out);
    }
}
