package org.fleettap.agent.compiler;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.script.Compilation;
import org.fleettap.agent.script.Frontend;
import org.fleettap.agent.script.Source;
import org.fleettap.agent.session.Session;
import org.fleettap.agent.target.Target;

/** Compiling a script from source and running it in a real session, for the compiler's tests. */
final class ScriptRuns {
    private ScriptRuns() {
    }

    /** What one run printed: the script's output and the session's error stream. */
    record Run(String out, String err, int errors, CompiledScript compiled) {
    }

    /** Runs {@code text} (file name test.stp) against {@code target} for at most 60 s. */
    static Run run(String text, Target target) throws Exception {
        Compilation c = Frontend.check(new Source("test.stp", text));
        assertThat(c.succeeded()).as(c.format()).isTrue();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        CompiledScript compiled = ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(target), o);
        Session s = new Session(compiled.plan(), new PrintStream(err, true, StandardCharsets.UTF_8), 0);
        compiled.bind(s);
        int errors = s.run(target, Duration.ofSeconds(60), () -> false);
        compiled.printUnreadGlobals(o);
        return new Run(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), errors, compiled);
    }

    /** The compile error of {@code text} (file name {@code file}), which must pass the checker. */
    static CompileException compileError(String file, String text, Target target) {
        Compilation c = Frontend.check(new Source(file, text));
        assertThat(c.succeeded()).as(c.format()).isTrue();
        try {
            ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(target),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        } catch (CompileException e) {
            return e;
        }
        throw new AssertionError("compiled: " + text);
    }
}
