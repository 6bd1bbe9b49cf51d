package org.fleettap.agent.unwind;

import org.fleettap.agent.perf.X86Reg;

/** The sampled user registers, by perf register number ({@link X86Reg}), with a mask of those present. Immutable. */
public final class UserRegisters {
    private final long mask;
    private final long[] values;

    private UserRegisters(long mask, long[] values) {
        this.mask = mask;
        this.values = values;
    }

    /** No registers. */
    public static UserRegisters none() {
        return new UserRegisters(0, new long[X86Reg.COUNT]);
    }

    /**
     * The registers of {@code mask} (a sample_regs_user mask) taken from {@code byPerfNumber}, indexed by perf
     * register number (not compacted as in the sample).
     */
    public static UserRegisters of(long mask, long[] byPerfNumber) {
        if ((mask >>> X86Reg.COUNT) != 0) {
            throw new IllegalArgumentException("mask 0x" + Long.toHexString(mask) + " names unknown registers");
        }
        long[] v = new long[X86Reg.COUNT];
        for (int r = 0; r < X86Reg.COUNT; r++) {
            if ((mask & (1L << r)) != 0) {
                if (r >= byPerfNumber.length) {
                    throw new IllegalArgumentException("no value for register " + X86Reg.name(r));
                }
                v[r] = byPerfNumber[r];
            }
        }
        return new UserRegisters(mask, v);
    }

    /** A copy with {@code reg} set to {@code value}. */
    public UserRegisters with(int reg, long value) {
        X86Reg.name(reg);
        long[] v = values.clone();
        v[reg] = value;
        return new UserRegisters(mask | (1L << reg), v);
    }

    public long mask() {
        return mask;
    }

    public boolean has(int reg) {
        return reg >= 0 && reg < X86Reg.COUNT && (mask & (1L << reg)) != 0;
    }

    /** The value of {@code reg}, which must be present. */
    public long get(int reg) {
        if (!has(reg)) {
            throw new IllegalArgumentException("register " + X86Reg.name(reg) + " was not sampled");
        }
        return values[reg];
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("UserRegisters[");
        for (int r = 0; r < X86Reg.COUNT; r++) {
            if (has(r)) {
                b.append(b.length() > 14 ? " " : "").append(X86Reg.name(r)).append("=0x")
                        .append(Long.toHexString(values[r]));
            }
        }
        return b.append(']').toString();
    }
}
