package org.fleettap.agent.script;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.fleettap.agent.compiler.CompileException;
import org.fleettap.agent.compiler.ScriptCompiler;
import org.fleettap.agent.probe.ProbeResolver;
import org.fleettap.agent.target.Target;
import org.fleettap.agent.testing.Mutation;

/**
 * Fuzzes the script front end (lexer, parser, checker) and, for what passes it, the compiler: random bytes, token
 * soups, and byte-level mutations of the examples (examples/*.stp). Every input compiles or yields diagnostics that
 * each name file:line:col inside the input; no other exception escapes. Tries: {@code -Dfuzz.tries} (docs/fuzzing.md).
 */
final class ScriptFuzzTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("user.dir")).resolve("../examples").normalize();
    private static final List<String> EXAMPLE_TEXTS = readExamples();
    private static final List<String> TOKENS = List.of("probe", "global", "function", "process", "kernel", "syscall",
            "begin", "end", "timer", "profile", ".", "(", ")", "{", "}", "[", "]", ",", ";", ":", "?", "=", "+=", "++",
            "--", "<<<", "<", ">", "<=", "==", "!=", "&&", "||", "!", "~", "&", "|", "^", "<<", ">>", "*", "/", "%",
            "-", "+", "->", "$", "$$", "$1", "@1", "$return", "$mutex", "@entry", "@count", "@max", "@avg", "@hist_log",
            "@hist_linear", "foreach", "in", "limit", "if", "else", "while", "for", "do", "break", "continue", "next",
            "return", "delete", "try", "catch", "printf", "println", "print", "sprintf", "\"%d\\n\"", "\"%s %s\"",
            "\"", "'", "0", "1", "0x1f", "99999999999999999999", "-1", "x", "i", "times", "f", "%{", "%}", "#", "//",
            "/*", "*/", "\n", "\t", " ", "=~", "!~", "string", "long", "*@file.c:12", "\"*\"", "\"loop\"",
            "function(\"f\")", ".return", ".call", ".statement", ".mark", "tid()", "pid()", "execname()", "ustack(1)",
            "usymname", "\u00e9", "\u0000", "\r");

    private static List<String> readExamples() {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            List<String> out = new ArrayList<>();
            for (Path p : files.filter(f -> f.toString().endsWith(".stp")).sorted().toList()) {
                out.add(Files.readString(p));
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the examples in " + EXAMPLES, e);
        }
    }

    /**
     * Checks and, if the checker accepts it and {@code compile} is set, compiles {@code text} under the name fuzz.stp:
     * either it succeeds or every error names a place inside the text.
     */
    static void compilesOrExplains(String text, boolean compile) {
        Source source = new Source("fuzz.stp", text);
        Compilation c = Frontend.check(source);
        if (!c.succeeded()) {
            assertThat(c.errors()).as("errors for %s", text).isNotEmpty();
            c.errors().forEach(d -> assertPlaced(d, text));
            assertThat(c.format()).contains("fuzz.stp:");
            return;
        }
        if (!compile) {
            return;
        }
        try {
            ScriptCompiler.compile(c.script().orElseThrow(), ProbeResolver.forTarget(Target.all()),
                    new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
        } catch (CompileException e) {
            assertThat(e.diagnostics()).as("compile errors for %s", text).isNotEmpty();
            e.diagnostics().forEach(d -> assertPlaced(d, text));
        }
    }

    private static void assertPlaced(Diagnostic d, String text) {
        int lines = text.split("\n", -1).length;
        assertThat(d.location().file()).isEqualTo("fuzz.stp");
        assertThat(d.location().line()).as("line of %s in %s", d, text).isBetween(1, lines);
        assertThat(d.location().column()).as("column of %s in %s", d, text).isPositive();
        assertThat(d.message()).as("message of %s", d).isNotBlank().doesNotContain("\n");
    }

    @Property
    void randomBytes(@ForAll @Size(max = 300) byte[] bytes) {
        compilesOrExplains(new String(bytes, StandardCharsets.UTF_8), true);
        compilesOrExplains(new String(bytes, StandardCharsets.ISO_8859_1), true);
    }

    @Property
    void tokenSoup(@ForAll("soups") String soup) {
        compilesOrExplains(soup, true);
        compilesOrExplains("probe begin { " + soup + " }", true);
    }

    /** Front end only: compiling resolves the examples' probe points in real binaries, too slow per try. */
    @Property
    void mutatedExamples(@ForAll("examples") String example,
            @ForAll(supplier = Mutation.Edits.class) List<Mutation> edits) {
        byte[] mutated = Mutation.applyAll(example.getBytes(StandardCharsets.UTF_8), edits);
        compilesOrExplains(new String(mutated, StandardCharsets.UTF_8), false);
    }

    @Provide
    Arbitrary<String> soups() {
        return Arbitraries.of(TOKENS).list().ofMaxSize(60)
                .flatMap(tokens -> Arbitraries.of(" ", "").map(sep -> String.join(sep, tokens)));
    }

    @Provide
    Arbitrary<String> examples() {
        return Arbitraries.of(EXAMPLE_TEXTS);
    }
}
