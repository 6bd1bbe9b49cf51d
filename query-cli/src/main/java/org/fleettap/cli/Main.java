package org.fleettap.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fleettap} command. */
@Command(name = "fleettap", mixinStandardHelpOptions = true, version = "fleettap 0.1.0",
        description = "SystemTap for a fleet: probe user space and the kernel on one host or many.",
        subcommands = {RunCommand.class, CountCommand.class, TraceCommand.class, AgentCommand.class,
                CollectorCommand.class, QueryCommand.class, HostsCommand.class, SessionsCommand.class,
                StopCommand.class, LatencyCommand.class, ProfileCommand.class, LocksCommand.class, CertsCommand.class,
                AuditCommand.class, StatsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The environment the commands read (FLEETTAP_TOKEN, ...): the process's, or a test's. */
    private final java.util.Map<String, String> env;

    Main(java.util.Map<String, String> env) {
        this.env = java.util.Map.copyOf(env);
    }

    java.util.Map<String, String> env() {
        return env;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit status (0 ok, 1 failure, 2 usage error). */
    public static int run(String... args) {
        return run(System.getenv(), args);
    }

    /** {@link #run(String...)} with {@code env} for the daemons' FLEETTAP_* settings. */
    static int run(java.util.Map<String, String> env, String... args) {
        // Before the first logger (creating the command line creates the commands' loggers): --verbose may also
        // come from the daemons' environment or config file.
        boolean daemon = args.length > 0 && (args[0].equals("agent") || args[0].equals("collector"));
        Logging.configure(daemon && DaemonSettings.verbose(List.of(args), env) ? withVerbose(args) : args);
        CommandLine cl = new CommandLine(new Main(env));
        if (daemon) {
            try {
                java.util.List<String> merged = new java.util.ArrayList<>(List.of(args[0]));
                merged.addAll(DaemonSettings.merge(cl.getSubcommands().get(args[0]).getCommandSpec(),
                        List.of(args).subList(1, args.length), env));
                args = merged.toArray(new String[0]);
            } catch (DaemonSettings.SettingsException e) {
                System.err.println("fleettap: " + e.getMessage());
                return 2;
            }
        }
        cl.setExecutionExceptionHandler(new UserErrors());
        cl.setParameterExceptionHandler((ex, argv) -> {
            String command = ex.getCommandLine().getCommandName();
            System.err.println("fleettap: " + ex.getMessage() + " (see 'fleettap "
                    + (command.equals("fleettap") ? "" : command + " ") + "--help')");
            return 2;
        });
        cl.getCommandSpec().parser().stopAtUnmatched(false);
        return cl.execute(args);
    }

    private static String[] withVerbose(String[] args) {
        String[] v = java.util.Arrays.copyOf(args, args.length + 1);
        v[args.length] = "--verbose";
        return v;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
