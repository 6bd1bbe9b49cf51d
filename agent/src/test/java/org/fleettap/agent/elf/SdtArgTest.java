package org.fleettap.agent.elf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Parsing SDT argument strings (x86-64). */
final class SdtArgTest {

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("-8@-16(%rbp)", 8, true, mem("", -16, "rbp", null, 1)),
                Arguments.of("-4@$5", 4, true, new SdtOperand.Constant(5)),
                Arguments.of("-4@%eax", 4, true, reg("rax", 4)),
                Arguments.of("-8@%rdi", 8, true, reg("rdi", 8)),
                Arguments.of("8@%rdi", 8, false, reg("rdi", 8)),
                Arguments.of("4@%r12d", 4, false, reg("r12", 4)),
                Arguments.of("2@%r9w", 2, false, reg("r9", 2)),
                Arguments.of("1@%r15b", 1, false, reg("r15", 1)),
                Arguments.of("-1@%al", 1, true, reg("rax", 1)),
                Arguments.of("1@%sil", 1, false, reg("rsi", 1)),
                Arguments.of("2@%bp", 2, false, reg("rbp", 2)),
                Arguments.of("-4@%esp", 4, true, reg("rsp", 4)),
                Arguments.of("-4@$-1", 4, true, new SdtOperand.Constant(-1)),
                Arguments.of("8@$0x10", 8, false, new SdtOperand.Constant(16)),
                Arguments.of("8@$-9223372036854775808", 8, false, new SdtOperand.Constant(Long.MIN_VALUE)),
                Arguments.of("8@$18446744073709551615", 8, false, new SdtOperand.Constant(-1)),
                Arguments.of("8@112(%rsp)", 8, false, mem("", 112, "rsp", null, 1)),
                Arguments.of("-4@(%rax)", 4, true, mem("", 0, "rax", null, 1)),
                Arguments.of("8@0x20(%r13)", 8, false, mem("", 32, "r13", null, 1)),
                Arguments.of("-4@global_value(%rip)", 4, true, new SdtOperand.RipRelative("global_value", 0)),
                Arguments.of("8@sym+8(%rip)", 8, false, new SdtOperand.RipRelative("sym", 8)),
                Arguments.of("8@_ZL4name.0-16(%rip)", 8, false, new SdtOperand.RipRelative("_ZL4name.0", -16)),
                Arguments.of("8@8(%rax,%rbx,8)", 8, false, mem("", 8, "rax", "rbx", 8)),
                Arguments.of("-4@-4(%rbp,%rcx,4)", 4, true, mem("", -4, "rbp", "rcx", 4)),
                Arguments.of("4@(%rdx,%rsi)", 4, false, mem("", 0, "rdx", "rsi", 1)),
                Arguments.of("8@table(,%rax,8)", 8, false, mem("table", 0, null, "rax", 8)),
                Arguments.of("8@table+16(%rdx)", 8, false, mem("table", 16, "rdx", null, 1)),
                Arguments.of("4@global_value", 4, false, mem("global_value", 0, null, null, 1)),
                Arguments.of("-2@%dx", 2, true, reg("rdx", 2)),
                Arguments.of("16@%rax", 16, false, reg("rax", 8)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void parses(String text, int size, boolean signed, SdtOperand operand) throws Exception {
        SdtArg arg = SdtArg.parse(text);

        assertThat(arg).isEqualTo(new SdtArg(text, size, signed, false, operand));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"8f@-24(%rbp), 8, false", "-4f@%eax, 4, true"})
    void floatingPointPrefix(String text, int size, boolean signed) throws Exception {
        SdtArg arg = SdtArg.parse(text);

        assertThat(arg.floatingPoint()).isTrue();
        assertThat(arg.size()).isEqualTo(size);
        assertThat(arg.signed()).isEqualTo(signed);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "%eax | missing size prefix (N@)",
        "3@%eax | size prefix '3' is not one of 1, 2, 4, 8, 16",
        "@%eax | size prefix '' is not one of 1, 2, 4, 8, 16",
        "x@%eax | size prefix 'x' is not one of 1, 2, 4, 8, 16",
        "8@ | missing operand after '@'",
        "8@%xyz | unknown register %xyz",
        "1@%ah | high-byte register %ah is not supported",
        "4@$ | '' is not a number",
        "4@$five | 'five' is not a number",
        "4@$99999999999999999999 | '99999999999999999999' is not a number",
        "8@-16(%rbp | malformed address '(%rbp'",
        "8@-16(%ebp) | address register %ebp is not a 64-bit register",
        "8@(%rax,%rsp,2) | %rsp cannot be an index register",
        "8@(%rax,%rbx,3) | scale '3' is not 1, 2, 4 or 8",
        "8@(%rax,%rbx,2,1) | too many parts in address '(%rax,%rbx,2,1)'",
        "8@16(%rip) | rip-relative address without a symbol",
        "8@sym(%rip,%rax,2) | rip-relative address with an index register",
        "8@sym*2(%rax) | expected '+' or '-' after symbol 'sym'",
        "8@() | address without base or index register",
        "8@sym@GOTPCREL(%rip) | expected '+' or '-' after symbol 'sym'"})
    void rejects(String text, String reason) {
        assertThatThrownBy(() -> SdtArg.parse(text))
                .isInstanceOf(ElfFormatException.class)
                .hasMessage("cannot parse SDT argument '" + text + "': " + reason);
    }

    @Test
    void randomTextGivesOnlyFormatErrors() {
        String alphabet = "-+@$%(),0123456789abcdefrsxipl_.fw ";
        Random random = new Random(77);
        for (int round = 0; round < 20_000; round++) {
            StringBuilder text = new StringBuilder(random.nextBoolean() ? "-8@" : "");
            int length = random.nextInt(16);
            for (int i = 0; i < length; i++) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            try {
                SdtArg arg = SdtArg.parse(text.toString());
                assertThat(arg.text()).isEqualTo(text.toString());
            } catch (ElfFormatException e) {
                assertThat(e.getMessage()).startsWith("cannot parse SDT argument '").doesNotContain("\n");
            }
        }
    }

    private static SdtOperand.Register reg(String name, int width) {
        return new SdtOperand.Register(name, width);
    }

    private static SdtOperand.Memory mem(String symbol, long displacement, String base, String index, int scale) {
        return new SdtOperand.Memory(symbol, displacement, Optional.ofNullable(base), Optional.ofNullable(index),
                scale);
    }
}
