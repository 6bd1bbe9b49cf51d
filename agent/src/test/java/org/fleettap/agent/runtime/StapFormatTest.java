package org.fleettap.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * printf directives. Where the runtime's vsprintf.c behaves as C does, C's printf (compiled with
 * gcc in a temporary directory) is the oracle; where it differs, the expected strings come from
 * reading vsprintf.c and the translator's format parser, and the test name says so.
 */
class StapFormatTest {
    private static final long[] VALUES = {0, 1, -1, 42, -42, 255, 123456789, Long.MAX_VALUE, Long.MIN_VALUE};
    /** Formats where stap and C agree for every value above (single flag, as stap's parser allows). */
    private static final String[] NUMBER_FORMATS = {
        "%d", "%i", "%5d", "%-5d", "%05d", "%+d", "% d", "%u", "%x", "%X", "%o", "%.3d", "%8.3d", "%-8.3d",
        "%25u", "%-25x", "%030o", "%+5i", "% 5d", "%.20x", "%ld", "%lx"
    };
    /** Alternate forms agree with C for non-zero values without a precision. */
    private static final String[] SPECIAL_FORMATS = {"%#x", "%#X", "%#o", "%#20x", "%#5o"};
    private static final String[] STRING_FORMATS = {"%s", "%10s", "%-10s", "%.2s", "%10.2s", "%-10.2s", "%1s"};
    private static final String[] STRINGS = {"", "abc", "hello world"};
    private static final String[] CHAR_FORMATS = {"%c", "%3c", "%-3c"};

    @Test
    void numericStringAndCharDirectives_matchCsPrintf(@TempDir Path dir) throws Exception {
        List<String> cStatements = new ArrayList<>();
        List<String> ours = new ArrayList<>();
        for (String f : NUMBER_FORMATS) {
            for (long v : VALUES) {
                cStatements.add(cPrintf(f, cLong(v)));
                ours.add(StapFormat.compile("[" + f + "]").sprintf(v));
            }
        }
        for (String f : SPECIAL_FORMATS) {
            for (long v : VALUES) {
                if (v != 0) {
                    cStatements.add(cPrintf(f, cLong(v)));
                    ours.add(StapFormat.compile("[" + f + "]").sprintf(v));
                }
            }
        }
        for (String f : STRING_FORMATS) {
            for (String s : STRINGS) {
                cStatements.add("printf(\"[" + f + "]\\n\", \"" + s + "\");");
                ours.add(StapFormat.compile("[" + f + "]").sprintf(s));
            }
        }
        for (String f : CHAR_FORMATS) {
            cStatements.add("printf(\"[" + f + "]\\n\", 'A');");
            ours.add(StapFormat.compile("[" + f + "]").sprintf(65L));
        }
        assertThat(ours).containsExactlyElementsOf(runC(dir, cStatements));
    }

