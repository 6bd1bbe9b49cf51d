package org.fleettap.agent.script;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
 * Pure: no I/O, same input, same output.
 */
public final class Frontend {

    public static final String PARSE = "parse";
    public static final String SYMBOLS = "symbols";
    public static final String TYPES = "types";

    private Frontend() {
    }

    /** Parses only: the syntax tree, or the first lexical or syntax error. */
    public static Parsed parse(Source source) {
        Parser.Result r = Parser.parse(source);
        return new Parsed(r.script(), r.error());
    }

    /** The syntax tree, or the first error. */
    public record Parsed(Script script, Diagnostic error) {
    }

    /** Parses and checks a script. */
    public static Compilation check(Source source) {
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
