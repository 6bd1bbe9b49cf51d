package org.fleettap.agent.script;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of checking a script: the checked script when no pass reported an error, and every diagnostic
 * (warnings included) of the passes that ran. {@code failedPass} names the pass that stopped compilation, or is
 * {@code null}.
 */
public record Compilation(Source source, CheckedScript checked, List<Diagnostic> diagnostics, String failedPass) {

    public Compilation {
        diagnostics = List.copyOf(diagnostics);
    }

    public boolean succeeded() {
        return checked != null;
    }

    public Optional<CheckedScript> script() {
        return Optional.ofNullable(checked);
    }

    public List<Diagnostic> errors() {
        return diagnostics.stream().filter(Diagnostic::isError).toList();
    }

    /** All diagnostics as {@link DiagnosticFormatter} renders them. */
    public String format() {
        return DiagnosticFormatter.format(diagnostics, source);
    }
}
