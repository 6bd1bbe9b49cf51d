package org.fleettap.agent.dwarf;

/** Addresses {@code start} (inclusive) to {@code end} (exclusive). */
public record AddressRange(long start, long end) {
    /** Whether {@code address} lies in this range (unsigned comparison). */
    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")";
    }
}
