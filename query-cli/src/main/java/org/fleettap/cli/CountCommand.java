package org.fleettap.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import org.fleettap.agent.perf.RecordType;
import org.fleettap.agent.probe.ProbeEngine;
import org.fleettap.agent.probe.ProbePoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fleettap count}: how many times each probe point is hit. Each probe is a kernel counter that is read at
 * the end; no event reaches user space (with --sample, every hit goes through the ring buffers instead).
 */
@Command(name = "count", mixinStandardHelpOptions = true,
        description = "Count hits of probe points with kernel counters. One probe point prints its count; several "
                + "print 'COUNT POINT' lines.")
final class CountCommand implements Callable<Integer> {

    @Mixin
    ProbeRun.TargetOptions options;

    @Option(names = "--sample", description = "Take every hit through the per-CPU ring buffers and count in user "
            + "space (slower; shows the sampling path's cost).")
    boolean sample;

    @Parameters(arity = "1..*", paramLabel = "PROBE",
            description = "Probe points, e.g. 'process(\"./loop\").function(\"f\")', "
                    + "'process(\"./loop\").function(\"f\").return', 'process(\"./prog\").mark(\"tick\")', "
                    + "'kernel.trace(\"sched:sched_switch\")', 'syscall.futex', 'timer.profile'.")
    List<String> probes;

    @Override
    public Integer call() throws Exception {
        var target = options.target();
        var limit = options.limit();
        ProbeRun.Resolved resolved = ProbeRun.resolve(probes, target, false);
        long[] counts = new long[resolved.points().size()];
        int[] owner = resolved.pointOfSite();
        ProbeEngine.Mode mode = sample ? ProbeEngine.Mode.SAMPLE : ProbeEngine.Mode.COUNT;
        // Signals first: a SIGINT or SIGTERM while probes are being attached must still end in close().
        try (StopSignals stop = StopSignals.install();
                ProbeEngine engine = ProbeEngine.attach(resolved.sites(), target, mode)) {
            engine.start();
            if (sample) {
                org.fleettap.agent.perf.RecordConsumer tally = r -> {
                    if (r.type() == RecordType.SAMPLE) {
                        counts[owner[r.cookie()]]++;
                    }
                };
                ProbeRun.untilEnd(engine, target, limit, stop, wait -> engine.poll((int) wait, tally));
                engine.drain(tally);
                Lost.report(engine);
            } else {
                ProbeRun.untilEnd(engine, target, limit, stop, stop::await);
                for (int s = 0; s < owner.length; s++) {
                    counts[owner[s]] += engine.hits(s);
                }
            }
        }
        print(System.out, resolved.points(), counts);
        return 0;
    }

    static void print(PrintStream out, List<ProbePoint> points, long[] counts) {
        if (points.size() == 1) {
            out.println(counts[0]);
            return;
        }
        int width = 1;
        for (long c : counts) {
            width = Math.max(width, Long.toString(c).length());
        }
        for (int i = 0; i < points.size(); i++) {
            out.printf("%" + width + "d %s%n", counts[i], points.get(i));
        }
    }
}
