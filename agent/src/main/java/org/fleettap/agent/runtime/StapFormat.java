package org.fleettap.agent.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A {@code printf}/{@code sprintf} format compiled once into segments and then applied many times.
 *
 * <p>Parsing follows the translator ({@code print_format::string_to_components}, staptree.cxx):
 * {@code %%} is a literal percent, and a conversion is {@code %} + at most ONE flag
 * ({@code - + space 0 #}) + optional width (digits or {@code *}) + optional precision ({@code .}
 * digits or {@code .*}) + an optional single {@code l} + one of {@code d i u x X o s c p}. A second
 * flag, {@code ll} or an unknown letter is "invalid or missing conversion specifier"; a format ending
 * inside a conversion is "trailing incomplete print format conversion". A static width or precision
 * of 0 is dropped by the translator (so {@code %.0s} prints the whole string). {@code %b},
 * {@code %m} and {@code %M} (binary output, raw memory) are rejected: fleettap cannot write binary
 * blobs into the text stream nor read kernel memory from a format.
 *
 * <p>Output follows the runtime ({@code _stp_vsnprintf}, vsprintf.c), where it differs from C:
 * all integers are 64-bit ({@code %u %x %o} print negative values as two's complement);
 * {@code #} prefixes {@code 0x}/{@code 0X}/{@code 0} even for zero and on top of the precision;
 * {@code 0} pads with zeros even when a precision is given; {@code %p} is {@code %#x} (no default
 * width); a precision never suppresses the digit of zero; {@code %c} prints the low byte of its
 * argument and with {@code #} escapes it C-style ({@code \n}, {@code \'}, {@code \\}, {@code \ooo});
 * {@code %s} ignores {@code #} and with {@code 0} appends a NUL byte; a {@code .*} precision below
 * zero counts as 0, a {@code *} width below zero means left-justified. Widths and precisions are
 * clamped to STP_BUFFER_SIZE (8192), as is one {@code printf}'s output.
 */
public final class StapFormat {
    /** STP_BUFFER_SIZE (runtime/transport/transport.h): the most one printf may print. */
    public static final int BUFFER_SIZE = 8192;

    private static final int LEFT = 1;
    private static final int PLUS = 2;
    private static final int SPACE = 4;
    private static final int SPECIAL = 8;
    private static final int ZEROPAD = 16;
    private static final int SIGN = 32;
    private static final int LARGE = 64;

    private static final int UNSPECIFIED = -1;
    private static final int DYNAMIC = -2;

    private final String source;
    private final Segment[] segments;
    private final List<StapType> argumentTypes;

    private StapFormat(String source, Segment[] segments, List<StapType> argumentTypes) {
        this.source = source;
        this.segments = segments;
        this.argumentTypes = argumentTypes;
    }

    /**
     * Parses {@code format} once.
     *
     * @throws IllegalArgumentException with stap's message and the offending offset
     */
    public static StapFormat compile(String format) {
        Objects.requireNonNull(format, "format");
        List<Segment> segments = new ArrayList<>();
        List<StapType> args = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int n = format.length();
        int i = 0;
        while (i < n) {
            char ch = format.charAt(i);
            if (ch != '%') {
                literal.append(ch);
                i++;
                continue;
            }
            if (i + 1 == n || format.charAt(i + 1) == '%') {
                literal.append('%');
                i += 2;
                continue;
            }
            int start = i;
            i++;
            int flags = 0;
            switch (format.charAt(i)) {
                case '0' -> flags = ZEROPAD;
                case '+' -> flags = PLUS;
                case '-' -> flags = LEFT;
                case ' ' -> flags = SPACE;
                case '#' -> flags = SPECIAL;
                default -> { }
            }
            if (flags != 0) {
                i++;
            }
            int width = UNSPECIFIED;
            if (i < n && format.charAt(i) == '*') {
                width = DYNAMIC;
                i++;
            } else if (i < n && isDigit(format.charAt(i))) {
                long w = 0;
                while (i < n && isDigit(format.charAt(i))) {
                    w = Math.min(w * 10 + (format.charAt(i++) - '0'), Integer.MAX_VALUE);
                }
                width = w == 0 ? UNSPECIFIED : (int) Math.min(w, BUFFER_SIZE);
            }
            int precision = UNSPECIFIED;
            if (i < n && format.charAt(i) == '.') {
                i++;
                if (i < n && format.charAt(i) == '*') {
                    precision = DYNAMIC;
                    i++;
                } else if (i < n && isDigit(format.charAt(i))) {
                    long p = 0;
                    while (i < n && isDigit(format.charAt(i))) {
                        p = Math.min(p * 10 + (format.charAt(i++) - '0'), Integer.MAX_VALUE);
                    }
                    precision = p == 0 ? UNSPECIFIED : (int) Math.min(p, BUFFER_SIZE);
                }
            }
            if (i < n && format.charAt(i) == 'l') {
                i++;
            }
            if (i >= n) {
                throw error("trailing incomplete print format conversion", format, start);
            }
            char conv = format.charAt(i);
            Conversion c;
            switch (conv) {
                case 'd', 'i' -> c = new Conversion(Kind.NUMBER, flags | SIGN, 10, width, precision);
                case 'u' -> c = new Conversion(Kind.NUMBER, flags, 10, width, precision);
                case 'o' -> c = new Conversion(Kind.NUMBER, flags, 8, width, precision);
                case 'x' -> c = new Conversion(Kind.NUMBER, flags, 16, width, precision);
                case 'X' -> c = new Conversion(Kind.NUMBER, flags | LARGE, 16, width, precision);
                case 'p' -> c = new Conversion(Kind.NUMBER, flags | SPECIAL, 16, width, precision);
                case 'c' -> c = new Conversion(Kind.CHAR, flags, 10, width, precision);
                case 's' -> c = new Conversion(Kind.STRING, flags, 10, width, precision);
                case 'b', 'm', 'M' -> throw error("%" + conv + " (binary or raw memory output) is not supported",
                        format, start);
                default -> throw error("invalid or missing conversion specifier", format, start);
            }
            i++;
            if (literal.length() > 0) {
                segments.add(new Literal(literal.toString()));
                literal.setLength(0);
            }
            segments.add(c);
            if (width == DYNAMIC) {
                args.add(StapType.LONG);
            }
            if (precision == DYNAMIC) {
                args.add(StapType.LONG);
            }
            args.add(c.kind == Kind.STRING ? StapType.STRING : StapType.LONG);
        }
        if (literal.length() > 0) {
            segments.add(new Literal(literal.toString()));
        }
        return new StapFormat(format, segments.toArray(new Segment[0]), Collections.unmodifiableList(args));
    }

    /** The format as written. */
    public String source() {
        return source;
    }

    /** What the arguments must be, in order ({@code *} widths and precisions are longs). */
    public List<StapType> argumentTypes() {
        return argumentTypes;
    }

    /**
     * {@code printf}: appends the output, at most {@link #BUFFER_SIZE} characters of it.
     *
     * @param args {@code Long} (or {@code Integer}) for integer directives, {@code String} for {@code %s}
     * @throws IllegalArgumentException for too few or too many arguments, or one of the wrong type
     */
    public void printf(StringBuilder out, Object... args) {
        int start = out.length();
        formatTo(out, args);
        if (out.length() - start > BUFFER_SIZE) {
            out.setLength(start + BUFFER_SIZE);
        }
    }

    /**
     * {@code sprintf}: the output as a script string, which ends at a NUL byte (C strings do) and
     * is cut to MAXSTRINGLEN.
     */
    public String sprintf(Object... args) {
        StringBuilder out = new StringBuilder(64);
        formatTo(out, args);
        int nul = out.indexOf("\0");
        if (nul >= 0) {
            out.setLength(nul);
        }
        return StapString.truncate(out.toString());
    }

    private void formatTo(StringBuilder out, Object[] args) {
        if (args.length != argumentTypes.size()) {
            throw new IllegalArgumentException("format \"" + source + "\" takes " + argumentTypes.size()
                    + " argument" + (argumentTypes.size() == 1 ? "" : "s") + ", got " + args.length);
        }
        int a = 0;
        for (Segment s : segments) {
            if (s instanceof Literal l) {
                out.append(l.text);
                continue;
            }
            Conversion c = (Conversion) s;
            int flags = c.flags;
            int width = c.width;
            if (width == DYNAMIC) {
                int w = (int) longArg(args, a++);
                if (w < 0) {
                    flags |= LEFT;
                    w = -w;
                }
                width = clamp(w);
            }
            int precision = c.precision;
            if (precision == DYNAMIC) {
                precision = clamp((int) longArg(args, a++));
            }
            switch (c.kind) {
                case NUMBER -> number(out, longArg(args, a++), c.base, width, precision, flags);
                case CHAR -> character(out, (char) (longArg(args, a++) & 0xff), width, flags);
                case STRING -> string(out, stringArg(args, a++), width, precision, flags);
            }
        }
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(v, BUFFER_SIZE));
    }

    private long longArg(Object[] args, int index) {
        Object o = args[index];
        if (o instanceof Long l) {
            return l;
        }
        if (o instanceof Integer i) {
            return i;
        }
        throw new IllegalArgumentException("format \"" + source + "\": argument " + (index + 1)
                + " must be a long, got " + describe(o));
    }

    private String stringArg(Object[] args, int index) {
        if (args[index] instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("format \"" + source + "\": argument " + (index + 1)
                + " must be a string, got " + describe(args[index]));
    }

    private static String describe(Object o) {
        return o == null ? "null" : o.getClass().getSimpleName() + " " + o;
    }

    /** The runtime's {@code number()}: sign, prefix, padding, precision, digits, in that order. */
    private static void number(StringBuilder out, long num, int base, int size, int precision, int flags) {
        if ((flags & LEFT) != 0) {
            flags &= ~ZEROPAD;
        }
        char pad = (flags & ZEROPAD) != 0 ? '0' : ' ';
        char sign = 0;
        long magnitude = num;
        if ((flags & SIGN) != 0) {
            if (num < 0) {
                sign = '-';
                magnitude = -num; // Long.MIN_VALUE stays 2^63 read as unsigned
                size--;
            } else if ((flags & PLUS) != 0) {
                sign = '+';
                size--;
            } else if ((flags & SPACE) != 0) {
                sign = ' ';
                size--;
            }
        }
        boolean special = (flags & SPECIAL) != 0;
        if (special) {
            if (base == 16) {
                size -= 2;
            } else if (base == 8) {
                size--;
            }
        }
        String digits = switch (base) {
            case 16 -> Long.toHexString(magnitude);
            case 8 -> Long.toOctalString(magnitude);
            default -> Long.toUnsignedString(magnitude);
        };
        if ((flags & LARGE) != 0) {
            digits = digits.toUpperCase(java.util.Locale.ROOT);
        }
        int prec = Math.max(precision, digits.length());
        size -= prec;
        if ((flags & (ZEROPAD | LEFT)) == 0) {
            while (size-- > 0) {
                out.append(' ');
            }
        }
        if (sign != 0) {
            out.append(sign);
        }
        if (special && base == 8) {
            out.append('0');
        } else if (special && base == 16) {
            out.append('0').append((flags & LARGE) != 0 ? 'X' : 'x');
        }
        if ((flags & LEFT) == 0) {
            while (size-- > 0) {
                out.append(pad);
            }
        }
        for (int z = digits.length(); z < prec; z++) {
            out.append('0');
        }
        out.append(digits);
        while (size-- > 0) {
            out.append(' ');
        }
    }

    /** The runtime's {@code _stp_vsprint_char}: space padding only, {@code #} escapes. */
    private static void character(StringBuilder out, char c, int width, int flags) {
        String text = (flags & SPECIAL) != 0 ? escape(c) : String.valueOf(c);
        int padding = width - text.length();
        if ((flags & LEFT) == 0) {
            repeat(out, ' ', padding);
        }
        out.append(text);
        if ((flags & LEFT) != 0) {
            repeat(out, ' ', padding);
        }
    }

    private static String escape(char c) {
        boolean printable = c >= 0x20 && c < 0x7f;
        if (printable && c != '\'' && c != '\\') {
            return String.valueOf(c);
        }
        return switch (c) {
            case 0x07 -> "\\a";
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            case 0x0b -> "\\v";
            case '\'' -> "\\'";
            case '\\' -> "\\\\";
            default -> "\\" + (char) ('0' + ((c >> 6) & 3)) + (char) ('0' + ((c >> 3) & 7)) + (char) ('0' + (c & 7));
        };
    }

    /** The runtime's {@code _stp_vsprint_memory} for {@code %s}. */
    private static void string(StringBuilder out, String s, int width, int precision, int flags) {
        int limit = precision == UNSPECIFIED ? BUFFER_SIZE : precision;
        String text = s.length() > limit ? s.substring(0, limit) : s;
        int padding = width - text.length();
        if ((flags & LEFT) == 0) {
            repeat(out, ' ', padding);
        }
        out.append(text);
        if ((flags & LEFT) != 0) {
            repeat(out, ' ', padding);
        }
        if ((flags & ZEROPAD) != 0) {
            out.append('\0');
        }
    }

    private static void repeat(StringBuilder out, char c, int n) {
        for (int i = 0; i < n; i++) {
            out.append(c);
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static IllegalArgumentException error(String message, String format, int offset) {
        return new IllegalArgumentException(message + " at offset " + offset + " in \"" + format + "\"");
    }

    @Override
    public String toString() {
        return "StapFormat[" + source + "]";
    }

    private enum Kind {
        NUMBER,
        CHAR,
        STRING
    }

    private sealed interface Segment permits Literal, Conversion {}

    private record Literal(String text) implements Segment {}

    private record Conversion(Kind kind, int flags, int base, int width, int precision) implements Segment {}
}
