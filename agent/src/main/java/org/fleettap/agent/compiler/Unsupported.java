package org.fleettap.agent.compiler;

import org.fleettap.agent.script.SourceLocation;

/** Thrown inside the compiler's recursion; becomes a CompileException. */
final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient SourceLocation location;

    Unsupported(SourceLocation location, String message) {
        super(message, null, false, false);
        this.location = location;
    }

    /** "{@code what} is not supported yet" at {@code at}. */
    static Unsupported unsupported(SourceLocation at, String what) {
        return new Unsupported(at, what + " is not supported yet");
    }
}
