package org.fleettap.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fleettap.agent.compiler.CompileException;
import org.fleettap.agent.compiler.CompiledScript;
import org.fleettap.agent.compiler.ScriptCompiler;
import org.fleettap.agent.daemon.SessionRunner;
import org.fleettap.agent.feature.Privileges;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.script.Compilation;
import org.fleettap.agent.script.Frontend;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.session.Session;
import org.fleettap.collector.local.LocalStore;
import org.fleettap.collector.local.LocalStoreException;
import org.fleettap.proto.v1.SessionSpec;
import org.fleettap.proto.v1.TargetSelector;
import org.fleettap.agent.policy.Binaries;
import org.fleettap.agent.policy.Policy;
import org.fleettap.agent.policy.SessionGuard;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fleettap run SCRIPT | -e SOURCE [-c CMD | -x PID]}: stap on one host. Compiles the script, arms its
 * probes, runs until exit(), the end of the command, or SIGINT/SIGTERM, then runs the end probes and prints the
 * globals that were written but never read. What it records and prints is also stored, every interval and at the
 * end, as a session in a local store ({@code --data}, default under the user's data home; {@link StoredRun}), so
 * that fleettap query can read it afterwards; its output stays exactly what stap would print.
 *
 * <p>With {@code --collector}, nothing is probed here: the script, checked here first, runs as a session on the
 * agents the {@code --hosts} selector picks ({@link FleetRun}).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Compile and run a probe script on this host, as stap does; with --collector, on the hosts "
                + "of a fleet.",
                "Here, what it records and prints is also stored as a session in a local store (--data), for "
                        + "fleettap query, sessions and hosts to read afterwards.",
                "On a fleet it prints 'session ID' first, then each host's output as '[HOST] line'; on Ctrl-C (or "
                        + "when every host has ended the session) it stops the session and prints the script's "
                        + "statistics and numbers merged across hosts."})
