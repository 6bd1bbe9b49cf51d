package org.fleettap.agent.unwind;

import java.util.Objects;

/** A Frame Description Entry: the CFI of pcs [pcBegin, pcEnd) (link-time), at section offset {@code offset}. */
record Fde(int offset, Cie cie, long pcBegin, long pcEnd, int instructionsStart, int instructionsEnd) {
    Fde {
        Objects.requireNonNull(cie, "cie");
    }

    /** Whether {@code pc} is in [pcBegin, pcEnd). */
    boolean contains(long pc) {
        return Long.compareUnsigned(pc, pcBegin) >= 0 && Long.compareUnsigned(pc, pcEnd) < 0;
    }
}
