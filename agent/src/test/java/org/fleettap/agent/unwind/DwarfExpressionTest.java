package org.fleettap.agent.unwind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The CFI expression machine: what gcc and glibc emit, and clean errors for the rest. */
class DwarfExpressionTest {
    /** rsp = 0x7000, rip = the register 16 value given per case; memory: [a] = a + 1. */
    private static DwarfExpression.Machine machine(long rip) {
        return new DwarfExpression.Machine() {
            @Override
            public long register(int reg) throws UnwindException {
                if (reg == 7) {
                    return 0x7000;
                }
                if (reg == 16) {
                    return rip;
                }
                throw new UnwindException(StopReason.UNKNOWN_REGISTER, "reg" + reg);
            }

            @Override
            public long read(long address, int size) {
                return size == 8 ? address + 1 : (address + 1) & ((1L << (8 * size)) - 1);
            }
        };
    }

    private static long eval(String hex, long rip, long... initial) throws UnwindException {
        return new DwarfExpression(HexFormat.of().parseHex(hex), "t", 0).evaluate(machine(rip), initial);
    }

    @ParameterizedTest(name = "PLT entry offset {0}")
    @CsvSource({"0, 0x7008", "10, 0x7008", "11, 0x7010", "15, 0x7010"})
    void pltCfaExpression(long offset, String cfa) throws Exception {
        // DW_OP_breg7 8; DW_OP_breg16 0; DW_OP_lit15; DW_OP_and; DW_OP_lit11; DW_OP_ge; DW_OP_lit3; DW_OP_shl; plus
        assertThat(eval("7708" + "8000" + "3f" + "1a" + "3b" + "2a" + "33" + "24" + "22", 0x1020 + offset, new long[0]))
                .isEqualTo(Long.decode(cfa));
    }

    @Test
    void signalFrameStyle() throws Exception {
        assertThat(eval("77800106", 0)).isEqualTo(0x7000 + 128 + 1); // breg7 128; deref: CFA from the ucontext
        assertThat(eval("23a001", 0, 0x100)).isEqualTo(0x100 + 160); // CFA pushed; plus_uconst 160
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "const1s neg abs,        097f1f19,                    127",
        "const2s,                0bfeff,                      -2",
        "const4u const4s plus,   0c01000000 0dffffffff 22,    0",
        "const8u,                0e0100000000000000,          1",
        "constu consts plus,     10e58e26 117f 22,            624484",
        "over plus dup drop,     31 32 14 22 12 13,           3",
        "pick swap rot plus,     31 32 33 1500 16 17 22,      5",
        "minus mul div mod,      3a 32 1c 33 1e 32 1b 33 1d,  0",
        "or xor not,             31 32 21 33 27 20,           -1",
        "shr,                    08f0 34 25,                  15",
        "shra,                   0bf0ff 34 26,                -1",
        "shl by 64 is 0,         31 08 40 24,                 0",
        "eq,                     3131 29,                     1",
        "ge,                     3231 2a,                     1",
        "gt,                     3132 2b,                     0",
        "le,                     3132 2c,                     1",
        "lt,                     3231 2d,                     0",
        "ne,                     3132 2e,                     1",
        "lt is signed,           0bfeff 31 2d,                1",
        "bra taken,              31 28 0100 32 33,            3",
        "bra not taken,          30 28 0100 32,               2",
        "skip,                   33 2f 0100 32,               3",
        "deref_size,             3a 94 02,                    11",
        "addr,                   03 0100000000000000,         1",
        "bregx,                  92 07 10,                    0x7010",
        "nop,                    96 31,                       1",
    })
    void operations(String name, String hex, String expected) throws Exception {
        long want = expected.startsWith("0x") ? Long.parseLong(expected.substring(2), 16) : Long.parseLong(expected);
        assertThat(eval(hex.replace(" ", ""), 0, new long[0])).isEqualTo(want);
    }

    @Test
    void unsupportedAndMalformedExpressionsAreBadUnwindInfo() {
        assertThatThrownBy(() -> eval("50", 0, new long[0])).isInstanceOf(UnwindException.class)
                .hasMessageContaining("unsupported DWARF operation 0x50")
                .extracting(e -> ((UnwindException) e).reason()).isEqualTo(StopReason.BAD_UNWIND_INFO);
        assertThatThrownBy(() -> eval("9c", 0, new long[0])).hasMessageContaining("0x9c");
        assertThatThrownBy(() -> eval("2ffdff", 0, new long[0])).hasMessageContaining("a loop?");
        assertThatThrownBy(() -> eval("0c0102", 0, new long[0])).hasMessageContaining("truncated");
        assertThatThrownBy(() -> eval("", 0, new long[0])).hasMessageContaining("empty stack");
        assertThatThrownBy(() -> eval("31301b", 0, new long[0])).hasMessageContaining("division by zero");
        assertThatThrownBy(() -> eval("7100", 0, new long[0])).isInstanceOf(UnwindException.class)
                .extracting(e -> ((UnwindException) e).reason()).isEqualTo(StopReason.UNKNOWN_REGISTER);
    }
}
