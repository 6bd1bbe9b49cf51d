package org.fleettap.agent.tracefs;

import java.io.IOException;
import java.util.Objects;

/** A tracepoint that does not exist on this kernel. {@link Tracepoints#all()} lists those that do. */
public final class UnknownTracepointException extends IOException {
    private final String tracepoint;

    UnknownTracepointException(String tracepoint, String where) {
        super("tracepoint " + tracepoint + " does not exist (no " + where + ")");
        this.tracepoint = Objects.requireNonNull(tracepoint, "tracepoint");
    }

    /** The name asked for, "system:event". */
    public String tracepoint() {
        return tracepoint;
    }
}
