package org.fleettap.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fleettap} command. */
@Command(name = "fleettap", mixinStandardHelpOptions = true, version = "fleettap 0.1.0",
        description = "SystemTap for a fleet: probe user space and the kernel on one host or many.",
        subcommands = {RunCommand.class, CountCommand.class, TraceCommand.class, AgentCommand.class,
                CollectorCommand.class, QueryCommand.class, HostsCommand.class, SessionsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit status (0 ok, 1 failure, 2 usage error). */
    public static int run(String... args) {
        Logging.configure(args);
        CommandLine cl = new CommandLine(new Main());
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

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
