package org.fleettap.agent.script;

import java.util.List;

/**
 * Renders diagnostics as stap and bpftrace users expect them, three lines each:
 *
 * <pre>
 * loop.stp:3:5: error: unknown function 'prinf' (hint: did you mean 'printf'?)
 *     prinf("%d\n", i)
 *     ^
 * </pre>
 *
 * The first line is {@code FILE:LINE:COL: SEVERITY: MESSAGE}, followed by {@code " (hint: HINT)"} when there is a
 * hint; the second is the source line as written; the third has a caret under the column, with the tabs of the source
 * line kept so that the caret lines up in a terminal.
 */
public final class DiagnosticFormatter {

    private DiagnosticFormatter() {
    }

    /** One diagnostic as three lines, each ending in a newline. */
    public static String format(Diagnostic diagnostic, Source source) {
        SourceLocation at = diagnostic.location();
        StringBuilder sb = new StringBuilder();
        sb.append(at.file()).append(':').append(at.line()).append(':').append(at.column()).append(": ")
                .append(diagnostic.severity().label()).append(": ").append(diagnostic.message());
        if (diagnostic.hint() != null) {
            sb.append(" (hint: ").append(diagnostic.hint()).append(')');
        }
        sb.append('\n');
        String line = source.line(at.line());
        sb.append(line).append('\n');
        for (int i = 0; i < at.column() - 1; i++) {
            sb.append(i < line.length() && line.charAt(i) == '\t' ? '\t' : ' ');
        }
        sb.append("^\n");
        return sb.toString();
    }

    /** All diagnostics, in order. */
    public static String format(List<Diagnostic> diagnostics, Source source) {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic d : diagnostics) {
            sb.append(format(d, source));
        }
        return sb.toString();
    }
}
