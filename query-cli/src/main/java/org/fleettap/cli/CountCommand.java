package org.fleettap.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fleettap.agent.feature.Privileges;
import org.fleettap.agent.probe.ProbeEngine;
import org.fleettap.agent.probe.ProbePoint;
import org.fleettap.agent.probe.ProbePointParser;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.target.LaunchedCommand;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.target.Tasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fleettap count}: how many times each probe point is hit. Each probe is a kernel counter that is read at
 * the end; no event reaches user space.
 */
@Command(name = "count", mixinStandardHelpOptions = true,
        description = "Count hits of probe points with kernel counters, until the -c command exits, the -x process "
                + "exits, --duration passes, or Ctrl-C. One probe point prints its count; several print "
                + "'COUNT POINT' lines.")
final class CountCommand implements Callable<Integer> {

    @Option(names = "-c", paramLabel = "CMD", description = "Start CMD (a shell command line) and count its hits "
            + "(and its children's) from its first instruction.")
    String command;

    @Option(names = "-x", paramLabel = "PID", description = "Count the hits of process PID and the threads and "
            + "children it starts.")
    Integer pid;

    @Option(names = "--duration", paramLabel = "DUR", description = "Stop after DUR (e.g. 10s, 500ms, 2m).")
    String duration;

    @Option(names = {"-v", "--verbose"}, description = "Log what is attached; stack traces on errors.")
    boolean verbose;

    @Parameters(arity = "1..*", paramLabel = "PROBE",
            description = "Probe points, e.g. 'process(\"./loop\").function(\"f\")', "
                    + "'process(\"./prog\").mark(\"tick\")', 'kernel.trace(\"sched:sched_switch\")', "
                    + "'syscall.futex.return', 'timer.profile'.")
    List<String> probes;

    @Override
    public Integer call() throws Exception {
        if (command != null && pid != null) {
            throw new UserErrors.UsageException("-c and -x cannot be used together");
        }
        Duration limit = duration == null ? null : Durations.parse(duration);
        Target target = command != null ? Target.command(command) : pid != null ? Target.pid(pid) : Target.all();
        if (target instanceof Target.Process p && !Tasks.isAlive(p.pid())) {
            throw new UserErrors.UsageException("-x " + p.pid() + ": no such process");
        }
        List<ProbePoint> points = new ArrayList<>();
        for (String text : probes) {
            points.add(ProbePointParser.parse(text));
        }
        ProbeResolver resolver = ProbeResolver.forTarget(target);
        List<ProbeSite> sites = new ArrayList<>();
        List<Integer> pointOfSite = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            for (ProbeSite s : resolver.resolve(points.get(i))) {
                sites.add(s);
                pointOfSite.add(i);
            }
        }
        Privileges.requireProbePrivileges();

        long[] counts = new long[points.size()];
        try (ProbeEngine engine = ProbeEngine.attach(sites, target, ProbeEngine.Mode.COUNT);
                StopSignals stop = StopSignals.install()) {
            engine.start();
            waitForEnd(engine, target, stop, limit);
            for (int s = 0; s < sites.size(); s++) {
                counts[pointOfSite.get(s)] += engine.hits(s);
            }
        }
        print(System.out, points, counts);
        return 0;
    }

    private static void waitForEnd(ProbeEngine engine, Target target, StopSignals stop, Duration limit)
            throws InterruptedException {
        long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
        LaunchedCommand cmd = engine.command().orElse(null);
        while (!stop.stopped() && System.nanoTime() < deadline) {
            if (cmd != null && !cmd.isAlive()) {
                return;
            }
            if (target instanceof Target.Process p && !Tasks.isAlive(p.pid())) {
                return;
            }
            stop.await(Math.min(100, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
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
