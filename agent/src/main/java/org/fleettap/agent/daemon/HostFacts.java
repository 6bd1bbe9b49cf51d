package org.fleettap.agent.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.fleettap.agent.feature.KernelFeatures;
import org.fleettap.agent.feature.MissingFeatureException;
import org.fleettap.agent.tracefs.Tracefs;
import org.fleettap.proto.v1.Capabilities;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What an agent tells the collector about its host when it registers. */
public final class HostFacts {
    private static final Logger log = LoggerFactory.getLogger(HostFacts.class);
    static final Path HOSTNAME = Paths.get("/proc/sys/kernel/hostname");
    static final Path MACHINE_ID = Paths.get("/etc/machine-id");
    static final Path OSRELEASE = Paths.get("/proc/sys/kernel/osrelease");

    private HostFacts() {
    }

    /**
     * This host's default id in the fleet: its host name (the UTS name, so each container or network namespace
     * host with its own name is its own host), or /etc/machine-id where the name is empty or "localhost".
     *
     * @throws IllegalStateException when neither gives a name
     */
    public static String defaultHostId() {
        return chooseHostId(readOrEmpty(HOSTNAME), readOrEmpty(MACHINE_ID));
    }

    static String chooseHostId(String hostname, String machineId) {
        String name = hostname.strip();
        if (!name.isEmpty() && !name.equals("localhost") && !name.equals("(none)")) {
            return name;
        }
        String id = machineId.strip();
        if (!id.isEmpty()) {
            return id;
        }
        throw new IllegalStateException("no host id: the host name is '" + name + "' and " + MACHINE_ID
                + " is empty or missing; set one");
    }

    /** uname -r, from /proc/sys/kernel/osrelease; empty when it cannot be read. */
    public static String kernelVersion() {
        return readOrEmpty(OSRELEASE).strip();
    }

    /**
     * What the kernel offers the agent, as its feature probes find it: the uprobe and kprobe PMUs, and a tracefs that
     * is mounted (or can be) with a writable uprobe_events. bpf stays false: fleettap uses no BPF and does not probe
     * for it.
     */
    static Capabilities capabilities(KernelFeatures kernel) {
        return Capabilities.newBuilder().setUprobePmu(kernel.hasUprobes()).setKprobes(kernel.hasKprobes())
                .setTracefs(hasTracefs()).build();
    }

    static String agentVersion() {
        String v = HostFacts.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static boolean hasTracefs() {
        try {
            return Files.isWritable(Tracefs.locate().path("uprobe_events"));
        } catch (MissingFeatureException | IOException e) {
            log.info("no tracefs: {}", e.getMessage());
            return false;
        }
    }

    private static String readOrEmpty(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
