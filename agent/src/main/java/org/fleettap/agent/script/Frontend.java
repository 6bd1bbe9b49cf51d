package org.fleettap.agent.script;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The script front end: an ordered list of passes, stopping after the first pass that reports an error.
 *
 * <ol>
 *   <li>{@code parse}: text to tokens to syntax tree ({@link Lexer}, {@link Parser}); the first syntax error;</li>
 *   <li>{@code symbols}: declarations, name resolution, array arity, where constructs may appear
 *       ({@link SymbolPass});</li>
 *   <li>{@code types}: type inference and printf formats ({@link TypePass}).</li>
 * </ol>
 *
 * Pure: no I/O, same input, same output. The passes recurse over the tree, whose depth the parser bounds
 * ({@value Parser#MAX_DEPTH} levels); so that this bound, not the caller's remaining stack, decides what compiles, the
 * passes run on a thread of their own with a stack of {@value #STACK_BYTES} bytes.
 */
public final class Frontend {

    public static final String PARSE = "parse";
    public static final String SYMBOLS = "symbols";
    public static final String TYPES = "types";

    static final long STACK_BYTES = 64L << 20;

    private Frontend() {
    }

    /** Runs {@code work} on a thread with a known, large stack, and waits for it. */
    private static <T> T withStack(Supplier<T> work) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(null, () -> {
            try {
                result.set(work.get());
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "fleettap-script-frontend", STACK_BYTES);
        thread.start();
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return result.get();
    }

    /** Parses only: the syntax tree, or the first lexical or syntax error. */
    public static Parsed parse(Source source) {
        Parser.Result r = withStack(() -> Parser.parse(source));
        return new Parsed(r.script(), r.error());
    }

    /** The syntax tree, or the first error. */
    public record Parsed(Script script, Diagnostic error) {
    }

    /** Parses and checks a script. */
    public static Compilation check(Source source) {
        return withStack(() -> passes(source));
    }

    private static Compilation passes(Source source) {
        Parser.Result parsed = Parser.parse(source);
        if (parsed.error() != null) {
            return new Compilation(source, null, List.of(parsed.error()), PARSE);
        }
        List<Diagnostic> diagnostics = new ArrayList<>();
        Symbols symbols = SymbolPass.run(parsed.script(), diagnostics);
        if (diagnostics.stream().anyMatch(Diagnostic::isError)) {
            return new Compilation(source, null, diagnostics, SYMBOLS);
        }
        Map<Expr, Type> types = TypePass.run(symbols, diagnostics);
        if (diagnostics.stream().anyMatch(Diagnostic::isError)) {
            return new Compilation(source, null, diagnostics, TYPES);
        }
        return new Compilation(source, new CheckedScript(parsed.script(), symbols, types), diagnostics, null);
    }
}
