package org.fleettap.cli;

import org.fleettap.proto.v1.TargetSelector;
import picocli.CommandLine.Option;

/** --hosts, mixed into the commands that run a session on the fleet (latency, profile). */
final class HostsOption {
    @Option(names = "--hosts", paramLabel = "SELECTOR", converter = HostSelectors.SelectorConverter.class,
            description = "Which hosts (labels KEY=VALUE and/or host:NAME; default: every host).")
    TargetSelector hosts;

    /** The selector given, or every host. */
    TargetSelector selector() {
        return hosts != null ? hosts : TargetSelector.getDefaultInstance();
    }
}
