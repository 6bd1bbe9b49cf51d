package org.fleettap.agent.probe;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.fleettap.agent.feature.DynamicPmu;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.internal.sys.Errno;
import org.fleettap.agent.internal.sys.NativeException;
import org.fleettap.agent.internal.sys.Syscalls;
import org.fleettap.agent.perf.CpuMerger;
import org.fleettap.agent.perf.IdRegistry;
import org.fleettap.agent.perf.PerfBuffer;
import org.fleettap.agent.perf.PerfEvent;
import org.fleettap.agent.perf.PerfEventAttr;
import org.fleettap.agent.perf.PerfRecord;
import org.fleettap.agent.perf.RecordConsumer;
import org.fleettap.agent.perf.RecordCounters;
import org.fleettap.agent.perf.RecordType;
import org.fleettap.agent.perf.RingBuffer;
import org.fleettap.agent.perf.SampleFormat;
import org.fleettap.agent.perf.SampleType;
import org.fleettap.agent.perf.X86Reg;
import org.fleettap.agent.target.LaunchedCommand;
import org.fleettap.agent.target.PidNamespace;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.target.TargetException;
import org.fleettap.agent.target.Tasks;
import org.fleettap.agent.tracefs.DynamicUprobe;
import org.fleettap.agent.tracefs.Tracefs;
import org.fleettap.agent.tracefs.TracepointFormat;
import org.fleettap.agent.tracefs.Tracepoints;
import org.fleettap.agent.tracefs.UprobeEventSpec;
import org.fleettap.agent.tracefs.UprobeEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probe sites attached to the kernel for one target.
 *
 * <p>In {@link Mode#COUNT} every site is a kernel counter that is read: no event ever reaches user space. In
 * {@link Mode#SAMPLE} every hit is a record in the ring buffer of its CPU (one buffer per CPU shared by all events
 * through PERF_EVENT_IOC_SET_OUTPUT); {@link #poll} hands records to a consumer in timestamp order across CPUs.
 * Each record's cookie is the index of its site. Closing detaches everything (perf events, then the buffers whose
 * mappings hold them, then tracefs events) and stops a command that still runs.
 *
 * <p>In a child PID namespace (a container, a host simulated on one machine) the engine sees only that namespace's
 * processes, as the host it stands for would: a probe opened for every process fires for every process on the
 * machine, and the records of tasks outside the namespace (pid and tid 0, {@link PerfRecord#isOfInvisibleTask()})
 * are dropped before consumers see them and counted apart ({@link #otherNamespaceHits}), never as lost. Kernel
 * counters cannot tell namespaces apart, so {@link Mode#COUNT} refuses probes on every process there.
 */
public final class ProbeEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProbeEngine.class);
    private static final AtomicInteger ENGINES = new AtomicInteger();
    private static volatile boolean staleGroupsRemoved;

    /** How hits reach fleettap. */
    public enum Mode {
        /** Kernel counters, read on demand. */
        COUNT,
        /** A record per hit, through per-CPU ring buffers. */
        SAMPLE
    }

    /**
     * Ring buffer and ordering settings for {@link Mode#SAMPLE}, and which sites' records carry the user stack:
     * a frame-pointer callchain, the user registers and a copy of the top {@code stackBytes} of the stack (for CFI
     * unwinding where there are no frame pointers). Only sites whose handlers ask for a stack pay for it.
     */
    public record Options(Mode mode, int dataPages, long reorderWindowNanos, Set<Integer> stackSites,
            int stackBytes, Map<Integer, String> commFilters) {
        public static final int DEFAULT_DATA_PAGES = 1024;
        public static final long DEFAULT_REORDER_WINDOW_NANOS = 10_000_000;
        /** Enough for the frames between a libc wait and the application code that called it. */
        public static final int DEFAULT_STACK_BYTES = 8192;

        public Options {
            if (Integer.bitCount(dataPages) != 1) {
                throw new IllegalArgumentException("data pages must be a power of two: " + dataPages);
            }
            if (reorderWindowNanos < 0) {
                throw new IllegalArgumentException("negative reorder window");
            }
            stackSites = Set.copyOf(stackSites);
            commFilters = Map.copyOf(commFilters);
            if (stackBytes <= 0 || stackBytes > 65000 || stackBytes % 8 != 0) {
                throw new IllegalArgumentException("stack bytes must be a multiple of 8 in (0, 65000]: " + stackBytes);
            }
            if (!stackSites.isEmpty() && mode != Mode.SAMPLE) {
                throw new IllegalArgumentException("stacks are only sampled in SAMPLE mode");
            }
        }

        public Options(Mode mode, int dataPages, long reorderWindowNanos, Set<Integer> stackSites, int stackBytes) {
            this(mode, dataPages, reorderWindowNanos, stackSites, stackBytes, Map.of());
        }

        public static Options of(Mode mode) {
            return new Options(mode, DEFAULT_DATA_PAGES, DEFAULT_REORDER_WINDOW_NANOS, Set.of(), DEFAULT_STACK_BYTES);
        }

        /** These options, with the user stack sampled at {@code sites}. */
        public Options withStacks(Set<Integer> sites) {
            return new Options(mode, dataPages, reorderWindowNanos, sites, stackBytes, commFilters);
        }

        /**
         * These options, with the sites whose hits matter only in tasks of a given name (site index to name): where
         * the site is a tracepoint-type event (tracepoints, syscalls, tracefs uprobes) the kernel is told to make
         * records only for tasks of that name ({@code comm == "NAME"}), so that other processes' hits never fill
         * the ring buffers. The handlers still check the name; a kernel that refuses the filter costs only records.
         */
        public Options withCommFilters(Map<Integer, String> filters) {
            return new Options(mode, dataPages, reorderWindowNanos, stackSites, stackBytes, filters);
        }
    }

    /** The user registers sampled with a stack: every general-purpose register (no flags or segments). */
    public static final long STACK_REGS = X86Reg.mask(X86Reg.AX, X86Reg.BX, X86Reg.CX, X86Reg.DX, X86Reg.SI,
            X86Reg.DI, X86Reg.BP, X86Reg.SP, X86Reg.IP, X86Reg.R8, X86Reg.R9, X86Reg.R10, X86Reg.R11, X86Reg.R12,
            X86Reg.R13, X86Reg.R14, X86Reg.R15);

    private final int engineNumber = ENGINES.incrementAndGet();
    private final List<ProbeSite> sites;
    private final Options options;
    private final List<List<PerfEvent>> events = new ArrayList<>();
    private final List<DynamicUprobe> dynamicEvents = new ArrayList<>();
    private final TracepointFormat[] formats;
    private final DynamicUprobe[] dynamicBySite;
    private final long[] delivered;
    /** Per site, records of tasks outside this PID namespace, dropped (only in a child namespace). */
    private final long[] otherNamespaces;
    private final boolean childNamespace = !PidNamespace.current().isInitial();
    private final TreeMap<Integer, PerfBuffer> buffers = new TreeMap<>();
    private final IdRegistry registry = new IdRegistry();
    private final RecordCounters counters = new RecordCounters();
    private final List<Memory> pathBuffers = new ArrayList<>();
    private final LaunchedCommand command;
    private Tracefs tracefs;
    private UprobeEvents uprobeEvents;
    private CpuMerger merger;
    private int[] pollFds = new int[0];
    private short[] pollEvents = new short[0];
    private boolean closed;

    private ProbeEngine(List<ProbeSite> sites, Options options, LaunchedCommand command) {
        this.sites = List.copyOf(sites);
        this.options = options;
        this.command = command;
        this.formats = new TracepointFormat[sites.size()];
        this.dynamicBySite = new DynamicUprobe[sites.size()];
        this.delivered = new long[sites.size()];
        this.otherNamespaces = new long[sites.size()];
        for (int i = 0; i < sites.size(); i++) {
            events.add(new ArrayList<>());
        }
    }

    public static ProbeEngine attach(List<ProbeSite> sites, Target target, Mode mode)
            throws ProbeException, TargetException, MissingFeatureException {
        return attach(sites, target, Options.of(mode));
    }

    /**
     * Attaches {@code sites} for {@code target}. A command target is started held at its gate; call
     * {@link #start()} to let it run. On failure everything attached so far is detached.
     */
    public static ProbeEngine attach(List<ProbeSite> sites, Target target, Options options)
            throws ProbeException, TargetException, MissingFeatureException {
        if (sites.isEmpty()) {
            throw new ProbeException("no probe sites to attach");
        }
        LaunchedCommand cmd = target instanceof Target.Command c ? LaunchedCommand.start(c.commandLine()) : null;
        ProbeEngine engine = new ProbeEngine(sites, options, cmd);
        try {
            long t0 = System.nanoTime();
            engine.attachAll(target);
            log.debug("attached {} sites ({} perf events) in {} ms", sites.size(), engine.openEvents(),
                    (System.nanoTime() - t0) / 1_000_000);
            return engine;
        } catch (ProbeException | TargetException | MissingFeatureException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    private boolean sampling() {
        return options.mode() == Mode.SAMPLE;
    }

    private void attachAll(Target target) throws ProbeException, TargetException, MissingFeatureException {
        removeStaleEvents();
        List<Integer> cpus = Tasks.onlineCpus();
        int commandPid = command == null ? -1 : command.pid();
        for (int i = 0; i < sites.size(); i++) {
            ProbeSite site = sites.get(i);
            Scope scope = isSystemWide(site) ? Scope.systemWide(cpus)
                    : Scope.forTarget(target, commandPid, sampling(), cpus);
            if (childNamespace && !sampling() && scope.everyProcess()) {
                throw new ProbeException("counting " + site.describe() + " on every process from a child PID "
                        + "namespace would count the processes of other namespaces too; sample the hits instead");
            }
            openSite(i, site, scope);
        }
        if (target instanceof Target.Process p) {
            followNewThreads(p.pid(), cpus);
        }
        if (sampling()) {
            List<RingBuffer> rings = new ArrayList<>();
            pollFds = new int[buffers.size()];
            pollEvents = new short[buffers.size()];
            int k = 0;
            for (PerfBuffer b : buffers.values()) {
                rings.add(b.ring());
                pollFds[k++] = b.owner().fd();
            }
            merger = new CpuMerger(rings, options.reorderWindowNanos());
        }
    }

    /**
     * The cpu clock samples every CPU whatever the target; kprobes are kernel code, and the kprobe PMU (like the
     * uprobe PMU) cannot be inherited, so they are opened per CPU for every process.
     */
    private static boolean isSystemWide(ProbeSite site) {
        return site instanceof CpuClockSite || site instanceof KprobeSite;
    }

    /** Threads created while we attached were not covered by inherit: open on them until the set is stable. */
    private void followNewThreads(int pid, List<Integer> cpus)
            throws ProbeException, TargetException, MissingFeatureException {
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
                if (!isSystemWide(sites.get(i))) {
                    openSite(i, sites.get(i), Scope.tasks(fresh, sampling(), cpus));
                }
            }
        }
    }

    private void openSite(int index, ProbeSite site, Scope scope) throws ProbeException, MissingFeatureException {
        PerfEventAttr.Builder attr;
        Pointer keepAlive = null;
        long period = 1;
        // Lean records: the CPU is the ring buffer's (one per CPU). A uprobe's address is its site's, but not a
        // uretprobe's return address (uaddr()): uprobes sample IP.
        long sampleBits = SampleType.TID | SampleType.TIME | (site instanceof UprobeSite ? SampleType.IP : 0);
        // A uprobe with a comm filter is a tracefs event: only tracepoint-type events take filters.
        if (site instanceof UprobeSite u && !u.needsTracefs() && !scope.inherit()
                && !options.commFilters().containsKey(index)) {
            // The uprobe PMU reads its path from the opener's memory again whenever the event is inherited (at
            // every fork or thread start of the target, in the target's address space, where it fails with
            // EFAULT and so does the clone). Only events that are never inherited may use it.
            DynamicPmu pmu = KernelFeatures.system().uprobePmu();
            Memory path = cString(u.binary().toString());
            keepAlive = path;
            attr = PerfEventAttr.builder(pmu.type(), pmu.config(u.retprobe(), u.refCtrOffset()))
                    .config1(Pointer.nativeValue(path))
                    .config2(u.fileOffset());
        } else if (site instanceof UprobeSite u) {
            DynamicUprobe dyn = dynamicEvent(index, u);
            formats[index] = dyn.format();
            attr = PerfEventAttr.builder(PerfEventAttr.TYPE_TRACEPOINT, dyn.id());
            sampleBits |= u.needsTracefs() ? SampleType.RAW : 0;
        } else if (site instanceof KprobeSite k) {
            DynamicPmu pmu = KernelFeatures.system().kprobePmu();
            Memory name = cString(k.function());
            keepAlive = name;
            attr = PerfEventAttr.builder(pmu.type(), pmu.config(k.retprobe(), 0))
                    .config1(Pointer.nativeValue(name))
                    .config2(0);
        } else if (site instanceof TracepointSite t) {
            String name = t.system() + ":" + t.event();
            try {
                Tracepoints tp = new Tracepoints(tracefs());
                formats[index] = tp.format(name);
                attr = PerfEventAttr.builder(PerfEventAttr.TYPE_TRACEPOINT, tp.id(name));
            } catch (IOException e) {
                throw new ProbeException("attaching " + site.describe() + ": " + e.getMessage(), e);
            }
            sampleBits |= SampleType.RAW;
        } else {
            CpuClockSite c = (CpuClockSite) site;
            attr = PerfEventAttr.builder(PerfEventAttr.TYPE_SOFTWARE, PerfEventAttr.SW_CPU_CLOCK);
            period = c.periodNanos();
            sampleBits |= SampleType.IP;
        }
        attr.inherit(scope.inherit());
        if (command != null && !isSystemWide(site)) {
            // Held at its gate, the command's shell execs it: the events start there, as perf stat's do. Events
            // enabled before the exec lose hits in children that run concurrently (seen with pipelines).
            attr.disabled(true).enableOnExec(true);
        }
        if (sampling()) {
            if (options.stackSites().contains(index)) {
                sampleBits |= SampleType.CALLCHAIN | SampleType.REGS_USER | SampleType.STACK_USER;
                attr.sampleRegsUser(STACK_REGS).sampleStackUser(options.stackBytes()).excludeCallchainKernel(true);
            }
            int dataBytes = options.dataPages() * PerfBuffer.PAGE_SIZE;
            attr.sample(period, sampleBits).wakeupWatermark(Math.max(PerfBuffer.PAGE_SIZE, dataBytes / 4));
        }
        PerfEventAttr built = attr.build();
        // The first event of each CPU also reports exec/comm, fork and exit, so consumers can name processes.
        PerfEventAttr firstOfCpu = sampling() ? attr.sideBand(true).build() : built;
        SampleFormat format = sampling()
                ? SampleFormat.of(built.sampleType(), built.sampleRegsUser(), built.sampleIdAll()) : null;
        for (int[] pc : scope.pairs()) {
            try {
                boolean first = sampling() && !buffers.containsKey(pc[1]);
                PerfEvent e = PerfEvent.open(first ? firstOfCpu : built, pc[0], pc[1], keepAlive);
                events.get(index).add(e);
                filter(e, index, site, built);
                if (sampling()) {
                    registry.register(e.id(), format, index);
                    route(e);
                }
            } catch (NativeException e) {
                throw attachError(site, pc[0], pc[1], e);
            }
        }
        log.debug("attached {} on {} (pid, cpu) pairs", site.describe(), scope.pairs().size());
    }

    /** Sets the site's comm filter on a tracepoint-type event (see {@link Options#withCommFilters}). */
    private void filter(PerfEvent e, int index, ProbeSite site, PerfEventAttr attr) {
        String comm = options.commFilters().get(index);
        if (comm == null || attr.type() != PerfEventAttr.TYPE_TRACEPOINT) {
            return;
        }
        try {
            e.setFilter("comm == \"" + comm + "\"");
        } catch (NativeException ex) {
            log.debug("{}: the kernel refused the filter comm == \"{}\"; the handler filters instead",
                    site.describe(), comm, ex);
        }
    }

    /** A NUL-terminated copy of {@code s} in native memory, kept until the engine closes. */
    private Memory cString(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        Memory m = new Memory(bytes.length + 1L);
        m.write(0, bytes, 0, bytes.length);
        m.setByte(bytes.length, (byte) 0);
        pathBuffers.add(m);
        return m;
    }

    /** Sends a sampled event's records to its CPU's ring buffer, mapping the buffer for the CPU's first event. */
    private void route(PerfEvent e) throws NativeException {
        PerfBuffer buffer = buffers.get(e.cpu());
        if (buffer == null) {
            buffers.put(e.cpu(), PerfBuffer.map(e, options.dataPages(), registry, counters));
        } else {
            e.setOutput(buffer.owner());
        }
    }

    /** The tracefs event of site {@code index}, created on first use (a site may be opened in several rounds). */
    private DynamicUprobe dynamicEvent(int index, UprobeSite u) throws ProbeException, MissingFeatureException {
        if (dynamicBySite[index] != null) {
            return dynamicBySite[index];
        }
        try {
            UprobeEvents ue = uprobeEvents();
            String event = ("e" + engineNumber + "_" + index + "_" + u.name().replaceAll("[^A-Za-z0-9_]", "_"))
                    .replaceAll("_+", "_");
            if (event.length() > 60) {
                event = event.substring(0, 60);
            }
            UprobeEventSpec.Builder spec = UprobeEventSpec.builder(UprobeEvents.ownGroup(), event, u.binary(),
                    u.fileOffset()).retprobe(u.retprobe());
            if (u.refCtrOffset() != 0) {
                spec.refCtrOffset(u.refCtrOffset());
            }
            u.fetchArgs().forEach(spec::arg);
            DynamicUprobe dyn = ue.create(spec.build());
            dynamicEvents.add(dyn);
            dynamicBySite[index] = dyn;
            return dyn;
        } catch (IOException | IllegalArgumentException e) {
            throw new ProbeException("attaching " + u.describe() + ": " + e.getMessage(), e);
        }
    }

    private Tracefs tracefs() throws ProbeException, MissingFeatureException {
        if (tracefs == null) {
            try {
                tracefs = Tracefs.locate();
            } catch (IOException e) {
                throw new ProbeException(e.getMessage(), e);
            }
        }
        return tracefs;
    }

    private UprobeEvents uprobeEvents() throws ProbeException, MissingFeatureException {
        if (uprobeEvents == null) {
            uprobeEvents = UprobeEvents.open(tracefs());
        }
        return uprobeEvents;
    }

    /**
     * Removes the tracefs events of agents that died without cleaning up (after SIGKILL nothing else of theirs
     * remains: the kernel closed their perf events). Once per process; a kernel without uprobe_events has none.
     */
    private void removeStaleEvents() throws ProbeException {
        synchronized (ProbeEngine.class) {
            if (staleGroupsRemoved) {
                return;
            }
            staleGroupsRemoved = true;
        }
        try {
            int n = uprobeEvents().removeStaleGroups();
            if (n > 0) {
                log.info("removed {} uprobe events left by fleettap agents that are no longer running", n);
            }
        } catch (MissingFeatureException e) {
            log.debug("no stale tracefs events to remove: {}", e.getMessage());
        } catch (IOException e) {
            throw new ProbeException("removing tracefs events of dead agents: " + e.getMessage(), e);
        }
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
        if (e.errno() == Errno.EMFILE) {
            return new ProbeException("attaching " + site.describe() + ": out of file descriptors (raise "
                    + "'ulimit -n'; every probe takes one per CPU or thread)", e);
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

    /** The record layout of a tracepoint or dynamic-event site, for decoding its raw data; null for others. */
    public TracepointFormat format(int index) {
        return formats[index];
    }

    /**
     * Hits of site {@code index} so far: the sum of its kernel counters, which count every hit whether or not its
     * record reached a buffer.
     */
    public long hits(int index) throws ProbeException {
        long total = 0;
        for (PerfEvent e : events.get(index)) {
            try {
                total += e.readCount();
            } catch (NativeException ex) {
                throw new ProbeException("reading " + sites.get(index).describe() + ": " + ex.getMessage(), ex);
            }
        }
        if (sites.get(index) instanceof CpuClockSite c) {
            return total / c.periodNanos(); // cpu-clock counts nanoseconds of CPU time
        }
        return total;
    }

    /**
     * Waits up to {@code timeoutMillis} for data, then delivers the records that are due, in timestamp order.
     * Returns how many were delivered.
     */
    public int poll(int timeoutMillis, RecordConsumer consumer) throws ProbeException {
        requireSampling();
        try {
            Syscalls.poll(pollFds, pollEvents, timeoutMillis);
        } catch (NativeException e) {
            throw new ProbeException("waiting for events: " + e.getMessage(), e);
        }
        return merger.poll(System.nanoTime(), counting(consumer));
    }

    /** Delivers every record still in the buffers (at the end of a run). */
    public int drain(RecordConsumer consumer) {
        requireSampling();
        return merger.flush(counting(consumer));
    }

    private RecordConsumer counting(RecordConsumer consumer) {
        return r -> {
            if (childNamespace && r.isOfInvisibleTask()) {
                if (r.type() == RecordType.SAMPLE && r.cookie() >= 0) {
                    otherNamespaces[r.cookie()]++;
                }
                return;
            }
            if (r.type() == RecordType.SAMPLE && r.cookie() >= 0) {
                delivered[r.cookie()]++;
            }
            consumer.accept(r);
        };
    }

    /**
     * Hits of site {@code index} in processes outside this engine's PID namespace, whose records were dropped (always
     * 0 in the initial namespace, which sees every process).
     */
    public long otherNamespaceHits(int index) {
        return otherNamespaces[index];
    }

    /** Samples of site {@code index} delivered to consumers so far. */
    public long delivered(int index) {
        return delivered[index];
    }

    /**
     * Hits whose records never reached a consumer: the kernel counters minus what was delivered and what belonged to
     * other PID namespaces, over the probe sites (a full buffer reports its losses only with its next record, so the
     * counters are the exact figure).
     * Meaningful once the target has stopped and the buffers are drained.
     */
    public long missed() throws ProbeException {
        long n = 0;
        for (int i = 0; i < sites.size(); i++) {
            if (!(sites.get(i) instanceof CpuClockSite)) {
                n += Math.max(0, hits(i) - delivered[i] - otherNamespaces[i]);
            }
        }
        return n;
    }

    /**
     * Events lost so far, as exactly as the kernel lets us know: hits counted but never delivered ({@link #missed()},
     * exact once the rings are drained), at least what the kernel reported lost (PERF_RECORD_LOST, LOST_SAMPLES).
     */
    public long lostEvents() throws ProbeException {
        return Math.max(missed(), counters.lost() + counters.lostSamples());
    }

    /** Records read, lost and throttled so far, over all CPUs. */
    public RecordCounters counters() {
        return counters;
    }

    /** Events the kernel dropped for site {@code index} because its buffer was full. */
    public long lost(int index) {
        long n = 0;
        for (PerfEvent e : events.get(index)) {
            n += registry.lost(e.id());
        }
        return n;
    }

    private void requireSampling() {
        if (!sampling()) {
            throw new IllegalStateException("only a SAMPLE engine delivers records");
        }
    }

    /** The number of perf events open, over all sites. */
    public int openEvents() {
        return events.stream().mapToInt(List::size).sum();
    }

    /** The tracefs events this engine created (live until {@link #close()}). */
    public List<String> dynamicEventNames() {
        List<String> names = new ArrayList<>();
        for (DynamicUprobe d : dynamicEvents) {
            names.add(d.spec().qualifiedName());
        }
        return names;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long t0 = System.nanoTime();
        int n = openEvents();
        for (List<PerfEvent> list : events) {
            for (PerfEvent e : list) {
                e.close();
            }
            list.clear();
        }
        for (PerfBuffer b : buffers.values()) {
            b.close();
        }
        buffers.clear();
        for (DynamicUprobe d : dynamicEvents) {
            try {
                d.close();
            } catch (IOException e) {
                log.warn("removing tracefs event {}: {}", d.spec().qualifiedName(), e.getMessage());
            }
        }
        dynamicEvents.clear();
        pathBuffers.clear();
        log.debug("detached {} perf events in {} ms", n, (System.nanoTime() - t0) / 1_000_000);
        if (command != null) {
            command.close();
        }
    }
}
