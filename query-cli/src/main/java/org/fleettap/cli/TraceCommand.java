package org.fleettap.cli;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fleettap.agent.perf.PerfRecord;
import org.fleettap.agent.perf.RecordConsumer;
import org.fleettap.agent.perf.RecordType;
import org.fleettap.agent.probe.ProbeEngine;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.probe.TracepointSite;
import org.fleettap.agent.probe.UprobeSite;
import org.fleettap.agent.probe.UsdtArguments;
import org.fleettap.agent.target.Tasks;
import org.fleettap.agent.tracefs.TracepointFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Parameters(arity = "1..*", paramLabel = "PROBE", description = "Probe points (see 'fleettap count --help').")
    List<String> probes;

    @Override
    public Integer call() throws Exception {
        var target = options.target();
        var limit = options.limit();
        ProbeRun.Resolved resolved = ProbeRun.resolve(probes, target, true);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        // Signals first: a SIGINT or SIGTERM while probes are being attached must still end in close().
        try (StopSignals stop = StopSignals.install();
                ProbeEngine engine = ProbeEngine.attach(resolved.sites(), target, ProbeEngine.Mode.SAMPLE)) {
            Printer printer = new Printer(engine, out);
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

        Printer(ProbeEngine engine, PrintStream out) {
            this.engine = engine;
            this.out = out;
        }

        @Override
        public void accept(PerfRecord r) {
            if (r.type() == RecordType.COMM) {
                comms.put(r.pid(), r.comm());
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
        }

        private void appendArguments(ProbeSite site, TracepointFormat format, PerfRecord r) {
            if (site instanceof UprobeSite u && !u.markArgs().isEmpty()) {
                long[] v = UsdtArguments.decode(u, format, r.buffer(), r.rawOffset());
                for (int i = 0; i < v.length; i++) {
                    line.append(" arg").append(i + 1).append('=').append(v[i]);
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