    @ParameterizedTest(name = "[{index}] stap differs from C: {0} of {1} -> \"{2}\"")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        // '#' always prefixes, even for zero (C prints "0")
        "%#x|0|0x0",
        "%#X|0|0X0",
        "%#o|0|00",
        // '#' prefix comes on top of the precision (C makes the precision's first zero the prefix)
        "%#.3o|8|0010",
        // '0' pads with zeros even with a precision (C ignores '0' then)
        "%05.3d|5|00005",
        "%08.3x|255|000000ff",
        // a static precision of 0 is dropped by the translator: zero still prints its digit
        "%.0d|0|0",
        "%5.0d|0|'    0'",
        // %p is %#x of the 64-bit value, no default width
        "%p|4660|0x1234",
        "%p|0|0x0",
        "%p|-1|0xffffffffffffffff",
        "%018p|4660|0x0000000000001234",
        "%-8p|255|'0xff    '",
        // a '+' or ' ' flag means nothing to unsigned conversions
        "%+u|5|5",
        "% x|255|ff",
        // negative numbers in unsigned conversions are 64-bit two's complement
        "%u|-1|18446744073709551615",
        "%x|-2|fffffffffffffffe",
        "%o|-1|1777777777777777777777",
        // %c prints the low byte
        "%c|321|A",
    })
    void numbersWhereStapDiffersFromC(String format, long value, String expected) {
        assertThat(StapFormat.compile(format).sprintf(value)).isEqualTo(expected);
    }

    @Test
    void manPageExamples() {
        // man stap, "printf formatting directives" examples
        assertThat(StapFormat.compile("%#o %#x %#X\n").sprintf(1L, 2L, 3L)).isEqualTo("01 0x2 0X3\n");
        assertThat(StapFormat.compile("%#c %#c %#c\n").sprintf(0L, 9L, 42L)).isEqualTo("\\000 \\t *\n");
    }

    @Test
    void charWithHash_escapesCStyleOrOctal() {
        StapFormat f = StapFormat.compile("%#c");
        assertThat(f.sprintf(10L)).isEqualTo("\\n");
        assertThat(f.sprintf((long) '\'')).isEqualTo("\\'");
        assertThat(f.sprintf((long) '\\')).isEqualTo("\\\\");
        assertThat(f.sprintf((long) '"')).isEqualTo("\"");
        assertThat(f.sprintf(7L)).isEqualTo("\\a");
        assertThat(f.sprintf(11L)).isEqualTo("\\v");
        assertThat(f.sprintf(127L)).isEqualTo("\\177");
        assertThat(f.sprintf(200L)).isEqualTo("\\310");
        assertThat(StapFormat.compile("%#6c|%-6c|").sprintf(10L, 65L)).isEqualTo("    \\n|A     |");
    }

    @Test
    void charIgnoresZeroFlagAndPrecision() {
        assertThat(StapFormat.compile("%03c|%.5c").sprintf(65L, 66L)).isEqualTo("  A|B");
    }

    @Test
    void stringsWhereStapDiffersFromC() {
        // static precision 0 is dropped by the translator: the whole string prints (C prints nothing)
        assertThat(StapFormat.compile("[%.0s]").sprintf("abc")).isEqualTo("[abc]");
        // '#' means nothing to %s in the runtime
        assertThat(StapFormat.compile("[%#5s]").sprintf("ab")).isEqualTo("[   ab]");
        // a negative .* precision is clamped to 0: nothing prints (C would print everything)
        assertThat(StapFormat.compile("[%.*s]").sprintf(-1L, "abc")).isEqualTo("[]");
        assertThat(StapFormat.compile("[%.*s]").sprintf(2L, "abc")).isEqualTo("[ab]");
    }

    @Test
    void stringWithZeroFlag_appendsANulByte_whichEndsAnSprintfResult() {
        StringBuilder out = new StringBuilder();
        StapFormat.compile("%05s|").printf(out, "ab");
        assertThat(out.toString()).isEqualTo("   ab\0|");
        assertThat(StapFormat.compile("%05s|").sprintf("ab")).isEqualTo("   ab");
    }

    @Test
    void dynamicWidthAndPrecision() {
        assertThat(StapFormat.compile("[%*d]").sprintf(5L, 42L)).isEqualTo("[   42]");
        assertThat(StapFormat.compile("[%*d]").sprintf(-5L, 42L)).isEqualTo("[42   ]");
        assertThat(StapFormat.compile("[%.*d]").sprintf(4L, 7L)).isEqualTo("[0007]");
        assertThat(StapFormat.compile("[%*.*s]").sprintf(6L, 2L, "abcdef")).isEqualTo("[    ab]");
        assertThat(StapFormat.compile("[%-*s]").sprintf(4L, "x")).isEqualTo("[x   ]");
        assertThat(StapFormat.compile("%*d").argumentTypes()).containsExactly(StapType.LONG, StapType.LONG);
    }

    @Test
    void widthsAreClampedToTheBufferSize_andPrintfOutputToo() {
        StringBuilder out = new StringBuilder();
        StapFormat.compile("%99999d").printf(out, 1L);
        assertThat(out).hasSize(StapFormat.BUFFER_SIZE);
        assertThat(StapFormat.compile("%600d").sprintf(1L)).hasSize(StapString.MAX_CONTENT_BYTES);
    }

    @Test
    void literalsAndPercent() {
        assertThat(StapFormat.compile("100%% sure, %s!").sprintf("yes")).isEqualTo("100% sure, yes!");
        assertThat(StapFormat.compile("no args").sprintf()).isEqualTo("no args");
        assertThat(StapFormat.compile("ends with %").sprintf()).isEqualTo("ends with %");
        assertThat(StapFormat.compile("%d%s%x").argumentTypes())
                .containsExactly(StapType.LONG, StapType.STRING, StapType.LONG);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" -> {1}")
    @CsvSource(delimiter = '|', value = {
        "%q|invalid or missing conversion specifier",
        "%f|invalid or missing conversion specifier",
        // stap's parser takes at most one flag and one 'l'
        "%+-5d|invalid or missing conversion specifier",
        "%#-x|invalid or missing conversion specifier",
        "%lld|invalid or missing conversion specifier",
        "%5|trailing incomplete print format conversion",
        "abc %-|trailing incomplete print format conversion",
        "%.|trailing incomplete print format conversion",
        "%b|not supported",
        "%4m|not supported",
        "%M|not supported",
    })
    void badFormatsAreRejectedAtCompileTime(String format, String message) {
        assertThatThrownBy(() -> StapFormat.compile(format))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void leftFlagFollowedByZeroDigit_isAWidthNotAFlag() {
        // after the one flag, '0' starts the width: "%-05d" is "%-5d", never zero-padded
        assertThat(StapFormat.compile("[%-05d][%05d]").sprintf(-3L, -3L)).isEqualTo("[-3   ][-0003]");
    }

    @Test
    void argumentCountAndTypesAreChecked() {
        StapFormat f = StapFormat.compile("%s has %d");
        assertThatThrownBy(() -> f.sprintf("x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("takes 2 arguments, got 1");
        assertThatThrownBy(() -> f.sprintf("x", 1L, 2L)).hasMessageContaining("takes 2 arguments, got 3");
        assertThatThrownBy(() -> f.sprintf(1L, 1L)).hasMessageContaining("argument 1 must be a string");
        assertThatThrownBy(() -> f.sprintf("x", "y")).hasMessageContaining("argument 2 must be a long");
    }

    @Test
    void sprintfIsCutToMaxStringLen() {
        String s = StapFormat.compile("%s%s").sprintf("a".repeat(400), "b".repeat(400));
        assertThat(s).hasSize(511).endsWith("b");
    }

    private static String cPrintf(String stapFormat, String arg) {
        char conv = stapFormat.charAt(stapFormat.length() - 1);
        String body = stapFormat.substring(0, stapFormat.length() - 1).replace("l", "");
        return "printf(\"[" + body + "ll" + conv + "]\\n\", " + arg + ");";
    }

    private static String cLong(long v) {
        return v == Long.MIN_VALUE ? "(-9223372036854775807LL - 1)" : "(long long) " + v + "LL";
    }

    private static List<String> runC(Path dir, List<String> statements) throws IOException, InterruptedException {
        Path src = dir.resolve("oracle.c");
        Path exe = dir.resolve("oracle");
        Files.writeString(src, "#include <stdio.h>\nint main(void) {\n" + String.join("\n", statements)
                + "\nreturn 0;\n}\n");
        run(List.of("gcc", "-w", "-o", exe.toString(), src.toString()));
        return List.of(run(List.of(exe.toString())).split("\n", -1)).subList(0, statements.size());
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
        return out;
    }
}
