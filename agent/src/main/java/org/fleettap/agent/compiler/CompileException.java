package org.fleettap.agent.compiler;

import java.util.List;
import java.util.stream.Collectors;
import org.fleettap.agent.script.Diagnostic;
import org.fleettap.agent.script.DiagnosticFormatter;
import org.fleettap.agent.script.Severity;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.script.SourceLocation;

/**
 * A checked script that cannot be turned into a plan: a construct the compiler does not support yet, or a probe
 * point that does not resolve. Carries the findings as {@link Diagnostic}s (file:line:col), like the front end.
 */
public final class CompileException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient List<Diagnostic> diagnostics;

    public CompileException(List<Diagnostic> diagnostics) {
        super(diagnostics.stream().map(d -> d.location() + ": " + d.message()).collect(Collectors.joining("\n")));
        this.diagnostics = List.copyOf(diagnostics);
    }

    static CompileException at(SourceLocation location, String message) {
        return new CompileException(List.of(new Diagnostic(Severity.ERROR, location, message, null)));
    }

    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    /** The diagnostics as the front end renders its own (source line and caret). */
    public String format(Source source) {
        return DiagnosticFormatter.format(diagnostics, source);
    }
}
