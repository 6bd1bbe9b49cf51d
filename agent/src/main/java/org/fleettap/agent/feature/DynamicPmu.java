package org.fleettap.agent.feature;

/**
 * A dynamic PMU (uprobe or kprobe) as sysfs describes it: its perf type, the config bit of a return probe, and
 * the shift of the reference-counter (USDT semaphore) offset in config, -1 where the kernel has none.
 */
public record DynamicPmu(String name, int type, int retprobeBit, int refCtrOffsetShift) {

    /** The attr config for an entry or return probe with an optional semaphore offset (0 for none). */
    public long config(boolean retprobe, long refCtrOffset) throws MissingFeatureException {
        long config = 0;
        if (retprobe) {
            if (retprobeBit < 0) {
                throw new MissingFeatureException("return probes on the " + name + " PMU",
                        "no format/retprobe in sysfs");
            }
            config |= 1L << retprobeBit;
        }
        if (refCtrOffset != 0) {
            if (refCtrOffsetShift < 0) {
                throw new MissingFeatureException("uprobe reference counters (USDT semaphores, Linux 4.20)",
                        "no format/ref_ctr_offset in sysfs");
            }
            config |= refCtrOffset << refCtrOffsetShift;
        }
        return config;
    }
}
