package org.fleettap.agent.script;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code printf} format: its directives {@code %[flags][width][.precision][length]conversion} with flags
 * {@code -+ #0}, width and precision as digits or {@code *} (which take a long argument each), length modifiers
 * {@code h hh l ll L} (accepted and ignored, as stap does), and the conversions {@code d i u x X o s c p %}.
 */
record FormatString(List<Directive> directives) {

    static final String SUPPORTED = "supported: %d %i %u %x %X %o %s %c %p %%, with flags -+ #0, width, precision";

    /** One conversion: its spelling, the argument types it consumes in order ({@code *} widths first). */
    record Directive(String spelling, List<Type> arguments) {
    }

    /** Thrown for a malformed format; the message is one line. */
    static final class FormatException extends Exception {
        FormatException(String message) {
            super(message, null, false, false);
        }
    }

    static FormatString parse(String format) throws FormatException {
        List<Directive> directives = new ArrayList<>();
        int i = 0;
        while (i < format.length()) {
            if (format.charAt(i) != '%') {
                i++;
                continue;
            }
            int start = i++;
            List<Type> args = new ArrayList<>();
            while (i < format.length() && "-+ #0".indexOf(format.charAt(i)) >= 0) {
                i++;
            }
            i = widthOrPrecision(format, i, args);
            if (i < format.length() && format.charAt(i) == '.') {
                i = widthOrPrecision(format, i + 1, args);
            }
            while (i < format.length() && "hlL".indexOf(format.charAt(i)) >= 0) {
                i++;
            }
            if (i >= format.length()) {
                throw new FormatException("the format ends inside the directive '" + format.substring(start) + "'");
            }
            char conversion = format.charAt(i++);
            String spelling = format.substring(start, i);
            switch (conversion) {
                case 'd', 'i', 'u', 'x', 'X', 'o', 'c', 'p' -> args.add(Type.LONG);
                case 's' -> args.add(Type.STRING);
                case '%' -> {
                    if (!spelling.equals("%%")) {
                        throw new FormatException("'" + spelling + "' is not a valid directive; write '%%'");
                    }
                    continue;
                }
                default -> throw new FormatException("unknown conversion '" + spelling + "' in the format");
            }
            directives.add(new Directive(spelling, args));
        }
        return new FormatString(List.copyOf(directives));
    }

    private static int widthOrPrecision(String format, int i, List<Type> args) {
        if (i < format.length() && format.charAt(i) == '*') {
            args.add(Type.LONG);
            return i + 1;
        }
        while (i < format.length() && Character.isDigit(format.charAt(i))) {
            i++;
        }
        return i;
    }

    /** How many arguments the format consumes. */
    int argumentCount() {
        return directives.stream().mapToInt(d -> d.arguments().size()).sum();
    }
}
