package org.fleettap.agent.dwarf;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** A DWARF location expression (DW_OP_* bytes) for x86-64 (8-byte addresses, 32-bit DWARF offsets). */
public record LocationExpression(byte[] bytes) {
    private static final String[] X86_64_REGISTERS = {
        "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
    };

    public LocationExpression {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The name of x86-64 DWARF register {@code n} ("rdi", "xmm0", ...). */
    public static String registerName(int n) {
        if (n >= 0 && n < X86_64_REGISTERS.length) {
            return X86_64_REGISTERS[n];
        }
        if (n >= 17 && n <= 32) {
            return "xmm" + (n - 17);
        }
        return "r" + n + "?";
    }

    /** The operations in order; an unknown opcode or a truncated operand is a {@link DwarfFormatException}. */
    public List<LocationOp> ops() throws DwarfFormatException {
        DwarfReader r = new DwarfReader("location expression", ByteBuffer.wrap(bytes));
        List<LocationOp> ops = new ArrayList<>();
        while (r.hasRemaining()) {
            int at = r.position();
            int op = r.u8();
            long a = 0;
            long b = 0;
            byte[] block = null;
            if (op >= 0x30 && op <= 0x6f) {
                // lit0..31, reg0..31: no operands.
            } else if (op >= LocationOp.DW_OP_breg0 && op <= LocationOp.DW_OP_breg31) {
                a = r.sleb();
            } else {
                switch (op) {
                    case 0x03 -> a = r.u64();
                    case 0x08, 0x94, 0x95 -> a = r.u8();
                    case 0x15 -> a = r.u8();
                    case 0x09 -> a = r.s8();
                    case 0x0a, 0x98 -> a = r.u16();
                    case 0x0b, 0x28, 0x2f -> a = r.s16();
                    case 0x0c, 0x99, 0x9a, 0xfa, 0xfd -> a = r.u32();
                    case 0x0d -> a = r.s32();
                    case 0x0e, 0x0f -> a = r.u64();
                    case 0x10, 0x23, 0x90, 0x93, 0xa1, 0xa2, 0xa8, 0xa9, 0xf7, 0xf9, 0xfb, 0xfc -> a = r.uleb();
                    case 0x11, 0x91 -> a = r.sleb();
                    case 0x92 -> {
                        a = r.uleb();
                        b = r.sleb();
                    }
                    case 0x9d, 0xa5, 0xf5 -> {
                        a = r.uleb();
                        b = r.uleb();
                    }
                    case 0xa0, 0xf2 -> {
                        a = r.u32();
                        b = r.sleb();
                    }
                    case 0xa6, 0xa7, 0xf6 -> {
                        a = r.u8();
                        b = r.uleb();
                    }
                    case 0x9e, 0xa3, 0xf3 -> {
                        a = r.uleb();
                        block = block(r, a, at);
                    }
                    case 0xa4, 0xf4 -> {
                        a = r.uleb();
                        b = r.u8();
                        block = block(r, b, at);
                    }
                    case 0x06, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
                            0x21, 0x22, 0x24, 0x25, 0x26, 0x27, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x96, 0x97, 0x9b,
                            0x9c, 0x9f, 0xe0, 0xf0 -> { }
                    default -> throw r.error(at, "unknown DWARF expression opcode 0x" + Integer.toHexString(op));
                }
            }
            ops.add(new LocationOp(at, op, a, b, block));
        }
        return List.copyOf(ops);
    }

    /** The register this expression names when it is exactly DW_OP_regN or DW_OP_regx (the value is in it). */
    public Optional<String> register() throws DwarfFormatException {
        List<LocationOp> ops = ops();
        if (ops.size() == 1) {
            int op = ops.get(0).opcode();
            if ((op >= LocationOp.DW_OP_reg0 && op <= LocationOp.DW_OP_reg31) || op == LocationOp.DW_OP_regx) {
                return Optional.of(registerName(ops.get(0).register()));
            }
        }
        return Optional.empty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LocationExpression e && Arrays.equals(bytes, e.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("LocationExpression[");
        for (byte x : bytes) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.append(']').toString();
    }

    private static byte[] block(DwarfReader r, long n, int at) throws DwarfFormatException {
        if (n > r.remaining()) {
            throw r.error(at, "operand block of " + Long.toUnsignedString(n) + " bytes runs past the expression");
        }
        return FormReader.bytes(r, (int) n);
    }
}
