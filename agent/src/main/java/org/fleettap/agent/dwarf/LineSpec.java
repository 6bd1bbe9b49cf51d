package org.fleettap.agent.dwarf;

import java.util.Objects;

/**
 * A source-line probe point, {@code FUNC@FILE:LINE} as in {@code .statement("*@gis_server.cpp:72")}.
 *
 * @param function a glob over function names; {@code *} for any function
 * @param file the file: matched against the end of each source path at a {@code /} ("lines.c" matches
 *     "/src/lines.c", not "/src/mylines.c"); may hold the globs {@code *}, {@code ?} and {@code [...]}
 * @param line the 1-based line number
 */
public record LineSpec(String function, String file, int line) {
    public LineSpec {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(file, "file");
        if (function.isEmpty() || file.isEmpty()) {
            throw new IllegalArgumentException("empty function or file in " + function + "@" + file + ":" + line);
        }
        if (line < 1) {
            throw new IllegalArgumentException("line " + line + " is not a line number");
        }
    }

    /** Parses {@code FUNC@FILE:LINE}; a one-line {@link IllegalArgumentException} if it is not one. */
    public static LineSpec parse(String spec) {
        int at = spec.indexOf('@');
        int colon = spec.lastIndexOf(':');
        if (at <= 0 || colon < at + 2 || colon == spec.length() - 1) {
            throw new IllegalArgumentException("\"" + spec + "\" is not FUNCTION@FILE:LINE");
        }
        String number = spec.substring(colon + 1);
        int line;
        try {
            line = Integer.parseInt(number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + spec + "\": line \"" + number + "\" is not a number", e);
        }
        return new LineSpec(spec.substring(0, at), spec.substring(at + 1, colon), line);
    }

    /** Whether any function is meant. */
    public boolean anyFunction() {
        return function.equals("*");
    }

    @Override
    public String toString() {
        return function + "@" + file + ":" + line;
    }
}
