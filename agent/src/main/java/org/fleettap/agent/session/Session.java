package org.fleettap.agent.session;

import java.io.PrintStream;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.perf.PerfRecord;
import org.fleettap.agent.perf.RecordConsumer;
import org.fleettap.agent.perf.RecordType;
import org.fleettap.agent.probe.ProbeEngine;
import org.fleettap.agent.probe.ProbeException;
import org.fleettap.agent.symbols.DebugFiles;
import org.fleettap.agent.symbols.ModuleCache;
import org.fleettap.agent.symbols.ModuleTracker;
import org.fleettap.agent.symbols.Symbolizer;
import org.fleettap.agent.target.LaunchedCommand;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.target.TargetException;
import org.fleettap.agent.target.Tasks;

/**
 * Runs one plan on one host: attaches its probes, runs the begin handlers, lets a {@code -c} command go, hands
 * every event to its site's handler in time order (and fires timers), until {@link #exit()} is asked for, the
 * target ends, the limit passes or {@code stop} says so; then drains, runs the end handlers and detaches.
 * Handler errors are reported on {@code err} with the probe point; after {@code maxErrors} more the session stops.
 */
public final class Session implements RecordConsumer {
    private final Plan plan;
    private final EventContext ctx;
    private final Comms comms = new Comms();
    private final Lineage lineage = new Lineage();
    private final Clocks clocks = Clocks.system();
    private final Symbolizer symbolizer = new Symbolizer(new ModuleTracker(new ModuleCache()), DebugFiles.system());
    private final PrintStream err;
    private final int maxErrors;
    private ProbeEngine engine;
    /** What {@link #lost()} says once the rings were drained: hits the kernel counted that never arrived. */
    private long settledLost = -1;
    private long[] nextTimer;
    private int errors;
    private boolean exitRequested;
    private int targetPid;

    public Session(Plan plan, PrintStream err, int maxErrors) {
        this.plan = plan;
        this.err = err;
        this.maxErrors = maxErrors;
        this.ctx = new EventContext(clocks, comms, lineage);
    }

    /** A task of the agent's own (an export), run between handlers. */
    private record Periodic(long periodNanos, Runnable task, long[] next) {
    }

    private final java.util.List<Periodic> periodic = new java.util.ArrayList<>();

    /**
     * Runs {@code task} on the session's thread every {@code period} while the session runs (between handlers,
     * never during one), and once more after the end probes, so that it sees everything the script did.
     */
    public void every(Duration period, Runnable task) {
        if (period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("period must be positive: " + period);
        }
        periodic.add(new Periodic(period.toNanos(), task, new long[1]));
    }

    /** The wall-clock time of the event being handled (or of the session event), unix nanoseconds. */
    public long eventRealtimeNanos() {
        return ctx.realtimeNanos();
    }

    /** Asks the session to end after the current handler (stap's exit()). */
    public void exit() {
        exitRequested = true;
    }

    public Symbolizer symbolizer() {
        return symbolizer;
    }

    /** stap's target(): the pid of the -c command or the -x process, 0 without one. */
    public int targetPid() {
        return targetPid;
    }

    /** Runs the plan for {@code target}; returns the number of handler errors. */
    public int run(Target target, Duration limit, BooleanSupplier stop)
            throws ProbeException, TargetException, MissingFeatureException, InterruptedException {
        long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
        ProbeEngine.Options options = ProbeEngine.Options.of(ProbeEngine.Mode.SAMPLE).withStacks(plan.stackSites())
                .withCommFilters(plan.commFilters());
        settledLost = -1;
        try (ProbeEngine e = plan.sites().isEmpty() ? null : ProbeEngine.attach(plan.sites(), target, options)) {
            this.engine = e;
            nextTimer = new long[plan.timers().size()];
            long now = clocks.monotonicNow();
            for (int i = 0; i < nextTimer.length; i++) {
                nextTimer[i] = now + plan.timers().get(i).periodNanos();
            }
            for (Periodic p : periodic) {
                p.next()[0] = now + p.periodNanos();
            }
            runSessionHandlers(plan.begin(), "begin");
            LaunchedCommand cmd = e == null ? null : e.command().orElse(null);
            targetPid = cmd != null ? cmd.pid() : target instanceof Target.Process p ? p.pid() : 0;
            if (e != null) {
                e.start();
            }
            while (!exitRequested && !stop.getAsBoolean() && System.nanoTime() < deadline) {
                if (cmd != null && !cmd.isAlive()) {
                    break;
                }
                if (target instanceof Target.Process p && !Tasks.isAlive(p.pid())) {
                    break;
                }
                int wait = (int) Math.max(1, Math.min(100, (nextDue() - clocks.monotonicNow()) / 1_000_000));
                if (e != null) {
                    e.poll(wait, this);
                } else {
                    Thread.sleep(wait);
                }
                fireTimers();
                firePeriodic(false);
            }
            if (e != null) {
                e.drain(this);
                settledLost = e.lostEvents();
            }
            runSessionHandlers(plan.end(), "end");
            firePeriodic(true);
            return errors;
        } finally {
            this.engine = null;
        }
    }

