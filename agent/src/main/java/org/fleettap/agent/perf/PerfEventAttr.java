package org.fleettap.agent.perf;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A {@code struct perf_event_attr}, laid out byte for byte as the kernel reads it (PERF_ATTR_SIZE_VER8, 136 bytes).
 * Immutable; built with {@link #builder(int, long)}.
 */
public final class PerfEventAttr {
    /** Size of the struct version written. */
    public static final int SIZE = 136;

    public static final int TYPE_HARDWARE = 0;
    public static final int TYPE_SOFTWARE = 1;
    public static final int TYPE_TRACEPOINT = 2;

    public static final long SW_CPU_CLOCK = 0;

    public static final int CLOCK_MONOTONIC = 1;

    // Bits of the flags word at offset 40.
    private static final int FLAG_DISABLED = 0;
    private static final int FLAG_INHERIT = 1;
    private static final int FLAG_EXCLUDE_KERNEL = 5;
    private static final int FLAG_EXCLUDE_HV = 6;
    private static final int FLAG_MMAP = 8;
    private static final int FLAG_COMM = 9;
    private static final int FLAG_FREQ = 10;
    private static final int FLAG_ENABLE_ON_EXEC = 12;
    private static final int FLAG_TASK = 13;
    private static final int FLAG_WATERMARK = 14;
    private static final int FLAG_SAMPLE_ID_ALL = 18;
    private static final int FLAG_EXCLUDE_CALLCHAIN_KERNEL = 21;
    private static final int FLAG_MMAP2 = 23;
    private static final int FLAG_COMM_EXEC = 24;
    private static final int FLAG_USE_CLOCKID = 25;

    private final int type;
    private final long config;
    private final long config1;
    private final long config2;
    private final long samplePeriod;
    private final long sampleType;
    private final long flags;
    private final int wakeup;
    private final long sampleRegsUser;
    private final int sampleStackUser;
    private final int clockId;

    private PerfEventAttr(Builder b) {
        this.type = b.type;
        this.config = b.config;
        this.config1 = b.config1;
        this.config2 = b.config2;
        this.samplePeriod = b.samplePeriod;
        this.sampleType = b.sampleType;
        this.flags = b.flags;
        this.wakeup = b.wakeup;
        this.sampleRegsUser = b.sampleRegsUser;
        this.sampleStackUser = b.sampleStackUser;
        this.clockId = b.clockId;
    }

    /** A builder for an event of PMU {@code type} with {@code config}. */
    public static Builder builder(int type, long config) {
        return new Builder(type, config);
    }

    public int type() {
        return type;
    }

    public long sampleType() {
        return sampleType;
    }

    public long sampleRegsUser() {
        return sampleRegsUser;
    }

    /** Whether the event samples into a ring buffer (a period is set) rather than only counting. */
    public boolean isSampling() {
        return samplePeriod != 0;
    }

    public boolean sampleIdAll() {
        return (flags & (1L << FLAG_SAMPLE_ID_ALL)) != 0;
    }

    /** Writes the struct into {@code out} (little-endian, {@link #SIZE} bytes from its position). */
    public void writeTo(ByteBuffer out) {
        ByteBuffer b = out.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = b.position();
        for (int i = 0; i < SIZE; i++) {
            b.put(base + i, (byte) 0);
        }
        b.putInt(base, type);
        b.putInt(base + 4, SIZE);
        b.putLong(base + 8, config);
        b.putLong(base + 16, samplePeriod);
        b.putLong(base + 24, sampleType);
        b.putLong(base + 40, flags);
        b.putInt(base + 48, wakeup);
        b.putLong(base + 56, config1);
        b.putLong(base + 64, config2);
        b.putLong(base + 80, sampleRegsUser);
        b.putInt(base + 88, sampleStackUser);
        b.putInt(base + 92, clockId);
    }

    /** The struct in native memory, for perf_event_open. The caller keeps the Memory alive across the call. */
    Memory toNative() {
        Memory m = new Memory(SIZE);
        writeTo(m.getByteBuffer(0, SIZE));
        return m;
    }

    /** Builds a {@link PerfEventAttr}; defaults: counting only, enabled, user space only, CLOCK_MONOTONIC. */
    public static final class Builder {
        private final int type;
        private final long config;
        private long config1;
        private long config2;
        private long samplePeriod;
        private long sampleType;
        private long flags = (1L << FLAG_EXCLUDE_HV) | (1L << FLAG_USE_CLOCKID);
        private int wakeup;
        private long sampleRegsUser;
        private int sampleStackUser;
        private int clockId = CLOCK_MONOTONIC;

        private Builder(int type, long config) {
            this.type = type;
            this.config = config;
        }

        /** config1 (uprobe: the path pointer; kprobe: the function name pointer). */
        public Builder config1(long v) {
            this.config1 = v;
            return this;
        }

        /** config2 (uprobe: the file offset; kprobe: the address or offset). */
        public Builder config2(long v) {
            this.config2 = v;
            return this;
        }

        /** Samples every {@code period} events (or ns for clocks), with the given PERF_SAMPLE_* bits. */
        public Builder sample(long period, long sampleTypeBits) {
            if (period <= 0) {
                throw new IllegalArgumentException("sample period must be positive: " + period);
            }
            this.samplePeriod = period;
            this.sampleType = sampleTypeBits | (1L << 16); // PERF_SAMPLE_IDENTIFIER
            this.flags |= 1L << FLAG_SAMPLE_ID_ALL;
            return this;
        }

        public Builder sampleRegsUser(long mask) {
            this.sampleRegsUser = mask;
            return this;
        }

        public Builder sampleStackUser(int bytes) {
            this.sampleStackUser = bytes;
            return this;
        }

        /** Starts disabled; enable with {@link PerfEvent#enable()}. */
        public Builder disabled(boolean v) {
            return flag(FLAG_DISABLED, v);
        }

        /** Follows children and threads the target creates after the event is opened. */
        public Builder inherit(boolean v) {
            return flag(FLAG_INHERIT, v);
        }

        public Builder excludeKernel(boolean v) {
            return flag(FLAG_EXCLUDE_KERNEL, v);
        }

        public Builder excludeCallchainKernel(boolean v) {
            return flag(FLAG_EXCLUDE_CALLCHAIN_KERNEL, v);
        }

        public Builder enableOnExec(boolean v) {
            return flag(FLAG_ENABLE_ON_EXEC, v);
        }

        /** Also records COMM (with exec), FORK/EXIT and MMAP2 side-band events. */
        public Builder sideBand(boolean v) {
            flag(FLAG_MMAP, v);
            flag(FLAG_MMAP2, v);
            flag(FLAG_COMM, v);
            flag(FLAG_COMM_EXEC, v);
            return flag(FLAG_TASK, v);
        }

        /** Wakes the reader after {@code bytes} of data rather than after every record (batched wake-ups). */
        public Builder wakeupWatermark(int bytes) {
            this.wakeup = bytes;
            return flag(FLAG_WATERMARK, true);
        }

        public Builder wakeupEvents(int events) {
            this.wakeup = events;
            return flag(FLAG_WATERMARK, false);
        }

        public Builder clock(int clockId) {
            this.clockId = clockId;
            return flag(FLAG_USE_CLOCKID, true);
        }

        /** The event's frequency instead of a period (sample_freq). */
        public Builder frequency(long hz) {
            this.samplePeriod = hz;
            return flag(FLAG_FREQ, true);
        }

        private Builder flag(int bit, boolean on) {
            if (on) {
                flags |= 1L << bit;
            } else {
                flags &= ~(1L << bit);
            }
            return this;
        }

        public PerfEventAttr build() {
            return new PerfEventAttr(this);
        }
    }
}
