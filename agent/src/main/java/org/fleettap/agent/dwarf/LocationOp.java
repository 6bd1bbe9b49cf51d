package org.fleettap.agent.dwarf;

/**
 * One decoded DWARF expression operation: its offset in the expression, opcode (DW_OP_*), up to two numeric
 * operands and, for implicit_value/entry_value/const_type, a block of bytes.
 */
public record LocationOp(int offset, int opcode, long operand1, long operand2, byte[] block) {
    public static final int DW_OP_addr = 0x03;
    public static final int DW_OP_reg0 = 0x50;
    public static final int DW_OP_reg31 = 0x6f;
    public static final int DW_OP_breg0 = 0x70;
    public static final int DW_OP_breg31 = 0x8f;
    public static final int DW_OP_regx = 0x90;
    public static final int DW_OP_fbreg = 0x91;
    public static final int DW_OP_bregx = 0x92;
    public static final int DW_OP_piece = 0x93;
    public static final int DW_OP_call_frame_cfa = 0x9c;
    public static final int DW_OP_stack_value = 0x9f;
    public static final int DW_OP_entry_value = 0xa3;
    public static final int DW_OP_GNU_entry_value = 0xf3;

    @Override
    public byte[] block() {
        return block == null ? null : block.clone();
    }

    /** The DWARF register this op names (regN, regx, bregN, bregx), or -1. */
    public int register() {
        if (opcode >= DW_OP_reg0 && opcode <= DW_OP_reg31) {
            return opcode - DW_OP_reg0;
        }
        if (opcode >= DW_OP_breg0 && opcode <= DW_OP_breg31) {
            return opcode - DW_OP_breg0;
        }
        if (opcode == DW_OP_regx || opcode == DW_OP_bregx) {
            return (int) operand1;
        }
        return -1;
    }
}
