package org.fleettap.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.fleettap.agent.compiler.CompiledScript;
import org.fleettap.agent.compiler.ScriptCompiler;
import org.fleettap.agent.daemon.SequenceStore;
import org.fleettap.agent.export.Exporter;
import org.fleettap.agent.export.OutputLines;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.script.Compilation;
import org.fleettap.agent.script.Frontend;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.session.EventContext;
import org.fleettap.agent.session.Handler;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.transport.GrpcTransport;
import org.fleettap.agent.transport.Spool;
import org.fleettap.agent.transport.SpoolConfig;
import org.fleettap.agent.transport.TransportSettings;
import org.fleettap.agent.transport.TransportStats;

/**
 * Agent export CPU at a given event rate (issue 5: at most 10 % of one core at 100,000 events/s). This JVM is the
 * agent: a compiled script's handler ({@code s[thread, function] <<< value}, {@code -Dkeys} distinct keys) runs
 * {@code -Drate} times a second on one thread, paced, as the session's thread runs handlers; every {@code
 * -Dinterval} ms the same thread runs the real {@link Exporter} (ScriptExport deltas, the batch, the sequence saved
 * and synced by {@link SequenceStore}, as {@code SessionRunner} wires it), which hands the batch to a real {@link
 * GrpcTransport} (spool on disk, its own thread) sending to a real collector ({@link BenchCollector}, a child JVM)
 * over loopback.
 *
 * <p>After {@code -Dwarmup} seconds with export (so that the JIT has compiled both paths), phases alternate,
 * {@code -Dreps} times, each {@code -Dseconds} long after 2 s to settle: <b>handlers only</b> (no export) and
 * <b>handlers + export</b> (the first on a second instance of the script whose export is never created, so its
 * statistics track no deltas, as in an agent that exports nothing). For each phase, CPU per thread group from {@code /proc/self/task/TID/stat} and, for the
 * session thread, {@link ThreadMXBean} time inside and outside the export. Export CPU is measured two ways: the
 * threads that only export (the export on the session thread + the transport thread + gRPC's threads), and the CPU
 * beyond the handlers (the whole process's minus the handlers' time on the session thread: export, GC, JIT and the
 * JVM's own threads) with export minus without. At the end the collector's merged count must equal the number of
 * events handled, exactly.
 */
public final class ExportCpuBench {
    static final String SESSION = "export-bench";
    static final String STAT = "s";
    private static final String HOST = "bench-host";
    /** Handlers and export run on this thread, as on a session's thread in the agent (15 characters: /proc's comm). */
    private static final String SESSION_THREAD = "session-export";
    /** Before each measured phase: the export or its absence settles (a batch in flight completes). */
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    private static final double CLOCK_TICKS = 100.0; // USER_HZ on Linux
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final int rate = Integer.getInteger("rate", 100_000);
    private final int keys = Integer.getInteger("keys", 500);
    private final int functions = Integer.getInteger("functions", 10);
    private final int seconds = Integer.getInteger("seconds", 20);
    private final int warmup = Integer.getInteger("warmup", 15);
    private final int reps = Integer.getInteger("reps", 3);
    private final long intervalNanos = TimeUnit.MILLISECONDS.toNanos(Integer.getInteger("interval", 1000));

    /** The handler of the exported instance. */
    private final Handler handler;
    /** The handler of an instance that is never exported, for the phases without export. */
    private final Handler plain;
    /** The size of every batch exported, in bytes. */
    private final List<Integer> batchBytes = new ArrayList<>();
    private final EventContext ctx = EventContext.detached();
    private final Exporter exporter;
    private final GrpcTransport transport;
    /** Events handled by the exported instance (all the collector must count). */
    private long events;
    private long plainEvents;
    private long exportCpuNanos;
    private long exports;
    private long nextExport;

    private ExportCpuBench(Path work, int port) throws Exception {
        if (keys % functions != 0) {
            throw new IllegalArgumentException("keys (" + keys + ") must be a multiple of functions (" + functions + ")");
        }
        int threads = keys / functions;
        // s[thread, function]: n walks every (thread, function) pair in turn; values spread like latencies in ns.
        String script = "global " + STAT + ", n\n"
                + "probe timer.s(1000) {\n"
                + "  n++\n"
                + "  " + STAT + "[1000 + n % " + threads + ", sprintf(\"function_%d\", (n / " + threads + ") % "
                + functions + ")] <<< 1000 + (n * 7919) % 1000000\n"
                + "}\n";
        OutputLines lines = new OutputLines();
        CompiledScript exported = compile(script, lines);
        // The same script in a second instance whose export is never created: no delta tracking, as without export.
        plain = compile(script, new OutputLines()).plan().timers().get(0).handler();
        handler = exported.plan().timers().get(0).handler();
        transport = GrpcTransport.connect("127.0.0.1:" + port, Spool.open(SpoolConfig.of(work.resolve("spool"))),
                TransportSettings.defaults());
        SequenceStore sequences = new SequenceStore(work.resolve("sequences"));
        exporter = new Exporter(HOST, SESSION, exported.export(), lines, batch -> {
            batchBytes.add(batch.getSerializedSize());
            sequences.save(SESSION, batch.getSequence());
            transport.submit(batch);
        }, () -> System.currentTimeMillis() * 1_000_000L, () -> 0);
    }

