package org.fleettap.cli;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fleettap.agent.perf.PerfRecord;
import org.fleettap.agent.perf.RecordConsumer;
import org.fleettap.agent.perf.RecordType;
import org.fleettap.agent.demangle.Demangler;
import org.fleettap.agent.probe.ProbeEngine;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.TracepointSite;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.probe.UsdtArguments;
import org.fleettap.agent.symbols.DebugFiles;
import org.fleettap.agent.symbols.ModuleCache;
import org.fleettap.agent.symbols.ModuleTracker;
import org.fleettap.agent.symbols.Stacks;
import org.fleettap.agent.symbols.Symbolizer;
import org.fleettap.agent.target.Tasks;
import org.fleettap.agent.tracefs.FetchArg;
import org.fleettap.agent.tracefs.FetchType;
import org.fleettap.agent.tracefs.TracepointFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fleettap trace}: one line per hit, in time order across CPUs, with USDT arguments and tracepoint fields
 * decoded: {@code COMM PID/TID [CPU] SECONDS: PROBE name=value ...}.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = "Print every hit of the probe points, in time order, with mark arguments and tracepoint "
                + "fields: COMM PID/TID [CPU] TIME: PROBE name=value ... (TIME is CLOCK_MONOTONIC seconds).")
final class TraceCommand implements Callable<Integer> {

    @Mixin
    ProbeRun.TargetOptions options;

    @Option(names = "--stack", arity = "0..1", paramLabel = "DEPTH", fallbackValue = "16",
            description = "After each hit, its user stack: up to DEPTH frames (default 16), unwound with CFI "
                    + "where there are no frame pointers, as 'ADDRESS : FUNCTION+0xOFFSET (FILE:LINE) [MODULE]'.")
    Integer stackDepth;

    @Option(names = "-d", paramLabel = "FILE", description = "Use FILE's symbols and debug information for the "
            + "module with the same build-id (like stap -d); repeatable.")
    List<java.nio.file.Path> symbolFiles = new java.util.ArrayList<>();

    @Parameters(arity = "1..*", paramLabel = "PROBE", description = "Probe points (see 'fleettap count --help').")
    List<String> probes;

    @Override
    public Integer call() throws Exception {
        var target = options.target();
        var limit = options.limit();
        ProbeRun.Resolved resolved = ProbeRun.resolve(probes, target, true);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        ProbeEngine.Options engineOptions = ProbeEngine.Options.of(ProbeEngine.Mode.SAMPLE);
        Symbolizer symbolizer = null;
        if (stackDepth != null) {
            if (stackDepth < 1) {
                throw new UserErrors.UsageException("--stack depth must be at least 1");
            }
            java.util.Set<Integer> all = new java.util.HashSet<>();
            for (int i = 0; i < resolved.sites().size(); i++) {
                all.add(i);
            }
            engineOptions = engineOptions.withStacks(all);
            symbolizer = new Symbolizer(new ModuleTracker(new ModuleCache()), DebugFiles.system());
            for (java.nio.file.Path f : symbolFiles) {
                if (!symbolizer.addSymbolFile(f)) {
                    throw new UserErrors.UsageException("-d " + f + ": not an ELF file with a build-id");
                }
            }
        }
        // Signals first: a SIGINT or SIGTERM while probes are being attached must still end in close().
        try (StopSignals stop = StopSignals.install();
                ProbeEngine engine = ProbeEngine.attach(resolved.sites(), target, engineOptions)) {
            Printer printer = new Printer(engine, out, symbolizer, stackDepth == null ? 0 : stackDepth);
            engine.start();
            ProbeRun.untilEnd(engine, target, limit, stop, wait -> {
                engine.poll((int) wait, printer);
                out.flush();
            });
            engine.drain(printer);
            out.flush();
            Lost.report(engine);
        }
        return 0;
    }

    /** Formats one sample per line. */
    static final class Printer implements RecordConsumer {
        private final ProbeEngine engine;
        private final PrintStream out;
        private final Map<Integer, String> comms = new HashMap<>();
        private final StringBuilder line = new StringBuilder(160);
        private final Symbolizer symbolizer;
        private final Stacks stacks;

        Printer(ProbeEngine engine, PrintStream out, Symbolizer symbolizer, int depth) {
            this.engine = engine;
            this.out = out;
            this.symbolizer = symbolizer;
            this.stacks = symbolizer == null ? null : new Stacks(symbolizer.modules(), depth);
        }

