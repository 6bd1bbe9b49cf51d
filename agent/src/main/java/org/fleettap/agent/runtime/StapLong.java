package org.fleettap.agent.runtime;

/**
 * Integer arithmetic as stap does it: 64-bit two's complement that wraps on overflow (Java's
 * {@code long} operators already do), and division or remainder by zero as a run-time error.
 * {@code Long.MIN_VALUE / -1} wraps to {@code Long.MIN_VALUE} and {@code Long.MIN_VALUE % -1} is 0,
 * as the runtime's {@code _stp_div64}/{@code _stp_mod64} special-case {@code -1} instead of trapping.
 */
public final class StapLong {
    /** stap's message for a zero divisor (translate.cxx, STAP_T_03). */
    public static final String DIVISION_BY_ZERO = "division by 0";

    private StapLong() {}

    public static long div(long dividend, long divisor) {
        if (divisor == 0) {
            throw new StapRuntimeException(DIVISION_BY_ZERO);
        }
        return dividend / divisor;
    }

    public static long mod(long dividend, long divisor) {
        if (divisor == 0) {
            throw new StapRuntimeException(DIVISION_BY_ZERO);
        }
        return dividend % divisor;
    }
}
