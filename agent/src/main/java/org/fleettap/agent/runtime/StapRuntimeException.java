package org.fleettap.agent.runtime;

/**
 * A run-time error of a probe handler, with stap's message ({@code division by 0}, {@code empty
 * aggregate}, {@code Array overflow, check MAXMAPENTRIES}, ...). The caller adds where it happened
 * (probe point, script location) and counts it against MAXERRORS.
 */
public final class StapRuntimeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StapRuntimeException(String message) {
        super(message, null, false, false);
    }
}
