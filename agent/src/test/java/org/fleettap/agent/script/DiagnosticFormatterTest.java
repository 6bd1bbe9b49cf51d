package org.fleettap.agent.script;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DiagnosticFormatterTest {

    @Test
    void errorLineThenSourceLineThenCaret() {
        Source source = new Source("loop.stp", "global i\nprobe begin {\n    prinf(\"%d\\n\", i)\n}\n");
        Compilation c = Frontend.check(source);
        assertThat(c.format()).isEqualTo("""
                loop.stp:3:5: error: unknown function 'prinf' (hint: did you mean 'print' or 'printf'?)
                    prinf("%d\\n", i)
                    ^
                """);
    }

    @Test
    void tabsAreKeptSoTheCaretLinesUp() {
        Source source = new Source("t.stp", "probe begin {\n\t\tx = y\n}");
        Diagnostic d = Frontend.check(source).errors().get(0);
        assertThat(DiagnosticFormatter.format(d, source))
                .isEqualTo("t.stp:2:7: error: unknown variable 'y' (hint: assign it first, or declare it with 'global y')\n"
                        + "\t\tx = y\n"
                        + "\t\t    ^\n");
    }

    @Test
    void warningsWithoutHintAndErrorsAtTheEndOfInput() {
        Source source = new Source("t.stp", "probe begin {");
        Diagnostic eof = Frontend.parse(source).error();
        assertThat(DiagnosticFormatter.format(eof, source)).isEqualTo(
                "t.stp:1:14: error: expected '}' to close the block opened at t.stp:1:13, found end of input\n"
                        + "probe begin {\n"
                        + "             ^\n");
        Diagnostic w = new Diagnostic(Severity.WARNING, new SourceLocation("t.stp", 1, 1), "global 'x' is never used",
                null);
        assertThat(DiagnosticFormatter.format(List.of(w, w), source)).isEqualTo(
                "t.stp:1:1: warning: global 'x' is never used\nprobe begin {\n^\n".repeat(2));
    }

    @Test
    void sourceLinesHandleCarriageReturnsAndLinesPastTheEnd() {
        Source source = new Source("t.stp", "a\r\nb\r\n");
        assertThat(source.line(1)).isEqualTo("a");
        assertThat(source.line(2)).isEqualTo("b");
        assertThat(source.line(3)).isEmpty();
        assertThat(source.line(9)).isEmpty();
    }
}