        @Override
        public void accept(PerfRecord r) {
            if (r.type() == RecordType.COMM) {
                comms.put(r.pid(), r.comm());
                if (symbolizer != null && r.isExec()) {
                    symbolizer.modules().onExec(r.pid());
                }
                return;
            }
            if (symbolizer != null && r.type() == RecordType.MMAP2) {
                symbolizer.modules().onMmap(r.pid(), r.addr(), r.len(), r.pgoff(), r.prot(), r.filename());
                return;
            }
            if (symbolizer != null && r.type() == RecordType.FORK) {
                symbolizer.modules().onFork(r.ppid(), r.pid());
                return;
            }
            if (r.type() != RecordType.SAMPLE) {
                return;
            }
            ProbeSite site = engine.sites().get(r.cookie());
            line.setLength(0);
            String comm = comms.computeIfAbsent(r.pid(), Tasks::execName);
            long t = r.time();
            line.append(String.format("%16s %d/%d [%03d] %d.%06d: ", comm, r.pid(), r.tid(), r.cpu(),
                    t / 1_000_000_000L, (t % 1_000_000_000L) / 1000));
            line.append(label(site));
            appendArguments(site, engine.format(r.cookie()), r);
            out.println(line);
            if (stacks != null) {
                long[] pcs = stacks.unwind(r);
                for (Symbolizer.Frame f : symbolizer.symbolize(r.pid(), pcs, pcs.length)) {
                    out.println(frame(f));
                }
            }
        }

        /** " 0x4005e9 : main+0x1d (loop.c:13) [/x/loop]", with C++ names demangled. */
        static String frame(Symbolizer.Frame f) {
            StringBuilder b = new StringBuilder(" 0x").append(Long.toHexString(f.address())).append(" : ");
            if (f.function() != null) {
                b.append(Demangler.demangle(f.function()).orElse(f.function()));
                b.append("+0x").append(Long.toHexString(f.offset()));
            } else {
                b.append("0x").append(Long.toHexString(f.address()));
            }
            if (f.file() != null) {
                b.append(" (").append(f.fileLine()).append(')');
            }
            if (f.module() != null) {
                b.append(" [").append(f.module()).append(']');
            }
            return b.toString();
        }

        private void appendArguments(ProbeSite site, TracepointFormat format, PerfRecord r) {
            if (site instanceof UprobeSite u && !u.markArgs().isEmpty()) {
                long[] v = UsdtArguments.decode(u, format, r.buffer(), r.rawOffset());
                for (int i = 0; i < v.length; i++) {
                    line.append(" arg").append(i + 1).append('=').append(v[i]);
                }
            } else if (site instanceof UprobeSite u && !u.fetchArgs().isEmpty()) {
                for (FetchArg a : u.fetchArgs()) {
                    TracepointFormat.Field f = format.requireField(a.name());
                    line.append(' ').append(a.name()).append('=');
                    FetchType t = a.type().orElse(FetchType.U64);
                    if (t == FetchType.STRING) {
                        line.append('"').append(f.readString(r.buffer(), r.rawOffset())).append('"');
                    } else if (t == FetchType.X64) {
                        line.append("0x").append(Long.toHexString(f.readLong(r.buffer(), r.rawOffset())));
                    } else {
                        line.append(f.readLong(r.buffer(), r.rawOffset()));
                    }
                }
            } else if (site instanceof TracepointSite) {
                for (TracepointFormat.Field f : format.payloadFields()) {
                    if (f.name().equals("__syscall_nr")) {
                        continue;
                    }
                    line.append(' ').append(f.name()).append('=');
                    if (f.string()) {
                        line.append('"').append(f.readString(r.buffer(), r.rawOffset())).append('"');
                    } else if (f.pointer()) {
                        line.append("0x").append(Long.toHexString(f.readLong(r.buffer(), r.rawOffset())));
                    } else {
                        line.append(f.readLong(r.buffer(), r.rawOffset()));
                    }
                }
            } else if (r.format().has(org.fleettap.agent.perf.SampleType.IP)) {
                line.append(" ip=0x").append(Long.toHexString(r.ip()));
            }
        }

        static String label(ProbeSite site) {
            if (site instanceof UprobeSite u) {
                return "process(\"" + u.binary() + "\")." + u.name() + (u.retprobe() ? ".return" : "");
            }
            return site.point().toString();
        }
    }
}
