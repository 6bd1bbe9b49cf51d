package org.fleettap.cli;

import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.fleettap.proto.v1.HostInfo;
import org.fleettap.proto.v1.ListHostsRequest;
import org.fleettap.proto.v1.ListHostsResponse;
import org.fleettap.proto.v1.TargetSelector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleettap hosts}: the agent hosts the collector knows, with labels, whether connected, and last contact; for
 * a local store, the hosts its runs ran on.
 */
@Command(name = "hosts", mixinStandardHelpOptions = true,
        description = "List the agent hosts the collector knows: labels, connected now, last contact.")
final class HostsCommand implements Callable<Integer> {

    @Mixin
    CollectorOptions collector;

    @Option(names = "--hosts", paramLabel = "SELECTOR", converter = HostSelectors.SelectorConverter.class,
            description = "Only the hosts this selector matches (KEY=VALUE and host:NAME items, as for run).")
    TargetSelector hosts;

    @Option(names = "-o", paramLabel = "FORMAT", defaultValue = "table", converter = OutputFormat.Converter.class,
            description = "table, json or csv.")
    OutputFormat format;

    @Override
    public Integer call() throws Exception {
        try (CollectorClient client = collector.connect()) {
            ListHostsRequest req = ListHostsRequest.newBuilder()
                    .setSelector(hosts != null ? hosts : TargetSelector.getDefaultInstance()).build();
            ListHostsResponse r = client.call("ListHosts", () -> client.query().listHosts(req));
            System.out.print(format == OutputFormat.JSON ? OutputFormat.json(r) : table(r.getHostsList(), format));
            return 0;
        }
    }

    static String table(List<HostInfo> hosts) {
        return table(hosts, OutputFormat.TABLE);
    }

    static String table(List<HostInfo> hosts, OutputFormat format) {
        Table t = new Table(List.of("HOST", "LABELS", "CONNECTED", "LAST CONTACT", "KERNEL", "PROBES"), false, false,
                false, false, false, false);
        for (HostInfo h : hosts) {
            String labels = new TreeMap<>(h.getLabelsMap()).entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
            t.add(List.of(h.getHostId(), labels.isEmpty() ? "-" : labels, h.getConnected() ? "yes" : "no",
                    Times.format(h.getLastHeartbeatUnixNanos()),
                    h.getKernelVersion().isEmpty() ? "-" : h.getKernelVersion(), probes(h.getCapabilities())));
        }
        return t.render(format);
    }

    /** What the host's kernel lets its agent probe with, e.g. "uprobes,tracefs,bpf"; "-" for nothing reported. */
    static String probes(org.fleettap.proto.v1.Capabilities c) {
        List<String> have = new java.util.ArrayList<>();
        if (c.getUprobePmu()) {
            have.add("uprobes");
        }
        if (c.getTracefs()) {
            have.add("tracefs");
        }
        if (c.getKprobes()) {
            have.add("kprobes");
        }
        if (c.getBpf()) {
            have.add("bpf");
        }
        return have.isEmpty() ? "-" : String.join(",", have);
    }
}
