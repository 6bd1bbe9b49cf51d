package org.fleettap.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import org.fleettap.collector.local.LocalStore;
import org.fleettap.collector.local.LocalStoreException;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * --collector or --data, -v, and how to reach the collector securely ({@link ClientTlsOptions}), mixed into the
 * commands that talk to a collector (query, hosts, sessions, stop, latency, profile, locks): they ask a collector,
 * or read the local store that {@code fleettap run} wrote (the default data directory when neither is given)
 * through the same QueryService; a local store needs neither --tls-dir nor --insecure.
 */
final class CollectorOptions extends ClientTlsOptions {

    @Option(names = "--collector", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "The collector to ask.")
    HostPort collector;

    @Option(names = "--data", paramLabel = "DIR", description = "Read what local runs (fleettap run) stored in DIR "
            + "instead (the default without --collector: " + UserDirs.DATA_OPTION_DEFAULT + ").")
    Path data;

    @Option(names = {"-v", "--verbose"}, description = "Log the calls; stack traces on errors.")
    boolean verbose;

    /** The collector (--collector is required), over TLS or, with --insecure, plaintext. */
    CollectorClient connectCollector() throws UserErrors.UsageException {
        if (collector == null) {
            throw new UserErrors.UsageException(commandName() + ": give --collector HOST:PORT", 2);
        }
        return CollectorClient.connect(collector, credentials(collector));
    }

    /** True when the command reads a local store rather than a collector. */
    boolean local() {
        return collector == null;
    }

    /** The collector, or the local store served in this process. */
    CollectorClient connect() throws LocalStoreException, IOException, UserErrors.UsageException {
        if (collector != null && data != null) {
            throw new CommandLine.ParameterException(mixee.commandLine(),
                    "--data and --collector cannot be used together");
        }
        if (collector != null) {
            return connectCollector();
        }
        unusedWithout("--collector");
        return CollectorClient.local(LocalStore.openExisting(UserDirs.dataOrDefault(data), Clock.systemUTC()));
    }
}
