package org.fleettap.agent.demangle;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Demangles Itanium C++ ABI symbol names (as emitted by g++ and clang) into the text GNU c++filt prints for them.
 *
 * <p>{@link #demangle} matches {@code c++filt} and {@link #functionName} matches {@code c++filt -p} (no parameter
 * lists: the qualified name a probe such as {@code function("ManProcessor::setState")} is matched against). Both
 * return empty for names that are not mangled (plain C names) and for names that do not parse; neither throws, and
 * both bound their recursion, work and output, so hostile input fails quickly. Versioned dynamic symbols
 * ({@code name@VERSION}) keep their version suffix, as with c++filt. Thread-safe: each call parses afresh.
 */
public final class Demangler {
    /** Longest symbol considered; longer ones are left alone. */
    static final int MAX_SYMBOL_LENGTH = 1 << 16;

    private Demangler() {
    }

    /**
     * The demangled form of {@code symbol}, e.g. {@code ManProcessor::setState(ManProcessorState*)} for
     * {@code _ZN12ManProcessor8setStateEP17ManProcessorState}; empty if it is not a mangled name.
     */
    public static Optional<String> demangle(String symbol) {
        return Optional.ofNullable(safely(symbol, true));
    }

    /**
     * The demangled name of {@code symbol} without its parameter list, e.g. {@code ManProcessor::setState}, as
     * {@code c++filt -p} prints it; empty if it is not a mangled name.
     */
    public static Optional<String> functionName(String symbol) {
        return Optional.ofNullable(safely(symbol, false));
    }

    private static String safely(String symbol, boolean params) {
        if (symbol == null) {
            return null;
        }
        try {
            return demangleOrNull(symbol, params);
        } catch (RuntimeException e) {
            // Unreachable by design (parser and printer fail by returning null); a symbol must never crash a caller.
            return null;
        }
    }

    /**
     * The demangled text, or null if nothing in {@code symbol} demangles; with {@code params} false, without parameter
     * lists. Like c++filt reading its input, each word (a run of letters, digits, '_', '$' and '.') is demangled on its
     * own, so a versioned dynamic symbol {@code _Znwm@GLIBCXX_3.4} becomes
     * {@code operator new(unsigned long)@GLIBCXX_3.4}. Unlike c++filt, non-ASCII characters (UTF-8 identifiers) count
     * as word characters.
     */
    static String demangleOrNull(String symbol, boolean params) {
        if (symbol.isEmpty() || symbol.length() > MAX_SYMBOL_LENGTH) {
            return null;
        }
        int n = symbol.length();
        int firstSeparator = 0;
        while (firstSeparator < n && isWordChar(symbol.charAt(firstSeparator))) {
            firstSeparator++;
        }
        if (firstSeparator == n) {
            return demangleWord(symbol, params);
        }
        StringBuilder out = new StringBuilder(n * 2);
        boolean any = false;
        int i = 0;
        while (i < n) {
            if (!isWordChar(symbol.charAt(i))) {
                out.append(symbol.charAt(i++));
                continue;
            }
            int end = i;
            while (end < n && isWordChar(symbol.charAt(end))) {
                end++;
            }
            String word = symbol.substring(i, end);
            String text = demangleWord(word, params);
            if (text != null) {
                any = true;
                out.append(text);
            } else {
                out.append(word);
            }
            i = end;
        }
        return any ? out.toString() : null;
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$'
                || c == '.' || c >= 0x80;
    }

    private static String demangleWord(String word, boolean params) {
        // c++filt skips one leading '.' or '$' (assembler decorations) and puts a '.' back.
        char first = word.charAt(0);
        int skip = first == '.' || first == '$' ? 1 : 0;
        String body = word.substring(skip);
        // Lengths in mangled names count bytes: parse the UTF-8 bytes, one char per byte.
        boolean ascii = isAscii(body);
        if (!ascii) {
            body = new String(body.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        }
        Parser.Parsed parsed = Parser.parse(body, params);
        if (parsed == null) {
            return null;
        }
        String text = Printer.print(parsed);
        if (text == null) {
            return null;
        }
        if (!ascii) {
            text = new String(text.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        }
        return first == '.' ? "." + text : text;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