    /**
     * Events lost by the kernel so far (full buffers). While the session runs this is what the kernel reported lost
     * (PERF_RECORD_LOST and LOST_SAMPLES): hits the kernel counted but the reader has not read yet are in flight, not
     * lost. Once the rings are drained, and after the run, it is every counted hit that never arrived. It never goes
     * down.
     */
    public long lost() throws ProbeException {
        if (settledLost >= 0) {
            return settledLost;
        }
        ProbeEngine e = engine;
        return e == null ? 0 : e.counters().lost() + e.counters().lostSamples();
    }

    @Override
    public void accept(PerfRecord r) {
        switch (r.type()) {
            case RecordType.COMM -> {
                comms.onComm(r.tid(), r.comm());
                if (r.isExec()) {
                    symbolizer.modules().onExec(r.pid());
                    lineage.onExec(r.pid());
                }
            }
            case RecordType.MMAP2 -> symbolizer.modules().onMmap(r.pid(), r.addr(), r.len(), r.pgoff(), r.prot(),
                    r.filename());
            case RecordType.FORK -> {
                symbolizer.modules().onFork(r.ppid(), r.pid());
                lineage.onFork(r.ppid(), r.pid());
            }
            case RecordType.SAMPLE -> sample(r);
            default -> { }
        }
    }

    private void sample(PerfRecord r) {
        if (exitRequested || r.cookie() < 0) {
            return;
        }
        int site = r.cookie();
        ctx.at(site, plan.sites().get(site), r, engine.format(site));
        invoke(plan.siteHandlers().get(site), plan.sites().get(site).point().toString());
    }

    private void runSessionHandlers(java.util.List<Handler> handlers, String point) {
        for (Handler h : handlers) {
            ctx.atSessionEvent(clocks.monotonicNow(), 0);
            invoke(h, point);
        }
    }

    private void firePeriodic(boolean all) {
        long now = clocks.monotonicNow();
        for (Periodic p : periodic) {
            if (all || now >= p.next()[0]) {
                p.task().run();
                p.next()[0] = now + p.periodNanos();
            }
        }
    }

    private long nextDue() {
        long due = Long.MAX_VALUE;
        for (long t : nextTimer) {
            due = Math.min(due, t);
        }
        for (Periodic p : periodic) {
            due = Math.min(due, p.next()[0]);
        }
        return due == Long.MAX_VALUE ? clocks.monotonicNow() + 100_000_000L : due;
    }

    private void fireTimers() {
        long now = clocks.monotonicNow();
        for (int i = 0; i < nextTimer.length && !exitRequested; i++) {
            if (now >= nextTimer[i]) {
                Plan.Timer t = plan.timers().get(i);
                ctx.atSessionEvent(nextTimer[i], 0);
                invoke(t.handler(), t.point());
                nextTimer[i] += t.periodNanos() * Math.max(1, (now - nextTimer[i]) / t.periodNanos() + 1);
            }
        }
    }

    private void invoke(Handler h, String point) {
        try {
            h.handle(ctx);
        } catch (HandlerException e) {
            errors++;
            err.println("ERROR: " + e.getMessage() + " near probe " + point);
            if (errors > maxErrors) {
                err.println("fleettap: " + errors + " errors (MAXERRORS " + maxErrors + "): stopping the session");
                exitRequested = true;
            }
        }
    }
}
