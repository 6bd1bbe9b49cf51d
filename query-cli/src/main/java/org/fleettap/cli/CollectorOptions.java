package org.fleettap.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import org.fleettap.collector.local.LocalStore;
import org.fleettap.collector.local.LocalStoreException;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * --collector or --data, and -v, mixed into the commands that read results (query, hosts, sessions): they ask a
 * collector, or read the local store that {@code fleettap run} wrote (the default data directory when neither is
 * given) through the same QueryService.
 */
final class CollectorOptions {
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = "--collector", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "The collector to ask.")
    HostPort collector;

    @Option(names = "--data", paramLabel = "DIR", description = "Read what local runs (fleettap run) stored in DIR "
            + "instead (the default without --collector: " + UserDirs.DATA_OPTION_DEFAULT + ").")
    Path data;

    @Option(names = {"-v", "--verbose"}, description = "Log the calls; stack traces on errors.")
    boolean verbose;

    /** True when the command reads a local store rather than a collector. */
    boolean local() {
        return collector == null;
    }

    /** The collector, or the local store served in this process. */
    CollectorClient connect() throws LocalStoreException, IOException {
        if (collector != null && data != null) {
            throw new CommandLine.ParameterException(mixee.commandLine(),
                    "--data and --collector cannot be used together");
        }
        if (collector != null) {
            return CollectorClient.connect(collector);
        }
        return CollectorClient.local(LocalStore.openExisting(UserDirs.dataOrDefault(data), Clock.systemUTC()));
    }
}
