package org.fleettap.agent.unwind;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.fleettap.agent.dwarf.DwarfFormatException;
import org.fleettap.agent.dwarf.DwarfReader;

/**
 * A DWARF expression from CFI (DW_CFA_def_cfa_expression, DW_CFA_expression, DW_CFA_val_expression) and a stack
 * machine for the operations compilers and glibc emit there: constants, registers, dereferences, arithmetic,
 * comparisons and branches. Location operations (DW_OP_regN, pieces, frame base, calls) are rejected with an error.
 */
final class DwarfExpression {
    /** Operations executed before an expression is considered looping. */
    static final int MAX_STEPS = 10_000;
    /** Deepest stack allowed. */
    static final int MAX_STACK = 256;

    /** What an expression may read: registers of the frame being unwound, and memory. */
    interface Machine {
        /** The value of DWARF register {@code reg} in the frame being unwound. */
        long register(int reg) throws UnwindException;

        /** {@code size} bytes (1, 2, 4 or 8) at {@code address}, zero-extended. */
        long read(long address, int size) throws UnwindException;
    }

    private final byte[] code;
    private final String section;
    private final long offset;

    /** An expression of {@code code}, found at {@code offset} in {@code section} (for messages). */
    DwarfExpression(byte[] code, String section, long offset) {
        this.code = code.clone();
        this.section = section;
        this.offset = offset;
    }

    int length() {
        return code.length;
    }

    /** Runs the expression with {@code initial} pushed first (the CFA for register rules) and returns the top. */
    long evaluate(Machine m, long... initial) throws UnwindException {
        long[] stack = new long[MAX_STACK];
        int sp = 0;
        for (long v : initial) {
            stack[sp++] = v;
        }
        DwarfReader r = new DwarfReader(section, ByteBuffer.wrap(code));
        int steps = 0;
        try {
            while (r.hasRemaining()) {
                if (++steps > MAX_STEPS) {
                    throw bad(r.position(), "more than " + MAX_STEPS + " operations (a loop?)");
                }
                int at = r.position();
                int op = r.u8();
                long a;
                long b;
                if (op >= 0x30 && op <= 0x4f) { // DW_OP_lit0..31
                    sp = push(stack, sp, op - 0x30, at);
                    continue;
                }
                if (op >= 0x70 && op <= 0x8f) { // DW_OP_breg0..31
                    long off = r.sleb();
                    sp = push(stack, sp, m.register(op - 0x70) + off, at);
                    continue;
                }
                switch (op) {
                    case 0x03 -> sp = push(stack, sp, r.u64(), at); // addr
                    case 0x06 -> stack[sp - 1] = m.read(need(stack, sp, 1, at), 8); // deref
                    case 0x08 -> sp = push(stack, sp, r.u8(), at); // const1u
                    case 0x09 -> sp = push(stack, sp, r.s8(), at); // const1s
                    case 0x0a -> sp = push(stack, sp, r.u16(), at); // const2u
                    case 0x0b -> sp = push(stack, sp, r.s16(), at); // const2s
                    case 0x0c -> sp = push(stack, sp, r.u32(), at); // const4u
                    case 0x0d -> sp = push(stack, sp, r.s32(), at); // const4s
                    case 0x0e, 0x0f -> sp = push(stack, sp, r.u64(), at); // const8u, const8s
                    case 0x10 -> sp = push(stack, sp, r.uleb(), at); // constu
                    case 0x11 -> sp = push(stack, sp, r.sleb(), at); // consts
                    case 0x12 -> sp = push(stack, sp, need(stack, sp, 1, at), at); // dup
                    case 0x13 -> { // drop
                        need(stack, sp, 1, at);
                        sp--;
                    }
                    case 0x14 -> { // over
                        need(stack, sp, 2, at);
                        sp = push(stack, sp, stack[sp - 2], at);
                    }
                    case 0x15 -> { // pick
                        int i = r.u8();
                        need(stack, sp, i + 1, at);
                        sp = push(stack, sp, stack[sp - 1 - i], at);
                    }
                    case 0x16 -> { // swap
                        need(stack, sp, 2, at);
                        long t = stack[sp - 1];
                        stack[sp - 1] = stack[sp - 2];
                        stack[sp - 2] = t;
                    }
                    case 0x17 -> { // rot
                        need(stack, sp, 3, at);
                        long t = stack[sp - 1];
                        stack[sp - 1] = stack[sp - 2];
                        stack[sp - 2] = stack[sp - 3];
                        stack[sp - 3] = t;
                    }
                    case 0x19 -> stack[sp - 1] = Math.abs(need(stack, sp, 1, at)); // abs
                    case 0x1f -> stack[sp - 1] = -need(stack, sp, 1, at); // neg
                    case 0x20 -> stack[sp - 1] = ~need(stack, sp, 1, at); // not
                    case 0x23 -> stack[sp - 1] = need(stack, sp, 1, at) + r.uleb(); // plus_uconst
                    case 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x21, 0x22, 0x24, 0x25, 0x26, 0x27,
                            0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e -> {
                        need(stack, sp, 2, at);
                        b = stack[--sp];
                        a = stack[sp - 1];
                        stack[sp - 1] = binary(op, a, b, at);
                    }
                    case 0x28 -> { // bra
                        int skip = r.s16();
                        need(stack, sp, 1, at);
                        if (stack[--sp] != 0) {
                            r.seek((long) r.position() + skip);
                        }
                    }
                    case 0x2f -> { // skip
                        int skip = r.s16();
                        r.seek((long) r.position() + skip);
                    }
                    case 0x92 -> { // bregx
                        long reg = r.uleb();
                        long off = r.sleb();
                        sp = push(stack, sp, m.register(register(reg, at)) + off, at);
                    }
                    case 0x94 -> { // deref_size
                        int size = r.u8();
                        if (size != 1 && size != 2 && size != 4 && size != 8) {
                            throw bad(at, "DW_OP_deref_size of " + size + " bytes");
                        }
                        stack[sp - 1] = m.read(need(stack, sp, 1, at), size);
                    }
                    case 0x96 -> { // nop
                    }
                    default -> throw bad(at, "unsupported DWARF operation 0x" + Integer.toHexString(op)
                            + " in a CFI expression");
                }
            }
        } catch (DwarfFormatException e) {
            throw new UnwindException(StopReason.BAD_UNWIND_INFO, where() + ": " + e.getMessage(), e);
        }
        if (sp == 0) {
            throw bad(code.length, "the expression leaves an empty stack");
        }
        return stack[sp - 1];
    }

