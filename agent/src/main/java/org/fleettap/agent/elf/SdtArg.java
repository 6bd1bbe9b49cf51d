package org.fleettap.agent.elf;

import java.util.Objects;

/**
 * One USDT argument such as {@code -4@%eax}: its value is {@code size} bytes, {@code signed} when the prefix is
 * negative, {@code floatingPoint} for an {@code Nf@} prefix, found at {@code operand}; {@code text} is as in the note.
 */
public record SdtArg(String text, int size, boolean signed, boolean floatingPoint, SdtOperand operand) {
    public SdtArg {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(operand, "operand");
    }

    /** Parses one argument (x86-64 AT&T syntax); the error message names the argument and what is wrong. */
    public static SdtArg parse(String text) throws ElfFormatException {
        return SdtArgParser.parse(text);
    }
}
