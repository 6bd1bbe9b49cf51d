package org.fleettap.agent.script;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LexerTest {

    private static List<Token> lex(String text) {
        Lexer.Result r = Lexer.lex(new Source("t.stp", text));
        assertThat(r.error()).as("lexer error").isNull();
        return r.tokens();
    }

    private static Diagnostic lexError(String text) {
        Lexer.Result r = Lexer.lex(new Source("t.stp", text));
        assertThat(r.error()).as("lexer error for %s", text).isNotNull();
        return r.error();
    }

    private static List<String> shapes(String text) {
        return lex(text).stream().map(t -> t.kind() + ":" + t.text()).toList();
    }

    @Test
    void keywordsIdentifiersAndSigils() {
        assertThat(shapes("global probe function if else while for foreach in limit next break continue return"
                + " delete try catch"))
                .allMatch(s -> s.startsWith("KEYWORD:") || s.equals("EOF:"));
        assertThat(shapes("tid $mutex $1 @1 @entry @hist_log x_9"))
                .containsExactly("IDENT:tid", "TARGET:mutex", "ARG_NUMBER:1", "ARG_STRING:1", "AT_NAME:entry",
                        "AT_NAME:hist_log", "IDENT:x_9", "EOF:");
    }

    @Test
    void operatorsTakeTheLongestMatch() {
        assertThat(shapes("a <<< b <<= c << d -> e .= f . g ++ -- += ?: != !~ =~ && || & ~"))
                .filteredOn(s -> s.startsWith("OP:"))
                .containsExactly("OP:<<<", "OP:<<=", "OP:<<", "OP:->", "OP:.=", "OP:.", "OP:++", "OP:--", "OP:+=",
                        "OP:?", "OP::", "OP:!=", "OP:!~", "OP:=~", "OP:&&", "OP:||", "OP:&", "OP:~");
    }

    static Stream<Arguments> integers() {
        return Stream.of(
                Arguments.of("decimal", "1234", 1234L),
                Arguments.of("hex", "0x1F", 31L),
                Arguments.of("octal", "017", 15L),
                Arguments.of("zero", "0", 0L),
                Arguments.of("max long", "9223372036854775807", Long.MAX_VALUE),
                Arguments.of("wraps above 2**63 as stap", "18446744073709551615", -1L));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("integers")
    void integerLiterals(String name, String text, long value) {
        Token t = lex(text).get(0);
        assertThat(t.kind()).isEqualTo(Token.Kind.NUMBER);
        assertThat(t.number()).isEqualTo(value);
    }

    @Test
    void stringsDecodeEscapes() {
        assertThat(lex("\"a\\n\\t\\\\\\\"\\101\\x42\"").get(0).text()).isEqualTo("a\n\t\\\"AB");
    }

    @Test
    void commentsOfAllThreeKindsAreSkippedAndLocationsCountLinesAndColumns() {
        List<Token> tokens = lex("# shell\n// c++\n/* c\n */  x\n\ty");
        assertThat(tokens).extracting(Token::text).containsExactly("x", "y", "");
        assertThat(tokens.get(0).location()).isEqualTo(new SourceLocation("t.stp", 4, 6));
        assertThat(tokens.get(1).location()).isEqualTo(new SourceLocation("t.stp", 5, 2));
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("embedded C block", "probe begin {\n  %{ foo %}\n}", 2, 3,
                        "embedded C is refused: no script may write to a traced process or load code into the kernel"),
                Arguments.of("embedded C end", "x %}", 1, 3,
                        "embedded C is refused: no script may write to a traced process or load code into the kernel"),
                Arguments.of("preprocessor", "%( arch == \"x86_64\" %? probe begin {} %)", 1, 1,
                        "preprocessor conditionals '%( ... %)' are not supported"),
                Arguments.of("unterminated string", "x = \"abc\ny", 1, 5, "unterminated string"),
                Arguments.of("unknown escape", "\"a\\qb\"", 1, 3, "unknown escape '\\q' in string"),
                Arguments.of("unterminated comment", "x /* y", 1, 3, "unterminated comment"),
                Arguments.of("bad character", "x = `y`", 1, 5, "unexpected character '`'"),
                Arguments.of("bad octal", "x = 09", 1, 5, "invalid octal integer literal '09'"),
                Arguments.of("bad hex", "x = 0x", 1, 5, "invalid hexadecimal integer literal '0x'"),
                Arguments.of("digits then letters", "x = 12ab", 1, 5, "invalid decimal integer literal '12ab'"),
                Arguments.of("too big", "x = 0x1ffffffffffffffff", 1, 5,
                        "integer literal 0x1ffffffffffffffff does not fit in 64 bits"),
                Arguments.of("pretty printing $$parms", "  $$parms", 1, 3, "'$$parms' pretty-printing is not supported"),
                Arguments.of("pretty printing $var$", "$x$", 1, 1, "'$x$' pretty-printing is not supported"),
                Arguments.of("lone dollar", "$ x", 1, 1, "expected a target variable name after '$'"),
                Arguments.of("lone at", "@ x", 1, 1, "expected a name after '@'"),
                Arguments.of("argument count", "$#", 1, 1, "'$#' (the number of script arguments) is not supported"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void lexicalErrorsNameTheirPlace(String name, String text, int line, int column, String message) {
        Diagnostic d = lexError(text);
        assertThat(d.severity()).isEqualTo(Severity.ERROR);
        assertThat(d.location()).isEqualTo(new SourceLocation("t.stp", line, column));
        assertThat(d.message()).isEqualTo(message);
    }
}
