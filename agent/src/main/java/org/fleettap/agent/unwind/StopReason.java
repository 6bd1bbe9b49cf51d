package org.fleettap.agent.unwind;

/** Why an unwind ended. Only {@link #END_OF_STACK} means the whole stack was walked. */
public enum StopReason {
    /** The outermost frame was reached: the return address is undefined (or zero). */
    END_OF_STACK,
    /** The caller's maximum depth was reached. */
    MAX_DEPTH,
    /** A pc lies in no known module (JIT code, a mapping the caller could not resolve). */
    UNKNOWN_MODULE,
    /** The module has no CFI for the pc and no usable frame-pointer chain. */
    NO_UNWIND_INFO,
    /** The CFI is corrupt or uses something unsupported (an expression operation, an encoding). */
    BAD_UNWIND_INFO,
    /** A rule needs a register whose value is not known in this frame. */
    UNKNOWN_REGISTER,
    /** A rule reads memory outside the stack copy. */
    OUTSIDE_STACK_COPY,
    /** The caller's stack pointer would not be above this frame's: a loop or garbage. */
    CFA_NOT_ADVANCING
}
