package org.fleettap.agent.feature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this kernel offers, read once from sysfs and cached: the dynamic PMUs (uprobe, kprobe) with their type
 * numbers and the bit that turns a probe into a return probe.
 */
public final class KernelFeatures {
    /** Where the kernel lists its PMUs. */
    public static final Path EVENT_SOURCES = Paths.get("/sys/bus/event_source/devices");

    private static final KernelFeatures SYSTEM = new KernelFeatures(EVENT_SOURCES);

    private final Path eventSources;
    private final Map<String, Optional<DynamicPmu>> pmus = new ConcurrentHashMap<>();

    KernelFeatures(Path eventSources) {
        this.eventSources = eventSources;
    }

    public static KernelFeatures system() {
        return SYSTEM;
    }

    /** The uprobe PMU, or an error naming CONFIG_UPROBE_EVENTS. */
    public DynamicPmu uprobePmu() throws MissingFeatureException {
        return pmu("uprobe").orElseThrow(() -> new MissingFeatureException("uprobes (CONFIG_UPROBE_EVENTS)",
                "no uprobe PMU in " + eventSources));
    }

    /** The kprobe PMU, or an error naming CONFIG_KPROBES. */
    public DynamicPmu kprobePmu() throws MissingFeatureException {
        return pmu("kprobe").orElseThrow(() -> new MissingFeatureException("kprobes (CONFIG_KPROBES)",
                "no kprobe PMU in " + eventSources + "; kernel.function probes need a kernel built with kprobes"));
    }

    public boolean hasKprobes() {
        return pmu("kprobe").isPresent();
    }

    public boolean hasUprobes() {
        return pmu("uprobe").isPresent();
    }

    private Optional<DynamicPmu> pmu(String name) {
        return pmus.computeIfAbsent(name, n -> readPmu(eventSources.resolve(n)));
    }

    static Optional<DynamicPmu> readPmu(Path dir) {
        Path typeFile = dir.resolve("type");
        if (!Files.isRegularFile(typeFile)) {
            return Optional.empty();
        }
        try {
            int type = Integer.parseInt(read(typeFile));
            int retBit = -1;
            Path ret = dir.resolve("format/retprobe");
            if (Files.isRegularFile(ret)) {
                retBit = parseConfigBit(read(ret));
            }
            int refCtrShift = -1;
            Path ref = dir.resolve("format/ref_ctr_offset");
            if (Files.isRegularFile(ref)) {
                refCtrShift = parseConfigBit(read(ref));
            }
            return Optional.of(new DynamicPmu(dir.getFileName().toString(), type, retBit, refCtrShift));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** "config:0" → 0; "config:32-63" → 32 (the low bit of the field). */
    static int parseConfigBit(String format) {
        int colon = format.indexOf(':');
        if (colon < 0 || !format.startsWith("config")) {
            throw new NumberFormatException("unexpected PMU format '" + format + "'");
        }
        String bits = format.substring(colon + 1);
        int dash = bits.indexOf('-');
        return Integer.parseInt(dash < 0 ? bits : bits.substring(0, dash));
    }

    private static String read(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.US_ASCII).trim();
    }
}
