package org.fleettap.cli;

import picocli.CommandLine.Option;

/** --collector and -v, mixed into the commands that ask a collector (query, hosts, sessions). */
final class CollectorOptions {
    @Option(names = "--collector", required = true, paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "The collector to ask.")
    HostPort collector;

    @Option(names = {"-v", "--verbose"}, description = "Log the calls; stack traces on errors.")
    boolean verbose;
}
