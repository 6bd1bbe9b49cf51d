package org.fleettap.agent.probe;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fleettap.agent.feature.DynamicPmu;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.internal.sys.Errno;
import org.fleettap.agent.internal.sys.NativeException;
import org.fleettap.agent.perf.PerfEvent;
import org.fleettap.agent.perf.PerfEventAttr;
import org.fleettap.agent.target.LaunchedCommand;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.target.TargetException;
import org.fleettap.agent.target.Tasks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probe sites attached to the kernel for one target. In {@link Mode#COUNT} every site is a kernel counter that is
 * read, and no event ever reaches user space. Closing detaches everything and stops a command that still runs.
 */
public final class ProbeEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProbeEngine.class);

    /** How hits reach fleettap. */
    public enum Mode {
        /** Kernel counters, read on demand. */
        COUNT
    }

    private final List<ProbeSite> sites;
    private final List<List<PerfEvent>> events;
    private final List<Memory> pathBuffers = new ArrayList<>();
    private final LaunchedCommand command;
    private boolean closed;

    private ProbeEngine(List<ProbeSite> sites, LaunchedCommand command) {
        this.sites = List.copyOf(sites);
        this.command = command;
        this.events = new ArrayList<>();
        for (int i = 0; i < sites.size(); i++) {
            events.add(new ArrayList<>());
        }
    }

    /**
     * Attaches {@code sites} for {@code target}. A command target is started held at its gate; call
     * {@link #start()} to let it run. On failure everything attached so far is detached.
     */
    public static ProbeEngine attach(List<ProbeSite> sites, Target target, Mode mode)
            throws ProbeException, TargetException, MissingFeatureException {
        if (sites.isEmpty()) {
            throw new ProbeException("no probe sites to attach");
        }
        LaunchedCommand cmd = target instanceof Target.Command c ? LaunchedCommand.start(c.commandLine()) : null;
        ProbeEngine engine = new ProbeEngine(sites, cmd);
        try {
            engine.attachAll(target);
            return engine;
        } catch (ProbeException | TargetException | MissingFeatureException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    private void attachAll(Target target) throws ProbeException, TargetException, MissingFeatureException {
        List<Integer> cpus = Tasks.onlineCpus();
        int commandPid = command == null ? -1 : command.pid();
        for (int i = 0; i < sites.size(); i++) {
            ProbeSite site = sites.get(i);
            Scope scope = site instanceof CpuClockSite ? Scope.systemWide(cpus)
                    : Scope.forTarget(target, commandPid, false, cpus);
            openSite(i, site, scope);
        }
        if (target instanceof Target.Process p) {
            followNewThreads(p.pid());
        }
    }

    /** Threads created while we attached were not covered by inherit: open on them until the set is stable. */
    private void followNewThreads(int pid) throws ProbeException, TargetException, MissingFeatureException {
        Set<Integer> seen = new HashSet<>(Tasks.threadsOf(pid));
        for (int round = 0; round < 10; round++) {
            List<Integer> fresh = new ArrayList<>();
            for (int tid : Tasks.threadsOf(pid)) {
                if (seen.add(tid)) {
                    fresh.add(tid);
                }
            }
            if (fresh.isEmpty()) {
                return;
            }
            for (int i = 0; i < sites.size(); i++) {
                if (!(sites.get(i) instanceof CpuClockSite)) {
                    openSite(i, sites.get(i), Scope.tasks(fresh, false, List.of()));
                }
            }
        }
    }

    private void openSite(int index, ProbeSite site, Scope scope) throws ProbeException, MissingFeatureException {
        PerfEventAttr.Builder attr;
        Pointer keepAlive = null;
        if (site instanceof UprobeSite u) {
            if (u.needsTracefs()) {
                throw new ProbeException(site.describe() + ": probes that read memory are not supported yet");
            }
            DynamicPmu pmu = KernelFeatures.system().uprobePmu();
            Memory path = new Memory(u.binary().toString().getBytes().length + 1L);
            path.setString(0, u.binary().toString());
            pathBuffers.add(path);
            keepAlive = path;
            attr = PerfEventAttr.builder(pmu.type(), pmu.config(u.retprobe(), u.refCtrOffset()))
                    .config1(Pointer.nativeValue(path))
                    .config2(u.fileOffset());
        } else if (site instanceof CpuClockSite c) {
            attr = PerfEventAttr.builder(PerfEventAttr.TYPE_SOFTWARE, PerfEventAttr.SW_CPU_CLOCK);
        } else {
            throw new ProbeException(site.describe() + ": tracepoints are not supported yet");
        }
        attr.inherit(scope.inherit());
        PerfEventAttr built = attr.build();
        for (int[] pc : scope.pairs()) {
            try {
                events.get(index).add(PerfEvent.open(built, pc[0], pc[1], keepAlive));
            } catch (NativeException e) {
                throw attachError(site, pc[0], pc[1], e);
            }
        }
        log.debug("attached {} on {} (pid, cpu) pairs", site.describe(), scope.pairs().size());
    }

    static ProbeException attachError(ProbeSite site, int pid, int cpu, NativeException e) {
        String where = (pid == -1 ? "all processes" : "pid " + pid) + (cpu == -1 ? "" : ", cpu " + cpu);
        if (e.errno() == Errno.EACCES || e.errno() == Errno.EPERM) {
            return new ProbeException("attaching " + site.describe() + " (" + where + "): permission denied: "
                    + "fleettap needs root, or CAP_PERFMON and CAP_SYS_ADMIN", e);
        }
        if (e.errno() == Errno.ESRCH) {
            return new ProbeException("attaching " + site.describe() + ": process " + pid + " has exited", e);
        }
        return new ProbeException("attaching " + site.describe() + " (" + where + "): " + e.getMessage(), e);
    }

    /** Lets a held command run. */
    public void start() throws TargetException {
        if (command != null) {
            command.release();
        }
    }

    public Optional<LaunchedCommand> command() {
        return Optional.ofNullable(command);
    }

    public List<ProbeSite> sites() {
        return sites;
    }

    /** Hits of site {@code index} so far (the sum of its kernel counters). */
    public long hits(int index) throws ProbeException {
        long total = 0;
        for (PerfEvent e : events.get(index)) {
            try {
                total += e.readCount();
            } catch (NativeException ex) {
                throw new ProbeException("reading " + sites.get(index).describe() + ": " + ex.getMessage(), ex);
            }
        }
        return total;
    }

    /** The number of perf events open, over all sites. */
    public int openEvents() {
        return events.stream().mapToInt(List::size).sum();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (List<PerfEvent> list : events) {
            for (PerfEvent e : list) {
                e.close();
            }
            list.clear();
        }
        pathBuffers.clear();
        if (command != null) {
            command.close();
        }
    }
}
