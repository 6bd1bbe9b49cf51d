package org.fleettap.agent.session;

import org.fleettap.agent.perf.PerfRecord;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.probe.UsdtArguments;
import org.fleettap.agent.tracefs.TracepointFormat;

/**
 * What a probe handler sees of one event: which probe fired, in which task and on which CPU, and when — the
 * event's own time, not the time the session got to it. A mutable view re-pointed at each event; valid only during
 * the handler call.
 */
public final class EventContext {
    private final Clocks clocks;
    private final Comms comms;
    private final Lineage lineage;
    private ProbeSite site;
    private int siteIndex = -1;
    private PerfRecord record;
    private TracepointFormat format;
    private long monotonicNanos;
    private int pid;
    private int tid;
    private int cpu;

    EventContext(Clocks clocks, Comms comms, Lineage lineage) {
        this.clocks = clocks;
        this.comms = comms;
        this.lineage = lineage;
    }

    /**
     * A context for running handlers outside a session (benchmarks, tests): session events at a fixed time on
     * CPU 0, thread names from /proc.
     */
    public static EventContext detached() {
        EventContext c = new EventContext(Clocks.system(), new Comms(), new Lineage());
        c.atSessionEvent(System.nanoTime(), 0);
        return c;
    }

    /** Points this view at a kernel event. */
    void at(int siteIndex, ProbeSite site, PerfRecord r, TracepointFormat format) {
        this.siteIndex = siteIndex;
        this.site = site;
        this.record = r;
        this.format = format;
        this.monotonicNanos = r.time();
        this.pid = r.pid();
        this.tid = r.tid();
        this.cpu = r.cpu();
    }

    /** Points this view at a session event (begin, end, a timer): no task, the session's own time. */
    void atSessionEvent(long monotonicNanos, int cpu) {
        this.siteIndex = -1;
        this.site = null;
        this.record = null;
        this.format = null;
        this.monotonicNanos = monotonicNanos;
        this.pid = 0;
        this.tid = 0;
        this.cpu = cpu;
    }

    /** The probe site that fired, or null for begin/end/timer events. */
    public ProbeSite site() {
        return site;
    }

    public int siteIndex() {
        return siteIndex;
    }

    /** The kernel record, or null for session events. */
    public PerfRecord record() {
        return record;
    }

    public int pid() {
        return pid;
    }

    public int tid() {
        return tid;
    }

    public int cpu() {
        return cpu;
    }

    /** The event's time, CLOCK_MONOTONIC nanoseconds. */
    public long monotonicNanos() {
        return monotonicNanos;
    }

    /** The event's wall-clock time in nanoseconds since the epoch (gettimeofday_ns and friends). */
    public long realtimeNanos() {
        return clocks.toRealtime(monotonicNanos);
    }

    /** The name of the event's thread (execname()), from the kernel's COMM records or /proc. */
    public String execname() {
        return pid == 0 ? "swapper" : comms.name(pid, tid);
    }

    /** The event's process's parent (ppid()): 0 for session events and for a process gone and never seen forking. */
    public int ppid() {
        return pid == 0 ? 0 : lineage.of(pid).ppid();
    }

    /** The real user id of the event's process (uid()); -1 where it is unknown, 0 for session events. */
    public int uid() {
        return pid == 0 ? 0 : lineage.of(pid).uid();
    }

    /** The effective user id (euid()). */
    public int euid() {
        return pid == 0 ? 0 : lineage.of(pid).euid();
    }

    /** A tracepoint field or a dynamic event's fetch arg, by name, as a number. */
    public long field(String name) {
        if (format == null || record == null) {
            throw new IllegalStateException("no fields at " + (site == null ? "a session event" : site.describe()));
        }
        return format.requireField(name).readLong(record.buffer(), record.rawOffset());
    }

    /** A string field (a fetched user string or a tracepoint's __data_loc string). */
    public String stringField(String name) {
        if (format == null || record == null) {
            throw new IllegalStateException("no fields at " + (site == null ? "a session event" : site.describe()));
        }
        return format.requireField(name).readString(record.buffer(), record.rawOffset());
    }

    /**
     * A string the probe read from user memory (a {@code :string} fetch arg), or null where the kernel could not
     * read it (it records a fault as an empty location; an empty string still has its NUL).
     */
    public String fetchedString(String name) {
        if (format == null || record == null) {
            throw new IllegalStateException("no fields at " + (site == null ? "a session event" : site.describe()));
        }
        byte[] bytes = format.requireField(name).readBytes(record.buffer(), record.rawOffset());
        if (bytes.length == 0) {
            return null;
        }
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The values of a USDT mark's arguments ($arg1..$argN). */
    public long[] markArguments() {
        if (!(site instanceof UprobeSite u) || u.markArgs().isEmpty()) {
            return new long[0];
        }
        return UsdtArguments.decode(u, format, record.buffer(), record.rawOffset());
    }
}
