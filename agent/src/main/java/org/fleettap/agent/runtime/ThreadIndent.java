package org.fleettap.agent.runtime;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code thread_indent(delta)} and {@code indent(delta)} as the indent.stp tapset computes them:
 *
 * <pre>
 *   ts = gettimeofday_us();  if (!counter[idx]) base[idx] = ts
 *   depth = counter[idx] + max(delta, 0) - 1 (at least 0);  counter[idx] += delta
 *   sprintf("%6d %s:%-*s", ts - base[idx], desc, depth, "")
 * </pre>
 *
 * where {@code desc} is {@code sprintf("%s(%d)", execname(), tid())} for {@code thread_indent} and
 * empty for {@code indent} (one shared counter). The caller passes the event's time in microseconds,
 * the thread id and its name. The tapset's counters are a global array; their MAXMAPENTRIES limit is
 * not enforced here.
 */
public final class ThreadIndent {
    private static final StapFormat LINE = StapFormat.compile("%6d %s:%-*s");
    private static final StapFormat DESC = StapFormat.compile("%s(%d)");
    /** The tapset's index for {@code indent()}, which tracks no thread. */
    private static final long GLOBAL_INDEX = -1;

    private final Map<Long, long[]> state = new HashMap<>(); // idx -> {counter, base timestamp}

    /** {@code thread_indent(delta)}. */
    public String threadIndent(long delta, long tid, String execname, long nowMicros) {
        return indent(tid, DESC.sprintf(execname, tid), delta, nowMicros);
    }

    /** {@code indent(delta)}: not per thread, no name. */
    public String indent(long delta, long nowMicros) {
        return indent(GLOBAL_INDEX, "", delta, nowMicros);
    }

    /** {@code thread_indent_depth(delta)}. */
    public long threadIndentDepth(long delta, long tid) {
        return depth(state.computeIfAbsent(tid, k -> new long[2]), delta);
    }

    private String indent(long index, String desc, long delta, long nowMicros) {
        long[] s = state.computeIfAbsent(index, k -> new long[2]);
        if (s[0] == 0) {
            s[1] = nowMicros;
        }
        long depth = depth(s, delta);
        return LINE.sprintf(nowMicros - s[1], desc, depth, "");
    }

    private static long depth(long[] s, long delta) {
        long x = s[0] + (delta > 0 ? delta : 0);
        s[0] += delta;
        return x > 0 ? x - 1 : 0;
    }
}
