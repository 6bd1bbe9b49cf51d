package org.fleettap.agent.script;

import java.util.Objects;

/**
 * One finding of a compilation pass, as data: what ({@code message}, one line), where ({@code location}), how bad,
 * and an optional {@code hint} (one line, or {@code null}) such as the closest known names.
 */
public record Diagnostic(Severity severity, SourceLocation location, String message, String hint) {

    public Diagnostic {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(message, "message");
    }

    static Diagnostic error(SourceLocation location, String message) {
        return new Diagnostic(Severity.ERROR, location, message, null);
    }

    static Diagnostic error(SourceLocation location, String message, String hint) {
        return new Diagnostic(Severity.ERROR, location, message, hint);
    }

    static Diagnostic warning(SourceLocation location, String message) {
        return new Diagnostic(Severity.WARNING, location, message, null);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }
}
