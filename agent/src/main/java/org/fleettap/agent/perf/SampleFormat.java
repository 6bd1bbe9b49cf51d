package org.fleettap.agent.perf;

import java.util.Arrays;

/**
 * How the records of one perf event are laid out: its {@code sample_type}, {@code sample_regs_user} and
 * {@code sample_id_all}. Immutable; layout sizes are computed once here so decoding only reads them.
 */
public final class SampleFormat {
    /** Bits this decoder can lay out. READ, BRANCH_STACK, REGS_INTR and AUX need more attr fields and are refused. */
    public static final long SUPPORTED = SampleType.IP | SampleType.TID | SampleType.TIME | SampleType.ADDR
            | SampleType.CALLCHAIN | SampleType.ID | SampleType.CPU | SampleType.PERIOD | SampleType.STREAM_ID
            | SampleType.RAW | SampleType.REGS_USER | SampleType.STACK_USER | SampleType.WEIGHT
            | SampleType.DATA_SRC | SampleType.IDENTIFIER | SampleType.TRANSACTION | SampleType.PHYS_ADDR
            | SampleType.CGROUP | SampleType.DATA_PAGE_SIZE | SampleType.CODE_PAGE_SIZE | SampleType.WEIGHT_STRUCT;

    private static final long PREFIX_BITS = SampleType.IDENTIFIER | SampleType.IP | SampleType.TID | SampleType.TIME
            | SampleType.ADDR | SampleType.ID | SampleType.STREAM_ID | SampleType.CPU | SampleType.PERIOD;

    private static final long SUFFIX_BITS = SampleType.WEIGHT | SampleType.WEIGHT_STRUCT | SampleType.DATA_SRC
            | SampleType.TRANSACTION | SampleType.PHYS_ADDR | SampleType.CGROUP | SampleType.DATA_PAGE_SIZE
            | SampleType.CODE_PAGE_SIZE;

    private static final long SAMPLE_ID_BITS = SampleType.TID | SampleType.TIME | SampleType.ID
            | SampleType.STREAM_ID | SampleType.CPU | SampleType.IDENTIFIER;

    private final long sampleType;
    private final long regsUserMask;
    private final boolean sampleIdAll;
    private final int userRegCount;
    private final int sampleIdSize;
    private final int prefixSize;
    private final int suffixSize;
    /** For each perf register number, its index among the sampled user registers, or -1. */
    private final byte[] userRegIndex = new byte[64];

    private SampleFormat(long sampleType, long regsUserMask, boolean sampleIdAll) {
        if ((sampleType & SampleType.IDENTIFIER) == 0) {
            throw new IllegalArgumentException("sample_type must include PERF_SAMPLE_IDENTIFIER");
        }
        long unsupported = sampleType & ~SUPPORTED;
        if (unsupported != 0) {
            throw new IllegalArgumentException(
                    "sample_type bits not supported by the decoder: 0x" + Long.toHexString(unsupported));
        }
        if (regsUserMask != 0 && (sampleType & SampleType.REGS_USER) == 0) {
            throw new IllegalArgumentException("sample_regs_user set without PERF_SAMPLE_REGS_USER");
        }
        if ((sampleType & SampleType.REGS_USER) != 0 && regsUserMask == 0) {
            throw new IllegalArgumentException("PERF_SAMPLE_REGS_USER with an empty sample_regs_user");
        }
        if ((sampleType & SampleType.WEIGHT) != 0 && (sampleType & SampleType.WEIGHT_STRUCT) != 0) {
            throw new IllegalArgumentException("PERF_SAMPLE_WEIGHT and PERF_SAMPLE_WEIGHT_STRUCT are exclusive");
        }
        this.sampleType = sampleType;
        this.regsUserMask = regsUserMask;
        this.sampleIdAll = sampleIdAll;
        this.userRegCount = Long.bitCount(regsUserMask);
        this.sampleIdSize = sampleIdAll ? 8 * Long.bitCount(sampleType & SAMPLE_ID_BITS) : 0;
        this.prefixSize = 8 + 8 * Long.bitCount(sampleType & PREFIX_BITS);
        this.suffixSize = 8 * Long.bitCount(sampleType & SUFFIX_BITS);
        Arrays.fill(userRegIndex, (byte) -1);
        int i = 0;
        for (int reg = 0; reg < 64; reg++) {
            if ((regsUserMask & (1L << reg)) != 0) {
                userRegIndex[reg] = (byte) i++;
            }
        }
    }

    /** A format; {@code sampleType} must contain {@link SampleType#IDENTIFIER} and only {@link #SUPPORTED} bits. */
    public static SampleFormat of(long sampleType, long regsUserMask, boolean sampleIdAll) {
        return new SampleFormat(sampleType, regsUserMask, sampleIdAll);
    }

    public long sampleType() {
        return sampleType;
    }

    public long regsUserMask() {
        return regsUserMask;
    }

    public boolean sampleIdAll() {
        return sampleIdAll;
    }

    /** Whether every bit of {@code bits} is in sample_type. */
    public boolean has(long bits) {
        return (sampleType & bits) == bits;
    }

    /** Number of registers in a REGS_USER sample whose abi is not NONE. */
    public int userRegCount() {
        return userRegCount;
    }

    /** Index of perf register {@code reg} among the sampled user registers, or -1 if it is not sampled. */
    public int userRegIndex(int reg) {
        return reg >= 0 && reg < 64 ? userRegIndex[reg] : -1;
    }

    /** Bytes of the sample_id trailer on non-SAMPLE records (0 without sample_id_all). */
    public int sampleIdSize() {
        return sampleIdSize;
    }

    /** Bytes of a SAMPLE from its header up to (not including) the callchain: the fixed-size fields. */
    int prefixSize() {
        return prefixSize;
    }

    /** Bytes of the fixed-size u64 fields after the user stack (weight .. code_page_size). */
    int suffixSize() {
        return suffixSize;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SampleFormat f && f.sampleType == sampleType && f.regsUserMask == regsUserMask
                && f.sampleIdAll == sampleIdAll;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(sampleType) * 31 + Long.hashCode(regsUserMask) * 7 + (sampleIdAll ? 1 : 0);
    }

    @Override
    public String toString() {
        return "SampleFormat[sample_type=0x" + Long.toHexString(sampleType) + ", regs_user=0x"
                + Long.toHexString(regsUserMask) + ", sample_id_all=" + sampleIdAll + "]";
    }
}