    private static CompiledScript compile(String script, OutputLines lines) throws Exception {
        Compilation c = Frontend.check(new Source("export-bench.stp", script));
        if (!c.succeeded()) {
            throw new IllegalStateException(c.format());
        }
        return ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(Target.all()), lines.stream());
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("export-cpu-bench");
        Process collector = startCollector(work.resolve("collector"));
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(collector.getInputStream(),
                    StandardCharsets.UTF_8));
            int port = Integer.parseInt(expectLine(out, "port ").substring(5));
            ExportCpuBench bench = new ExportCpuBench(work, port);
            Exception[] failure = new Exception[1];
            Thread session = new Thread(() -> {
                try {
                    bench.run();
                } catch (Exception e) {
                    failure[0] = e;
                }
            }, SESSION_THREAD);
            session.start();
            session.join();
            if (failure[0] != null) {
                throw failure[0];
            }
            collector.getOutputStream().close();
            String[] result = expectLine(out, "count ").split(" ");
            long count = Long.parseLong(result[1]);
            int keys = Integer.parseInt(result[3]);
            System.out.printf("collector: merged count %d over %d keys; events handled %d%n", count, keys,
                    bench.events);
            if (count != bench.events || keys != bench.keys) {
                throw new IllegalStateException("the collector merged " + count + " events over " + keys
                        + " keys, not " + bench.events + " over " + bench.keys);
            }
            if (!collector.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the collector did not exit");
            }
        } finally {
            collector.destroyForcibly();
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Process startCollector(Path dir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                BenchCollector.class.getName(), dir.toString(), SESSION, STAT)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static String expectLine(BufferedReader in, String prefix) throws IOException {
        for (String line; (line = in.readLine()) != null;) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IllegalStateException("the collector ended without printing '" + prefix + "...'");
    }

    private void run() throws Exception {
        System.out.printf("export CPU: %,d events/s, %d keys (%d threads x %d functions), export every %d ms, %d s"
                        + " per phase after %d s warm-up, %d repetitions; %d CPUs, JVM %s%n", rate, keys,
                keys / functions, functions, TimeUnit.NANOSECONDS.toMillis(intervalNanos), seconds, warmup, reps,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
        Map<String, List<Phase>> phases = new LinkedHashMap<>();
        nextExport = System.nanoTime() + intervalNanos;
        drive(true, TimeUnit.SECONDS.toNanos(warmup)); // JIT: the export path compiled before anything is measured
        for (int r = 1; r <= reps; r++) {
            for (boolean export : new boolean[] {false, true}) {
                String name = export ? "handlers + export" : "handlers only";
                Phase p = phase(export);
                phases.computeIfAbsent(name, k -> new ArrayList<>()).add(p);
                System.out.printf("%-18s %d: %s%n", name, r, p);
            }
        }
        exporter.finish();
        transport.flush(Duration.ofSeconds(60));
        TransportStats ts = transport.stats();
        transport.close();
        System.out.printf("transport: %s%n", ts);
        List<Integer> sizes = new ArrayList<>(batchBytes);
        sizes.sort(null);
        System.out.printf("batches: %d, bytes median %d, max %d%n", sizes.size(), sizes.get(sizes.size() / 2),
                sizes.get(sizes.size() - 1));
        if (ts.applied() != exporter.sequence() || ts.intakeDropped() + ts.rejected() != 0) {
            throw new IllegalStateException(exporter.sequence() + " batches exported, but the transport says " + ts);
        }
        summary(phases);
    }

    /** Runs handlers (and export) for the warm-up, then measures {@code seconds}. */
    private Phase phase(boolean export) throws Exception {
        drive(export, SETTLE_NANOS);
        Map<String, Double> before = threadCpu();
        long sessionBefore = THREADS.getCurrentThreadCpuTime();
        long exportBefore = exportCpuNanos;
        long eventsBefore = events + plainEvents;
        long exportsBefore = exports;
        long t0 = System.nanoTime();
        drive(export, TimeUnit.SECONDS.toNanos(seconds));
        double wall = (System.nanoTime() - t0) / 1e9;
        Map<String, Double> after = threadCpu();
        Map<String, Double> cpu = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : after.entrySet()) {
            cpu.put(e.getKey(), (e.getValue() - before.getOrDefault(e.getKey(), 0.0)) / wall);
        }
        double session = (THREADS.getCurrentThreadCpuTime() - sessionBefore) / 1e9 / wall;
        double exportOnSession = (exportCpuNanos - exportBefore) / 1e9 / wall;
        return new Phase(wall, (events + plainEvents - eventsBefore) / wall, exports - exportsBefore, session - exportOnSession,
                exportOnSession, cpu);
    }

    /** Handles events at {@code rate} for {@code nanos}; with {@code export}, exports every interval. */
    private void drive(boolean export, long nanos) throws Exception {
        long start = System.nanoTime();
        long end = start + nanos;
        long done = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            long due = (long) ((now - start) / 1e9 * rate) - done;
            Handler h = export ? handler : plain;
            for (long i = 0; i < due; i++) {
                h.handle(ctx);
            }
            done += due;
            if (export) {
                events += due;
            } else {
                plainEvents += due;
            }
            if (now >= nextExport) {
                if (export) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    exporter.flush();
                    exportCpuNanos += THREADS.getCurrentThreadCpuTime() - c0;
                    exports++;
                }
                nextExport += intervalNanos;
                if (nextExport < now) {
                    nextExport = now + intervalNanos;
                }
            }
            if (due == 0) {
                LockSupport.parkNanos(TICK_NANOS);
            }
        }
    }

    /** CPU seconds so far per thread group, from /proc/self/task/TID/stat (all threads, JVM ones included). */
    private static Map<String, Double> threadCpu() throws IOException {
        Map<String, Double> out = new HashMap<>();
        double total = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread ended
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String comm = stat.substring(open + 1, close);
                String[] f = stat.substring(close + 2).split(" ");
                double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
                out.merge(group(comm), cpu, Double::sum);
                total += cpu;
            }
        }
        String[] self = Files.readString(Path.of("/proc/self/stat")).split("\\) ")[1].split(" ");
        out.put("process", (Long.parseLong(self[11]) + Long.parseLong(self[12])) / CLOCK_TICKS);
        out.put("threads listed", total);
        return out;
    }

    private static String group(String comm) {
        if (comm.equals(SESSION_THREAD)) {
            return "session";
        }
        if (comm.startsWith("fleettap-grpc")) {
            return "transport";
        }
        if (comm.startsWith("grpc-")) {
            return "grpc";
        }
        if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
            return "jit";
        }
        if (comm.startsWith("GC Thread") || comm.startsWith("G1 ") || comm.equals("VM Thread")) {
            return "gc+vm";
        }
        return "other";
    }

    /** One measured phase; CPU figures are seconds per second (1.0 = one core). */
    private record Phase(double wall, double eventsPerSecond, long exports, double handlers, double exportOnSession,
            Map<String, Double> cpu) {
        double of(String group) {
            return cpu.getOrDefault(group, 0.0);
        }

        /** Everything the process spent but the handlers: export, GC, JIT, the JVM's own threads. */
        double beyondHandlers() {
            return of("process") - handlers;
        }

        /** The threads that only export: the export on the session thread, the transport's and gRPC's. */
        double exportThreads() {
            return exportOnSession + of("transport") + of("grpc");
        }

        @Override
        public String toString() {
            return String.format("%,.0f events/s, %d exports; CPU %% of one core: handlers %.2f, export on session"
                            + " thread %.2f, transport %.2f, grpc %.2f, gc+vm %.2f, jit %.2f, other %.2f; process %.2f",
                    eventsPerSecond, exports, 100 * handlers, 100 * exportOnSession, 100 * of("transport"),
                    100 * of("grpc"), 100 * of("gc+vm"), 100 * of("jit"), 100 * of("other"), 100 * of("process"));
        }
    }

    private static void summary(Map<String, List<Phase>> phases) {
        List<Phase> off = phases.get("handlers only");
        List<Phase> on = phases.get("handlers + export");
        System.out.println();
        System.out.printf("%-56s %6s   %s%n", "CPU, % of one core", "median", "(min - max)");
        row("export threads (session export + transport + grpc)", on.stream().map(Phase::exportThreads).toList());
        row("  of which on the session thread", on.stream().map(Phase::exportOnSession).toList());
        row("  transport thread", on.stream().map(p -> p.of("transport")).toList());
        row("  gRPC threads", on.stream().map(p -> p.of("grpc")).toList());
        List<Double> diff = new ArrayList<>();
        for (int i = 0; i < on.size(); i++) {
            diff.add(on.get(i).beyondHandlers() - off.get(i).beyondHandlers());
        }
        row("beyond the handlers, with export - without", diff);
        row("beyond the handlers (process - handlers), with export", on.stream().map(Phase::beyondHandlers).toList());
        row("beyond the handlers, without export", off.stream().map(Phase::beyondHandlers).toList());
        row("handlers (session thread outside the export)", on.stream().map(Phase::handlers).toList());
        row("process, handlers + export", on.stream().map(p -> p.of("process")).toList());
    }

    private static void row(String what, List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        v.sort(null);
        System.out.printf("%-56s %6.2f   (%.2f - %.2f)%n", what, 100 * v.get(v.size() / 2), 100 * v.get(0),
                100 * v.get(v.size() - 1));
    }
}
