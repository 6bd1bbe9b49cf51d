package org.fleettap.agent.runtime;

/**
 * A run-time error of a probe handler, with stap's message ({@code division by 0}, {@code empty
 * aggregate}, {@code Array overflow, check MAXMAPENTRIES}, ...). The caller adds where it happened
 * (probe point, script location) and counts it against MAXERRORS.
 */
public final class StapRuntimeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean catchable;

    public StapRuntimeException(String message) {
        this(message, true);
    }

    /** An error {@code try}/{@code catch} cannot catch when not {@code catchable} (MAXACTION, as in stap). */
    public StapRuntimeException(String message, boolean catchable) {
        super(message, null, false, false);
        this.catchable = catchable;
    }

    /** Whether a script's {@code try { } catch { }} may handle this error. */
    public boolean catchable() {
        return catchable;
    }
}