    private long binary(int op, long a, long b, int at) throws UnwindException {
        return switch (op) {
            case 0x1a -> a & b;
            case 0x1b -> {
                if (b == 0) {
                    throw bad(at, "division by zero");
                }
                yield a / b;
            }
            case 0x1c -> a - b;
            case 0x1d -> {
                if (b == 0) {
                    throw bad(at, "modulo by zero");
                }
                yield Long.remainderUnsigned(a, b);
            }
            case 0x1e -> a * b;
            case 0x21 -> a | b;
            case 0x22 -> a + b;
            case 0x24 -> Long.compareUnsigned(b, 64) >= 0 ? 0 : a << b;
            case 0x25 -> Long.compareUnsigned(b, 64) >= 0 ? 0 : a >>> b;
            case 0x26 -> Long.compareUnsigned(b, 64) >= 0 ? (a < 0 ? -1 : 0) : a >> b;
            case 0x27 -> a ^ b;
            case 0x29 -> a == b ? 1 : 0;
            case 0x2a -> a >= b ? 1 : 0;
            case 0x2b -> a > b ? 1 : 0;
            case 0x2c -> a <= b ? 1 : 0;
            case 0x2d -> a < b ? 1 : 0;
            case 0x2e -> a != b ? 1 : 0;
            default -> throw bad(at, "operation 0x" + Integer.toHexString(op));
        };
    }

    private int register(long reg, int at) throws UnwindException {
        if (reg < 0 || reg > 0xffff) {
            throw bad(at, "register " + Long.toUnsignedString(reg));
        }
        return (int) reg;
    }

    private int push(long[] stack, int sp, long value, int at) throws UnwindException {
        if (sp >= stack.length) {
            throw bad(at, "stack deeper than " + MAX_STACK);
        }
        stack[sp] = value;
        return sp + 1;
    }

    private long need(long[] stack, int sp, int n, int at) throws UnwindException {
        if (sp < n) {
            throw bad(at, "stack underflow");
        }
        return stack[sp - 1];
    }

    private UnwindException bad(long at, String problem) {
        return new UnwindException(StopReason.BAD_UNWIND_INFO, where() + " byte " + at + ": " + problem);
    }

    private String where() {
        return "expression at " + section + "+0x" + Long.toHexString(offset);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DwarfExpression e && Arrays.equals(code, e.code);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(code);
    }

    @Override
    public String toString() {
        return "expr[" + HexFormat.of().formatHex(code) + "]";
    }
}
