package org.fleettap.agent.perf;

/** The PERF_RECORD_* values of {@code perf_event_header.type} and the PERF_RECORD_MISC_* bits. */
public final class RecordType {
    public static final int MMAP = 1;
    public static final int LOST = 2;
    public static final int COMM = 3;
    public static final int EXIT = 4;
    public static final int THROTTLE = 5;
    public static final int UNTHROTTLE = 6;
    public static final int FORK = 7;
    public static final int READ = 8;
    public static final int SAMPLE = 9;
    public static final int MMAP2 = 10;
    public static final int AUX = 11;
    public static final int ITRACE_START = 12;
    public static final int LOST_SAMPLES = 13;
    public static final int SWITCH = 14;
    public static final int SWITCH_CPU_WIDE = 15;
    public static final int NAMESPACES = 16;
    public static final int KSYMBOL = 17;
    public static final int BPF_EVENT = 18;
    public static final int CGROUP = 19;
    public static final int TEXT_POKE = 20;
    public static final int AUX_OUTPUT_HW_ID = 21;

    public static final int MISC_CPUMODE_MASK = 7;
    public static final int MISC_CPUMODE_UNKNOWN = 0;
    public static final int MISC_KERNEL = 1;
    public static final int MISC_USER = 2;
    public static final int MISC_HYPERVISOR = 3;
    public static final int MISC_GUEST_KERNEL = 4;
    public static final int MISC_GUEST_USER = 5;
    /** On COMM: the name changed because of an exec. */
    public static final int MISC_COMM_EXEC = 1 << 13;
    /** On MMAP/MMAP2: a data (non-executable) mapping. */
    public static final int MISC_MMAP_DATA = 1 << 13;
    /** On SWITCH: the task was switched out. */
    public static final int MISC_SWITCH_OUT = 1 << 13;
    /** On SAMPLE: the ip is exact (precise_ip). */
    public static final int MISC_EXACT_IP = 1 << 14;
    /** On MMAP2: the record carries a build id instead of maj/min/ino/ino_generation. */
    public static final int MISC_MMAP_BUILD_ID = 1 << 14;

    private static final String[] NAMES = {
        "UNKNOWN", "MMAP", "LOST", "COMM", "EXIT", "THROTTLE", "UNTHROTTLE", "FORK", "READ", "SAMPLE", "MMAP2",
        "AUX", "ITRACE_START", "LOST_SAMPLES", "SWITCH", "SWITCH_CPU_WIDE", "NAMESPACES", "KSYMBOL", "BPF_EVENT",
        "CGROUP", "TEXT_POKE", "AUX_OUTPUT_HW_ID",
    };

    private RecordType() {}

    /** The kernel's name without the PERF_RECORD_ prefix, or {@code "TYPE_<n>"} for one not known here. */
    public static String name(int type) {
        return type > 0 && type < NAMES.length ? NAMES[type] : "TYPE_" + type;
    }
}
