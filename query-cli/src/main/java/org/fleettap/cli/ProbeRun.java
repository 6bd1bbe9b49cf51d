package org.fleettap.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.feature.Privileges;
import org.fleettap.agent.probe.ProbeEngine;
import org.fleettap.agent.probe.ProbeException;
import org.fleettap.agent.probe.ProbePoint;
import org.fleettap.agent.probe.ProbePointParser;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.probe.ProbeSite;
import org.fleettap.agent.target.LaunchedCommand;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.target.Tasks;
import picocli.CommandLine.Option;

/**
 * What the one-host probe commands share: the target options, resolving probe points to sites, and running until
 * the -c command or the -x process ends, --duration passes, or SIGINT/SIGTERM.
 */
final class ProbeRun {

    /** -c / -x / --duration / -v, mixed into each probe command. */
    static final class TargetOptions {
        @Option(names = "-c", paramLabel = "CMD", description = "Start CMD (a shell command line) with the probes "
                + "attached from its first instruction; stop when it exits.")
        String command;

        @Option(names = "-x", paramLabel = "PID", description = "Probe process PID and the threads and children "
                + "it starts; stop when it exits.")
        Integer pid;

        @Option(names = "--duration", paramLabel = "DUR", description = "Stop after DUR (e.g. 10s, 500ms, 2m).")
        String duration;

        @Option(names = {"-v", "--verbose"}, description = "Log what is attached; stack traces on errors.")
        boolean verbose;

        Target target() throws UserErrors.UsageException {
            if (command != null && pid != null) {
                throw new UserErrors.UsageException("-c and -x cannot be used together");
            }
            if (pid != null && !Tasks.isAlive(pid)) {
                throw new UserErrors.UsageException("-x " + pid + ": no such process");
            }
            return command != null ? Target.command(command) : pid != null ? Target.pid(pid) : Target.all();
        }

        Duration limit() throws UserErrors.UsageException {
            return duration == null ? null : Durations.parse(duration);
        }
    }

    /** Probe points and the sites they resolved to; {@code pointOfSite[i]} is the point of site i. */
    record Resolved(List<ProbePoint> points, List<ProbeSite> sites, int[] pointOfSite) {
    }

    private ProbeRun() {
    }

    static Resolved resolve(List<String> texts, Target target, boolean readArguments)
            throws ProbeException, MissingFeatureException, Privileges.InsufficientPrivilegesException {
        List<ProbePoint> points = new ArrayList<>();
        for (String text : texts) {
            points.add(ProbePointParser.parse(text));
        }
        ProbeResolver resolver = ProbeResolver.forTarget(target);
        List<ProbeSite> sites = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            for (ProbeSite s : resolver.resolve(points.get(i))) {
                sites.add(s);
                owner.add(i);
            }
        }
        if (readArguments) {
            sites = resolver.withFunctionArguments(resolver.withMarkArguments(sites));
        }
        Privileges.requireProbePrivileges();
        return new Resolved(points, sites, owner.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Something to do while waiting: poll for records, or just sleep. */
    interface Step {
        void run(long maxWaitMillis) throws Exception;
    }

    /** Runs {@code step} until the target ends, the limit passes or a stop signal arrives. */
    static void untilEnd(ProbeEngine engine, Target target, Duration limit, StopSignals stop, Step step)
            throws Exception {
        long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
        LaunchedCommand cmd = engine.command().orElse(null);
        while (!stop.stopped() && System.nanoTime() < deadline) {
            if (cmd != null && !cmd.isAlive()) {
                return;
            }
            if (target instanceof Target.Process p && !Tasks.isAlive(p.pid())) {
                return;
            }
            step.run(Math.min(100, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
    }
}
