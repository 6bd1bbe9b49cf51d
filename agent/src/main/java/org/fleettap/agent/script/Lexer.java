package org.fleettap.agent.script;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Pass 1: text to tokens. Comments ({@code #}, {@code //}, {@code /* *}{@code /}) and whitespace are dropped.
 * Embedded C ({@code %{ %}}) is refused here, as is the preprocessor ({@code %( %)}), so that nothing later has to
 * know they exist. Stops at the first error.
 */
final class Lexer {

    static final Set<String> KEYWORDS = Set.of("global", "probe", "function", "if", "else", "while", "for",
            "foreach", "in", "limit", "next", "break", "continue", "return", "delete", "try", "catch");

    static final String EMBEDDED_C_REFUSED =
            "embedded C is refused: no script may write to a traced process or load code into the kernel";

    /** Operators, longest first so that the first match is the longest one. */
    private static final String[] OPERATORS = {
        "<<<", "<<=", ">>=",
        "<<", ">>", "<=", ">=", "==", "!=", "=~", "!~", "&&", "||", "++", "--",
        "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", ".=", "->",
        "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "=", "<", ">", "?", ":", ",", ";",
        "(", ")", "[", "]", "{", "}", "."
    };

    /** Tokens, ending with an EOF token, or the first error. */
    record Result(List<Token> tokens, Diagnostic error) {
    }

    private final Source source;
    private final String text;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;
    private int lineStart;

    private Lexer(Source source) {
        this.source = source;
        this.text = source.text();
    }

    static Result lex(Source source) {
        Lexer lexer = new Lexer(source);
        try {
            lexer.run();
            return new Result(List.copyOf(lexer.tokens), null);
        } catch (LexError e) {
            return new Result(List.of(), e.diagnostic);
        }
    }

    private static final class LexError extends RuntimeException {
        final Diagnostic diagnostic;

        LexError(Diagnostic diagnostic) {
            super(diagnostic.message(), null, false, false);
            this.diagnostic = diagnostic;
        }
    }

    private SourceLocation here() {
        return new SourceLocation(source.name(), line, pos - lineStart + 1);
    }

    private LexError error(SourceLocation at, String message) {
        return new LexError(Diagnostic.error(at, message));
    }

    private LexError error(SourceLocation at, String message, String hint) {
        return new LexError(Diagnostic.error(at, message, hint));
    }

    private char peek(int ahead) {
        int i = pos + ahead;
        return i < text.length() ? text.charAt(i) : '\0';
    }

    private void advance() {
        if (text.charAt(pos) == '\n') {
            line++;
            lineStart = pos + 1;
        }
        pos++;
    }

    private void run() {
        while (true) {
            skipBlanksAndComments();
            if (pos >= text.length()) {
                SourceLocation at = here();
                tokens.add(new Token(Token.Kind.EOF, "", 0, at, pos, pos));
                return;
            }
            token();
        }
    }

    private void skipBlanksAndComments() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                advance();
            } else if (c == '#' || (c == '/' && peek(1) == '/')) {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    advance();
                }
            } else if (c == '/' && peek(1) == '*') {
                SourceLocation at = here();
                advance();
                advance();
                while (!(peek(0) == '*' && peek(1) == '/')) {
                    if (pos >= text.length()) {
                        throw error(at, "unterminated comment", "a comment opened with '/*' must end with '*/'");
                    }
                    advance();
                }
                advance();
                advance();
            } else {
                return;
            }
        }
    }

    private void token() {
        SourceLocation at = here();
        int start = pos;
        char c = text.charAt(pos);
        if (isNameStart(c)) {
            String name = name();
            Token.Kind kind = KEYWORDS.contains(name) ? Token.Kind.KEYWORD : Token.Kind.IDENT;
            tokens.add(new Token(kind, name, 0, at, start, pos));
        } else if (isDigit(c)) {
            number(at, start);
        } else if (c == '"') {
            string(at, start);
        } else if (c == '$') {
            dollar(at, start);
        } else if (c == '@') {
            at(at, start);
        } else if (c == '%' && (peek(1) == '{' || peek(1) == '}')) {
            throw error(at, EMBEDDED_C_REFUSED, "guru mode is not available; use the script language only");
        } else if (c == '%' && peek(1) == '(') {
            throw error(at, "preprocessor conditionals '%( ... %)' are not supported",
                    "write the variant of the script meant for this system");
        } else {
            operator(at, start);
        }
    }

    private static boolean isNameStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || isDigit(c);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private String name() {
        int start = pos;
        while (pos < text.length() && isNamePart(text.charAt(pos))) {
            advance();
        }
        return text.substring(start, pos);
    }

    private void number(SourceLocation at, int start) {
        while (pos < text.length() && isNamePart(text.charAt(pos))) {
            advance();
        }
        String spelling = text.substring(start, pos);
        int radix = 10;
        String digits = spelling;
        boolean hex = spelling.startsWith("0x") || spelling.startsWith("0X");
        if (hex) {
            radix = 16;
            digits = spelling.substring(2);
        } else if (spelling.length() > 1 && spelling.charAt(0) == '0') {
            radix = 8;
            digits = spelling.substring(1);
        }
        long value;
        try {
            if (digits.isEmpty()) {
                throw new NumberFormatException();
            }
            value = Long.parseUnsignedLong(digits, radix);
        } catch (NumberFormatException e) {
            final int base = radix;
            boolean valid = !digits.isEmpty() && digits.chars().allMatch(ch -> Character.digit(ch, base) >= 0);
            if (valid) {
                throw error(at, "integer literal " + spelling + " does not fit in 64 bits");
            }
            throw error(at, "invalid " + (radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "decimal")
                    + " integer literal '" + spelling + "'");
        }
        tokens.add(new Token(Token.Kind.NUMBER, spelling, value, at, start, pos));
    }

    private void string(SourceLocation at, int start) {
        advance();
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length() || text.charAt(pos) == '\n') {
                throw error(at, "unterminated string", "close the string with '\"' on the same line");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                advance();
                break;
            }
            if (c == '\\') {
                escape(sb);
            } else {
                sb.append(c);
                advance();
            }
        }
        tokens.add(new Token(Token.Kind.STRING, sb.toString(), 0, at, start, pos));
    }

    private void escape(StringBuilder sb) {
        SourceLocation at = here();
        advance();
        char e = peek(0);
        switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case 'a' -> sb.append('\u0007');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'v' -> sb.append('\u000b');
            case '\\', '"', '\'', '?' -> sb.append(e);
            case 'x' -> {
                advance();
                int value = 0;
                int n = 0;
                while (n < 2 && Character.digit(peek(0), 16) >= 0) {
                    value = value * 16 + Character.digit(peek(0), 16);
                    advance();
                    n++;
                }
                if (n == 0) {
                    throw error(at, "'\\x' needs hexadecimal digits");
                }
                sb.append((char) value);
                return;
            }
            default -> {
                if (e >= '0' && e <= '7') {
                    int value = 0;
                    int n = 0;
                    while (n < 3 && peek(0) >= '0' && peek(0) <= '7') {
                        value = value * 8 + (peek(0) - '0');
                        advance();
                        n++;
                    }
                    sb.append((char) (value & 0xff));
                    return;
                }
                if (pos >= text.length() || e == '\n') {
                    throw error(at, "unterminated string");
                }
                throw error(at, "unknown escape '\\" + e + "' in string",
                        "known escapes: \\n \\t \\r \\a \\b \\f \\v \\\\ \\\" \\' \\? \\ooo \\xhh");
            }
        }
        advance();
    }

    private void dollar(SourceLocation at, int start) {
        advance();
        char c = peek(0);
        if (c == '$') {
            advance();
            String what = isNameStart(peek(0)) ? name() : "";
            throw error(at, "'$$" + what + "' pretty-printing is not supported",
                    "name the target variables you need, e.g. $mutex");
        }
        if (c == '#') {
            throw error(at, "'$#' (the number of script arguments) is not supported");
        }
        if (isDigit(c)) {
            String digits = digits();
            tokens.add(new Token(Token.Kind.ARG_NUMBER, digits, Long.parseLong(digits), at, start, pos));
            return;
        }
        if (!isNameStart(c)) {
            throw error(at, "expected a target variable name after '$'");
        }
        String name = name();
        if (peek(0) == '$') {
            throw error(at, "'$" + name + "$' pretty-printing is not supported",
                    "read the members you need, e.g. $" + name + "->field");
        }
        tokens.add(new Token(Token.Kind.TARGET, name, 0, at, start, pos));
    }

    private void at(SourceLocation at, int start) {
        advance();
        char c = peek(0);
        if (isDigit(c)) {
            String digits = digits();
            tokens.add(new Token(Token.Kind.ARG_STRING, digits, Long.parseLong(digits), at, start, pos));
            return;
        }
        if (c == '#') {
            throw error(at, "'@#' (the number of script arguments) is not supported");
        }
        if (!isNameStart(c)) {
            throw error(at, "expected a name after '@'", "e.g. @count, @entry or @1");
        }
        tokens.add(new Token(Token.Kind.AT_NAME, name(), 0, at, start, pos));
    }

    private String digits() {
        int start = pos;
        while (pos < text.length() && isDigit(text.charAt(pos))) {
            advance();
        }
        if (pos - start > 6) {
            throw error(here(), "script argument number too large");
        }
        return text.substring(start, pos);
    }

    private void operator(SourceLocation at, int start) {
        for (String op : OPERATORS) {
            if (text.startsWith(op, pos)) {
                for (int i = 0; i < op.length(); i++) {
                    advance();
                }
                tokens.add(new Token(Token.Kind.OP, op, 0, at, start, pos));
                return;
            }
        }
        int cp = text.codePointAt(pos);
        String shown = Character.isISOControl(cp) || Character.isWhitespace(cp)
                ? String.format("\\u%04x", cp) : new String(Character.toChars(cp));
        throw error(at, "unexpected character '" + shown + "'");
    }
}