final class RunCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--collector", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "Run the script on the fleet's agents, through this collector, instead of here.")
    HostPort collector;

    @Option(names = "--hosts", paramLabel = "SELECTOR", converter = HostSelectors.SelectorConverter.class,
            description = "With --collector: the hosts to run on, as comma-separated KEY=VALUE labels (all must "
                    + "match) and host:NAME items (any of them), e.g. zone=eu-1,role=db or host:web1,host:web2 "
                    + "(default: every host).")
    TargetSelector hosts;

    @Option(names = "--interval", paramLabel = "DUR",
            description = "How often what the script recorded is stored: here, or by the agents with --collector "
                    + "(default 1s).")
    String interval;

    @Option(names = "--data", paramLabel = "DIR", description = "Store the run's results in DIR, for fleettap query, "
            + "sessions and hosts to read afterwards (default: " + UserDirs.DATA_OPTION_DEFAULT + ").")
    Path data;

    @Option(names = "--no-store", description = "Do not store the run's results.")
    boolean noStore;

    @Mixin
    ProbeRun.TargetOptions options;

    @Mixin
    ClientTlsOptions tls;

    @Option(names = "-e", paramLabel = "SOURCE", description = "The script itself, instead of a file.")
    String source;

    @Option(names = "-o", paramLabel = "FILE", description = "Write the script's output to FILE.")
    Path output;

    @Option(names = "--policy", paramLabel = "FILE",
            description = "Hold this run to a policy file as an agent holds pushed sessions (docs/policy.md). "
                    + "Without it a local run is not governed by any agent's policy.")
    Path policyFile;

    @Option(names = "-g", description = "Guru mode: refused — no script may write to a traced process.")
    boolean guru;

    @Option(names = "--maxerrors", paramLabel = "N", defaultValue = "0",
            description = "Stop after N+1 run-time errors (stap's MAXERRORS, default ${DEFAULT-VALUE}).")
    int maxErrors;

    @Option(names = "-D", paramLabel = "NAME=VALUE",
            description = "Set a limit, as stap's -D: MAXACTION (statements per probe hit, default 1000) or "
                    + "MAXERRORS (as --maxerrors).")
    List<String> defines = new ArrayList<>();

    @Parameters(paramLabel = "SCRIPT [ARGS]", arity = "0..*", description = "The script file, then its arguments.")
    List<String> positional = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (guru) {
            throw new UserErrors.UsageException("-g (guru mode) is refused: no script may write to a traced "
                    + "process or load code into the kernel");
        }
        if (collector != null) {
            return fleet();
        }
        if (hosts != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--hosts needs --collector");
        }
        tls.unusedWithout("--collector");
        if (noStore && (data != null || interval != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), (data != null ? "--data" : "--interval")
                    + " cannot be used with --no-store");
        }
        Duration every = interval();
        if (!noStore) {
            LocalStore.preload(); // while the script compiles
        }
        Source src;
        if (source != null) {
            src = new Source("<input>", source);
        } else if (!positional.isEmpty()) {
            Path file = Path.of(positional.get(0));
            try {
                src = new Source(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                throw new UserErrors.UsageException(file + ": no such script");
            }
        } else {
            throw new UserErrors.UsageException("no script: give a SCRIPT file or -e SOURCE");
        }
        long maxAction = 0;
        for (String d : defines) {
            int eq = d.indexOf('=');
            String name = eq < 0 ? d : d.substring(0, eq);
            long value;
            try {
                value = eq < 0 ? -1 : Long.parseLong(d.substring(eq + 1));
            } catch (NumberFormatException e) {
                value = -1;
            }
            if (!name.equals("MAXACTION") && !name.equals("MAXERRORS")) {
                throw new UserErrors.UsageException("-D " + d + ": unknown limit '" + name
                        + "' (fleettap knows MAXACTION and MAXERRORS)");
            }
            if (value < (name.equals("MAXACTION") ? 1 : 0) || value > Integer.MAX_VALUE) {
                throw new UserErrors.UsageException("-D " + d + ": " + name + " takes a number from "
                        + (name.equals("MAXACTION") ? 1 : 0) + " to " + Integer.MAX_VALUE);
            }
            if (name.equals("MAXACTION")) {
                maxAction = value;
            } else {
                maxErrors = (int) value;
            }
        }
        Compilation c = Frontend.check(src);
        if (!c.succeeded()) {
            System.err.print(c.format());
            return 1;
        }
        Policy policy = PolicyFile.read(policyFile, spec);
        var target = options.target();
        Duration limit = options.limit();
        List<String> args = source != null ? positional
                : positional.subList(Math.min(1, positional.size()), positional.size());
        try (StoredRun stored = noStore ? null : openStore()) {
            PrintStream out = output == null
                    ? new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true)
                    : new PrintStream(Files.newOutputStream(output), true);
            CompiledScript[] script = new CompiledScript[1];
            SessionGuard guard = new SessionGuard(policy, () -> script[0].mapEntries(), System::nanoTime);
            PrintStream unguarded = stored == null ? out : stored.scriptOutput(out);
            java.io.OutputStream guarded = guard.guard(unguarded);
            PrintStream scriptOut = guarded == unguarded ? unguarded : new PrintStream(guarded, true);
            CompiledScript compiled;
            try {
                compiled = ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(target),
                        scriptOut, args);
            } catch (CompileException e) {
                String text = e.format(src);
                System.err.print(text.endsWith("\n") ? text : text + "\n");
                return 1;
            }
            script[0] = compiled;
            if (maxAction > 0) {
                compiled.maxAction(maxAction);
            }
            java.util.Optional<String> denied = policy.check(compiled.plan().sites(), Binaries.system());
            if (denied.isPresent()) {
                throw new UserErrors.UsageException(denied.get());
            }
            if (!compiled.plan().sites().isEmpty()) {
                Privileges.requireProbePrivileges();
            }
            Session session = new Session(guard.isNeeded() ? guard.guard(compiled.plan()) : compiled.plan(),
                    System.err, maxErrors);
            compiled.bind(session);
            int errors = 0;
            // Installed until the results are stored, so that a second Ctrl-C does not cut the last export short.
            try (StopSignals stop = StopSignals.install()) {
                if (stored != null) {
                    String id = stored.start(SessionSpec.newBuilder().setScriptName(source != null ? "-e"
                            : positional.get(0)).setScriptSource(src.text()).addAllScriptArgs(args)
                            .setDurationNanos(limit == null ? 0 : limit.toNanos())
                            .setExportIntervalNanos(every.toNanos())
                            .setCommand(options.command == null ? "" : options.command).build(),
                            compiled, session, every);
                    if (options.verbose && id != null) {
                        System.err.println("fleettap: storing this run as session " + id + " in "
                                + stored.directory());
                    }
                }
                Exception failure = null;
                try {
                    errors = session.run(target, limit, () -> stop.stopped() || guard.stopReason().isPresent());
                    guard.stopReason().ifPresent(why -> System.err.println("fleettap: " + why));
                    long lost = session.lost();
                    if (lost > 0) {
                        System.err.printf("fleettap: warning: %d events lost (ring buffers full: the reader fell "
                                + "behind)%n", lost);
                    }
                    compiled.printUnreadGlobals(scriptOut);
                } catch (Exception e) {
                    failure = e;
                    throw e;
                } finally {
                    scriptOut.flush();
                    if (stored != null) {
                        stored.finish(guard.stopReason().isPresent() ? guard.stopReason().get()
                                : stop.stopped() ? "stopped by a signal" : errors > 0 ? errors
                                + " run-time errors" : "ended", failure);
                    }
                }
            }
            return errors == 0 && guard.stopReason().isEmpty() && (stored == null || !stored.failed()) ? 0 : 1;
        }
    }

    /**
     * The store this run's results go to. A --data DIR that cannot be used is an error; when the default one
     * cannot (another run has it, say), the run goes on unstored, with a warning.
     */
    private StoredRun openStore() throws LocalStoreException {
        Path dir = UserDirs.dataOrDefault(data);
        try {
            return StoredRun.open(dir, System.err);
        } catch (LocalStoreException e) {
            if (data != null) {
                throw e;
            }
            System.err.println("fleettap: warning: this run is not stored: " + e.getMessage() + " (--data DIR "
                    + "stores it elsewhere)");
            return null;
        }
    }

    /** --interval, or the agents' default. */
    private Duration interval() throws UserErrors.UsageException {
        Duration every = interval == null ? SessionRunner.DEFAULT_INTERVAL : Durations.parse(interval);
        if (every.isZero()) {
            throw new UserErrors.UsageException("--interval must be more than 0");
        }
        return every;
    }

    /** The script as a session on the fleet: checked here, run by the agents {@code --hosts} picks. */
    private int fleet() throws Exception {
        String local = options.command != null ? "-c" : options.pid != null ? "-x" : !defines.isEmpty() ? "-D"
                : maxErrors != 0 ? "--maxerrors" : null;
        if (local != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), local + " cannot be used with --collector "
                    + "(the agents probe their own hosts, with their own limits)");
        }
        if (data != null || noStore) {
            throw new CommandLine.ParameterException(spec.commandLine(), (data != null ? "--data" : "--no-store")
                    + " cannot be used with --collector (the collector stores the results)");
        }
        Duration limit = options.limit();
        Duration every = interval == null ? null : interval();
        Source src;
        List<String> args;
        if (source != null) {
            // The session's script name for inline source (session.proto).
            src = new Source("-e", source);
            args = positional;
        } else if (!positional.isEmpty()) {
            Path file = Path.of(positional.get(0));
            try {
                src = new Source(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                throw new UserErrors.UsageException(file + ": no such script");
            }
            args = positional.subList(1, positional.size());
        } else {
            throw new UserErrors.UsageException("no script: give a SCRIPT file or -e SOURCE");
        }
        Compilation c = Frontend.check(src);
        if (!c.succeeded()) {
            System.err.print(c.format());
            return 1;
        }
        PrintStream out = output == null ? System.out : new PrintStream(Files.newOutputStream(output), true,
                StandardCharsets.UTF_8);
        try (CollectorClient client = CollectorClient.connect(collector, tls.credentials(collector)); StopSignals stop = StopSignals.install()) {
            return new FleetRun(client, out, System.err).run(new FleetRun.Request(src, c.script().orElseThrow(),
                    args, hosts != null ? hosts : TargetSelector.getDefaultInstance(), limit, every), stop);
        } finally {
            if (out != System.out) {
                out.close();
            }
        }
    }
}
